/**
 * One fitByPCA run, with or without fine-tuning, on the demo's CNN or MLP
 * with given options, for choosing defaults (docs/CONV.md,
 * docs/BENCHMARKS.md):
 *
 *   npx ts-node --transpile-only bench/fit-variant.ts \
 *       '{"fitBatchSize": 64}' [--model cnn|mlp] [--fine-tune-epochs 1]
 *       [--data DIR] [--callback]
 *
 * The options (JSON) are passed to `fitByPCA(model, x, y, {fineTuneEpochs,
 * ...options})` on the model of examples/models.ts (seed 0, compiled with
 * Adam 1e-3), trained on the full Fashion-MNIST on wasm; `--model`
 * defaults to cnn, `--fine-tune-epochs` to 1 (0: fitByPCA alone). With
 * `--callback` they go to a `FitByPcaCallback({x, y, ...options})` of
 * `model.fit(x, y, {epochs: <fine-tuning epochs>, batchSize: 128})`
 * instead: the user's own training is the fine-tuning. It
 * prints the test accuracy of the computed weights (before fine-tuning)
 * and at the end, and the wall seconds without the evaluations, and
 * appends the same as one JSON line to
 * bench/results/fit-<model>-variants-wasm.jsonl. Runs are single and often
 * made two at a time, so their seconds are only roughly comparable; the
 * accuracy is the figure.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {IMAGE_SIZE, loadFashionMnist, NUM_PIXELS}
    from '../examples/fashion-mnist';
import {BATCH_SIZE, buildCnn, buildMlp, compile, disposeModel, LEARNING_RATE,
        testAccuracy} from '../examples/models';
import {registerWasmConv2dGradients} from '../examples/wasm-conv2d-grad';
import {fitByPCA, FitByPcaCallback, FitByPcaOptions, FitByPcaReport}
    from '../src';
import {checkDataDir, DEFAULT_DATA_DIR, gitState, load1m, selectBackend}
    from './common';

interface Args {
  options: FitByPcaOptions;
  json: string;
  model: 'cnn'|'mlp';
  fineTuneEpochs: number;
  dir: string;
  callback: boolean;
}

function usage(problem: string): never {
  process.stderr.write(
      `${problem}\nusage: ts-node --transpile-only bench/fit-variant.ts ` +
      `'{json options}' [--model cnn|mlp] [--fine-tune-epochs 1] ` +
      `[--data DIR] [--callback]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = {options: {}, json: '{}', model: 'cnn', fineTuneEpochs: 1,
                   dir: DEFAULT_DATA_DIR, callback: false};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (!flag.startsWith('--')) {
      a.json = flag;
      try {
        a.options = JSON.parse(flag) as FitByPcaOptions;
      } catch (e) {
        usage(`the options must be JSON: ${(e as Error).message}`);
      }
      continue;
    }
    if (flag === '--callback') {
      a.callback = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) {
      usage(`${flag} needs a value`);
    }
    if (flag === '--model' && (value === 'cnn' || value === 'mlp')) {
      a.model = value;
    } else if (flag === '--fine-tune-epochs' &&
               Number.isInteger(Number(value)) && Number(value) >= 0) {
      a.fineTuneEpochs = Number(value);
    } else if (flag === '--data') {
      a.dir = value;
    } else {
      usage(`bad option ${flag} ${value}`);
    }
  }
  return a;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  checkDataDir('bench/fit-variant', a.dir, ['train', 't10k']);
  await selectBackend('wasm');
  registerWasmConv2dGradients();
  const git = gitState();
  const train = loadFashionMnist(a.dir, 'train');
  const test = loadFashionMnist(a.dir, 't10k');
  const shape = a.model === 'cnn' ? [IMAGE_SIZE, IMAGE_SIZE, 1] : [NUM_PIXELS];
  const x = tf.tensor(train.images, [train.labels.length, ...shape]);
  const y = tf.tensor1d(Float32Array.from(train.labels));
  const xTest = tf.tensor(test.images, [test.labels.length, ...shape]);
  const model = a.model === 'cnn' ? buildCnn(0) : buildMlp([256, 256], 0);
  compile(model, LEARNING_RATE);
  const loadStart = load1m();
  const start = Date.now();
  let before = NaN;
  let excluded = 0;
  const options: FitByPcaOptions = {
    ...a.options,
    onLayerEnd: layer => {
      if (layer.role === 'output') {
        const t = Date.now();
        before = testAccuracy(model, xTest, test.labels);
        excluded += Date.now() - t;
      }
    },
  };
  let report: FitByPcaReport;
  if (a.callback) {
    const callback = new FitByPcaCallback({x, y, ...options});
    await model.fit(x, y, {epochs: a.fineTuneEpochs, batchSize: BATCH_SIZE,
                           shuffle: true, callbacks: [callback]});
    report = callback.report as FitByPcaReport;
  } else {
    report = await fitByPCA(
        model, x, y, {fineTuneEpochs: a.fineTuneEpochs, ...options});
  }
  const wall = (Date.now() - start - excluded) / 1000;
  const after = testAccuracy(model, xTest, test.labels);
  disposeModel(model);
  tf.dispose([x, y, xTest]);
  const line = {date: new Date().toISOString(), ...git, model: a.model,
                fineTuneEpochs: a.fineTuneEpochs,
                ...(a.callback ? {mode: 'FitByPcaCallback'} : {}),
                options: a.options,
                before, after, wallSeconds: wall,
                layerSeconds: report.layers.map(l => l.seconds),
                load1m: {start: loadStart, end: load1m()}};
  fs.appendFileSync(
      path.join(__dirname, 'results', `fit-${a.model}-variants-wasm.jsonl`),
      `${JSON.stringify(line)}\n`);
  process.stdout.write(
      `${a.model} ${a.json}${a.callback ? ' (callback)' : ''}, ` +
      `${a.fineTuneEpochs} fine-tuning epoch(s): ` +
      `computed ${(100 * before).toFixed(2)}%, end ` +
      `${(100 * after).toFixed(2)}%, ${wall.toFixed(1)} s (layers ` +
      `${report.layers.map(l => l.seconds.toFixed(1)).join(', ')} s)\n`);
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
