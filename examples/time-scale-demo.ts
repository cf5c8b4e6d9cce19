/**
 * The `--monitor` part of the Fashion-MNIST demo: ordinary SGD training of
 * the demo MLP with a {@link TimeScaleMonitor}, printing the time-scale
 * table after every epoch and writing the charts into the report folder.
 *
 * The setting is the one of "What SGD does, measured" in the project's
 * method notes: MLP 784-256-256-10 (ReLU, softmax), plain SGD with
 * learning rate 0.05 and batch size 64; spans of 10 class-PCA components
 * per class from 6,000 training images (all of them when fewer). Those
 * notes measured, for the fraction of ‖W_t − W_0‖² in the span:
 *
 *   step   layer 1   layer 2
 *     10     0.994     0.973
 *    100     0.993     0.961
 *   1000     0.948     0.935
 *   1800     0.915     0.921
 *
 * against 0.128 and 0.39 for a random subspace of the same dimension.
 *
 * @packageDocumentation
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {MonitorRecord, TimeScaleMonitor} from '../src';

/** Plain SGD as in the method notes. */
export const MONITOR_LEARNING_RATE = 0.05;
export const MONITOR_BATCH_SIZE = 64;

/** Training images the spans are computed from, as in the method notes. */
const PROBE_ROWS = 6000;

/** Without `--epochs`: enough epochs for this many steps. */
const DEFAULT_STEPS = 2000;

/** The reference fractions of the method notes, by step. */
const REFERENCE: ReadonlyArray<{step: number, layer1: number,
                                layer2: number}> = [
  {step: 10, layer1: 0.994, layer2: 0.973},
  {step: 100, layer1: 0.993, layer2: 0.961},
  {step: 1000, layer1: 0.948, layer2: 0.935},
  {step: 1800, layer1: 0.915, layer2: 0.921},
];

/** What the monitor demo needs from the main demo. */
export interface MonitorDemoInput {
  xTrain: tf.Tensor2D;
  /** Class indices as float32. */
  yTrain: tf.Tensor1D;
  xTest: tf.Tensor2D;
  yTest: Int32Array;
  /** A fresh, compiled-free model with the demo's initial weights. */
  buildModel: () => tf.Sequential;
  /** Epochs, or null for enough to pass DEFAULT_STEPS steps. */
  epochs: number|null;
  /** SGD learning rate, or null for MONITOR_LEARNING_RATE. */
  learningRate: number|null;
  /** The report folder. */
  out: string;
  /** Test accuracy of a model. */
  testAccuracy: (model: tf.LayersModel) => number;
}

/** Epochs for `input`, and the steps one epoch takes. */
export function monitorEpochs(input: MonitorDemoInput):
    {epochs: number, stepsPerEpoch: number} {
  const stepsPerEpoch =
      Math.ceil(input.xTrain.shape[0] / MONITOR_BATCH_SIZE);
  return {
    epochs: input.epochs ?? Math.ceil(DEFAULT_STEPS / stepsPerEpoch),
    stepsPerEpoch,
  };
}

/**
 * Trains with the monitor and writes `time-scales.json`,
 * `time-scales.html` and `report.json` into `input.out`. Returns the text
 * printed at the end.
 */
export async function runMonitorDemo(input: MonitorDemoInput):
    Promise<string> {
  const {epochs, stepsPerEpoch} = monitorEpochs(input);
  const lr = input.learningRate ?? MONITOR_LEARNING_RATE;
  const probeRows = Math.min(PROBE_ROWS, input.xTrain.shape[0]);
  const probeX = input.xTrain.slice(0, probeRows);
  const probeY = input.yTrain.slice(0, probeRows);
  const model = input.buildModel();
  model.compile({optimizer: tf.train.sgd(lr),
                 loss: 'sparseCategoricalCrossentropy'});
  const monitor = new TimeScaleMonitor(
      {probe: {x: probeX, y: probeY}, outDir: input.out});
  process.stderr.write(
      `\nmodel.fit with TimeScaleMonitor: SGD ${lr}, batch ` +
      `${MONITOR_BATCH_SIZE}, ${epochs} epochs of ${stepsPerEpoch} steps; ` +
      `spans of 10 class-PCA components per class from ${probeRows} ` +
      `training images\n`);
  const start = Date.now();
  await model.fit(input.xTrain, input.yTrain, {
    epochs,
    batchSize: MONITOR_BATCH_SIZE,
    shuffle: true,
    verbose: 1,
    callbacks: [
      monitor, new tf.CustomCallback({
        onEpochEnd: async (epoch: number) => {
          process.stdout.write(
              `\nepoch ${epoch + 1}/${epochs}: ${monitor.summary()}\n`);
        },
      }),
    ],
  });
  const wallSeconds = (Date.now() - start) / 1000;
  const accuracy = input.testAccuracy(model);
  const cost = monitor.toJSON().cost;
  const json = monitor.toJSON();
  const comparison = compare(monitor.history, json.layers.map(l =>
      l.kernelShape[0]));
  const text = [
    '',
    `Test accuracy after ${epochs} epochs of SGD: ` +
        `${(100 * accuracy).toFixed(1)}%; model.fit took ` +
        `${wallSeconds.toFixed(1)} s, of which the monitor ` +
        `${(cost.trainBeginSeconds + cost.recordSeconds).toFixed(1)} s ` +
        `(${cost.trainBeginSeconds.toFixed(1)} s when training began, ` +
        `${cost.records} records, ${cost.refreshes} span refreshes).`,
    '',
    'Share of ‖W_t − W_0‖² in the class-PCA span, against the method ' +
        'notes (ref):',
    '',
    comparison.table,
    '',
    `Charts: ${path.join(input.out, 'time-scales.html')}`,
    '',
  ].join('\n');
  fs.mkdirSync(input.out, {recursive: true});
  fs.writeFileSync(path.join(input.out, 'report.json'), `${JSON.stringify({
    date: new Date().toISOString(),
    mode: 'monitor',
    options: {epochs, stepsPerEpoch, learningRate: lr,
              batchSize: MONITOR_BATCH_SIZE, probeRows},
    backend: tf.getBackend(),
    trainImages: input.xTrain.shape[0],
    testAccuracy: accuracy,
    fitWallSeconds: wallSeconds,
    monitorCost: cost,
    alignment: comparison.rows,
    timeScales: json.timeScales,
  }, null, 2)}\n`);
  model.dispose();
  tf.dispose([probeX, probeY]);
  return text;
}

/** One row per reference step: measured and reference fractions. */
function compare(history: MonitorRecord[], inputDims: number[]) {
  const rows = REFERENCE.map(ref => {
    const record = history.find(r => r.step === ref.step) ?? null;
    const at = (i: number) => record?.layers[i]?.alignment ?? null;
    return {
      step: ref.step,
      layer1: at(0),
      layer2: at(1),
      reference: {layer1: ref.layer1, layer2: ref.layer2},
    };
  });
  const first = history[0]?.layers;
  const random = [0, 1].map(i => first?.[i]?.spanDim == null ? '-' :
      ((first[i].spanDim as number) / inputDims[i]).toFixed(3));
  const cell = (v: number|null) => v === null ? '    -' : v.toFixed(3);
  const table = [
    '| step | layer 1 | ref | layer 2 | ref |',
    '|-----:|--------:|----:|--------:|----:|',
    ...rows.map(r => `| ${r.step} | ${cell(r.layer1)} | ` +
                    `${r.reference.layer1.toFixed(3)} | ${cell(r.layer2)} | ` +
                    `${r.reference.layer2.toFixed(3)} |`),
    `| random span | ${random[0]} | 0.128 | ${random[1]} | 0.39 |`,
  ].join('\n');
  return {rows, table};
}
