/**
 * How stale class-PCA spans bias the TimeScaleMonitor's alignment, and
 * what recomputing them costs.
 *
 *   npx ts-node --transpile-only bench/monitor-span-refresh.ts
 *       [--backend wasm|cpu] [--epochs 8] [--probe 6000]
 *
 * One `model.fit` of the demo MLP 784-256-256-10 (plain SGD 0.05, batch
 * 64, the 8,000 committed Fashion-MNIST training images) carries five
 * monitors at once, so all see the same training: spans recomputed at
 * every record (the reference), once a kernel below moved by 2%, 5% (the
 * default) or 10% since the span was computed, and never. For each it
 * reports the refreshes, their seconds, and the largest difference of
 * each layer's alignment from the reference over all records, and every
 * record's alignment with each layer's input and span dimensions
 * (bench/report.ts reads the reference's for the paper's subspace claim).
 *
 * Writes bench/results/monitor-span-refresh-<backend>.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {loadCommittedSplit, NUM_CLASSES, NUM_PIXELS}
    from '../examples/fashion-mnist';
import {TimeScaleMonitor, TimeScaleMonitorArgs} from '../src';

const CONFIGS: Array<[string, TimeScaleMonitorArgs]> = [
  ['every record', {spanRefreshEvery: 1, spanRefreshMovement: Infinity}],
  ['movement 0.02', {spanRefreshMovement: 0.02}],
  ['movement 0.05 (default)', {}],
  ['movement 0.1', {spanRefreshMovement: 0.1}],
  ['never', {spanRefreshMovement: Infinity}],
];

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] :
                                                 fallback;
}

async function main() {
  const backend = option('--backend', 'wasm');
  const epochs = Number(option('--epochs', '8'));
  const probeRows = Number(option('--probe', '6000'));
  if (backend === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
  }
  await tf.setBackend(backend);
  await tf.ready();
  const {train} = loadCommittedSplit();
  const x = tf.tensor2d(train.images, [train.count, NUM_PIXELS]);
  const y = tf.tensor1d(Float32Array.from(train.labels), 'float32');
  const probe = {x: x.slice(0, probeRows), y: y.slice(0, probeRows)};
  const widths = [256, 256, NUM_CLASSES];
  const model = tf.sequential({
    layers: widths.map((units, i) => tf.layers.dense({
      ...(i === 0 ? {inputShape: [NUM_PIXELS]} : {}),
      units,
      activation: i === widths.length - 1 ? 'softmax' : 'relu',
      kernelInitializer: tf.initializers.glorotUniform({seed: i}),
    })),
  });
  model.compile({optimizer: tf.train.sgd(0.05),
                 loss: 'sparseCategoricalCrossentropy'});
  const monitors =
      CONFIGS.map(([, args]) => new TimeScaleMonitor({probe, ...args}));
  const loadStart = os.loadavg()[0];
  await model.fit(x, y, {epochs, batchSize: 64, verbose: 0,
                         callbacks: monitors});

  const reference = monitors[0].history;
  const results = CONFIGS.map(([name], i) => {
    const history = monitors[i].history;
    const json = monitors[i].toJSON();
    const cost = json.cost;
    const drift = [0, 1, 2].map(k => Math.max(...history.map(
        (r, j) => Math.abs((r.layers[k].alignment ?? 0) -
                           (reference[j].layers[k].alignment ?? 0)))));
    return {
      name,
      refreshes: cost.refreshes,
      refreshSeconds: cost.refreshSeconds,
      maxDifferenceFromEveryRecord: drift,
      // Each layer's input dimension d and span dimension r: a random
      // r-dimensional subspace holds r/d of an update on average.
      inputDims: json.layers.map(l => l.kernelShape[0]),
      spanDims: json.layers.map(
          (_, k) => history[history.length - 1]?.layers[k].spanDim ?? null),
      alignment: history.map(r => ({
        step: r.step,
        layers: r.layers.map(l => l.alignment),
      })),
    };
  });
  const lines = [
    '| spans recomputed | refreshes | refresh s | max |Δ| layer 1 | ' +
        'layer 2 | layer 3 |',
    '|---|---:|---:|---:|---:|---:|',
    ...results.map(r => `| ${r.name} | ${r.refreshes} | ` +
                       `${r.refreshSeconds.toFixed(1)} | ` +
                       r.maxDifferenceFromEveryRecord.map(
                            v => v.toFixed(3)).join(' | ') + ' |'),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = path.join(__dirname, 'results',
                        `monitor-span-refresh-${backend}.json`);
  fs.writeFileSync(out, `${JSON.stringify({
    date: new Date().toISOString(),
    backend: tf.getBackend(),
    settings: {model: 'MLP 784-256-256-10', optimizer: 'sgd(0.05)',
               batchSize: 64, images: train.count, epochs, probeRows},
    loadAverage1m: {start: loadStart, end: os.loadavg()[0]},
    results,
  })}\n`);
  process.stderr.write(`wrote ${out}\n`);
}

main().catch(e => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
