/**
 * One fitByPCA + fine-tuning run on the demo CNN with given options, for
 * choosing the CNN's fine-tuning options (examples/models.ts
 * CNN_FINE_TUNE; docs/CONV.md):
 *
 *   npx ts-node --transpile-only bench/fit-cnn-variant.ts \
 *       '{"fitBatchSize": 64}' [--data DIR]
 *
 * The options (JSON) are passed to `fitByPCA(model, x, y, {fineTuneEpochs:
 * 1, ...options})` on the CNN of examples/models.ts (seed 0, Adam 1e-3),
 * trained on the full Fashion-MNIST on wasm. It prints the test accuracy
 * of the computed weights before the epoch and after it, and the wall
 * seconds, and appends the same as one JSON line to
 * bench/results/fit-cnn-variants-wasm.jsonl. Runs are single and often
 * made two at a time, so their seconds are not comparable; the accuracy
 * is the figure.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {IMAGE_SIZE, loadFashionMnist} from '../examples/fashion-mnist';
import {buildCnn, compile, disposeModel, LEARNING_RATE, testAccuracy}
    from '../examples/models';
import {registerWasmConv2dGradients} from '../examples/wasm-conv2d-grad';
import {fitByPCA, FitByPcaOptions} from '../src';
import {checkDataDir, DEFAULT_DATA_DIR, gitState, load1m, selectBackend}
    from './common';

async function main() {
  const args = process.argv.slice(2);
  const dataAt = args.indexOf('--data');
  const dir = dataAt >= 0 ? args[dataAt + 1] : DEFAULT_DATA_DIR;
  const json = args.find((a, i) => i !== dataAt + 1 && a !== '--data') ??
      '{}';
  const options = JSON.parse(json) as FitByPcaOptions;
  checkDataDir('bench/fit-cnn-variant', dir, ['train', 't10k']);
  await selectBackend('wasm');
  registerWasmConv2dGradients();
  const git = gitState();
  const train = loadFashionMnist(dir, 'train');
  const test = loadFashionMnist(dir, 't10k');
  const shape = [IMAGE_SIZE, IMAGE_SIZE, 1];
  const x = tf.tensor(train.images, [train.labels.length, ...shape]);
  const y = tf.tensor1d(Float32Array.from(train.labels));
  const xTest = tf.tensor(test.images, [test.labels.length, ...shape]);
  const model = buildCnn(0);
  compile(model, LEARNING_RATE);
  const loadStart = load1m();
  const start = Date.now();
  let before = NaN;
  let excluded = 0;
  await fitByPCA(model, x, y, {
    fineTuneEpochs: 1, ...options,
    onLayerEnd: layer => {
      if (layer.role === 'output') {
        const t = Date.now();
        before = testAccuracy(model, xTest, test.labels);
        excluded += Date.now() - t;
      }
    },
  });
  const wall = (Date.now() - start - excluded) / 1000;
  const after = testAccuracy(model, xTest, test.labels);
  disposeModel(model);
  tf.dispose([x, y, xTest]);
  const line = {date: new Date().toISOString(), ...git, options,
                before, after, wallSeconds: wall,
                load1m: {start: loadStart, end: load1m()}};
  fs.appendFileSync(
      path.join(__dirname, 'results', 'fit-cnn-variants-wasm.jsonl'),
      `${JSON.stringify(line)}\n`);
  process.stdout.write(
      `${json}: before fine-tuning ${(100 * before).toFixed(2)}%, after ` +
      `${(100 * after).toFixed(2)}%, ${wall.toFixed(1)} s\n`);
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
