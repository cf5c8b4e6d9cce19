/**
 * Fashion-MNIST demo of tfjs-pca: `npm run demo -- [options]`.
 *
 * Compares, on the same data and for the same number of epochs:
 *
 * 1. a Dense ReLU layer whose weights come from the class-based PCA of the
 *    pixels (`PcaInitializer`), kept frozen, with a softmax readout trained
 *    on its features;
 * 2. the MLP 784-units-10 with that layer as its initial first layer,
 *    trained end to end;
 * 3. the same MLP from a random (Glorot) initialization, trained end to end.
 *
 * Every model is trained with Adam (batch 128) on a seeded shuffle, so a
 * run repeats for a given `--seed` and backend: the two MLPs with learning
 * rate 1e-3, the readout of row 1 with 1e-2 (it is a linear softmax
 * problem on fixed features, which 1e-3 leaves underfit after a few
 * epochs of 8,000 images). The table goes to stdout, progress bars to
 * stderr, and every figure and option to `<out>/report.json`.
 *
 * @packageDocumentation
 */

import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {classPca, ClassPcaResult, PcaInitializer, PcaProgress} from '../src';
import {FashionMnistData, loadCommittedSplit, loadFashionMnist, NUM_CLASSES,
        NUM_PIXELS} from './fashion-mnist';

const BACKENDS = ['wasm', 'cpu', 'tensorflow'] as const;
type BackendName = typeof BACKENDS[number];

const TFJS_NODE_HINT =
    '@tensorflow/tfjs-node must be installed for --backend tensorflow ' +
    '(it is an optional peer dependency of tfjs-pca):\n' +
    '  npm install @tensorflow/tfjs-node';

const USAGE = `Usage: npm run demo -- [options]

Options:
  --backend NAME  wasm (default), cpu, or tensorflow (needs
                  @tensorflow/tfjs-node: npm install @tensorflow/tfjs-node)
  --data DIR      folder with the full Fashion-MNIST IDX files (train and
                  t10k), e.g. /usr/share/datasets/fashion-mnist. Defaults to
                  the committed t10k set, split 8,000 train / 2,000 test.
  --units N       units of the hidden layer (default 250)
  --epochs N      training epochs of every model (default 5)
  --seed N        seed of initializations, shuffles and the PCA (default 0)
  --lr X          Adam learning rate of the end-to-end MLPs (default 0.001)
  --readout-lr X  Adam learning rate of the readout trained on the frozen
                  class-PCA features (default 0.01)
  --out DIR       report folder (default reports/demo-<timestamp>)
  --help          print this message
`;

/** Options of one run, as parsed from the command line. */
interface DemoOptions {
  backend: BackendName;
  data: string|null;
  units: number;
  epochs: number;
  seed: number;
  lr: number;
  readoutLr: number;
  out: string;
}

/** Batch size of every model's training. */
const BATCH_SIZE = 128;

/**
 * Batch size of `model.predict`. Each batch carries a fixed overhead on
 * `wasm`: over 60,000 images, batches of 32 take about a minute, of 2,048
 * about 7 s, of 16,384 about 2 s, against 1 s for the bare product. The
 * largest batch here holds 16,384 × 784 floats (51 MB).
 */
const PREDICT_BATCH_SIZE = 16384;

/** Training and test images with labels, as tensors. */
interface Split {
  xTrain: tf.Tensor2D;
  yTrain: tf.Tensor1D;
  xTest: tf.Tensor2D;
  yTest: Int32Array;
  trainLabels: Int32Array;
  source: string;
}

/** What one row of the table measured. */
interface MethodResult {
  method: string;
  testAccuracy: number;
  wallSeconds: number;
  /** Test accuracy after each epoch. */
  testAccuracyPerEpoch: number[];
  /** Mean training loss of each epoch. */
  trainLossPerEpoch: number[];
  notes: string;
}

// ---------------------------------------------------------------------------
// Command line

class UsageError extends Error {}

function parseArgs(argv: string[]): DemoOptions|null {
  const o: DemoOptions = {
    backend: 'wasm',
    data: null,
    units: 250,
    epochs: 5,
    seed: 0,
    lr: 1e-3,
    readoutLr: 1e-2,
    out: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      return null;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) {
      throw new UsageError(`${flag} needs a value.`);
    }
    i++;
    switch (flag) {
      case '--backend':
        if (!(BACKENDS as readonly string[]).includes(value)) {
          throw new UsageError(
              `--backend must be one of ${BACKENDS.join(', ')}, ` +
              `received "${value}".`);
        }
        o.backend = value as BackendName;
        break;
      case '--data':
        o.data = path.resolve(value);
        break;
      case '--units':
        o.units = positiveInteger(flag, value);
        break;
      case '--epochs':
        o.epochs = positiveInteger(flag, value);
        break;
      case '--seed':
        o.seed = nonNegativeInteger(flag, value);
        break;
      case '--lr':
        o.lr = positiveNumber(flag, value);
        break;
      case '--readout-lr':
        o.readoutLr = positiveNumber(flag, value);
        break;
      case '--out':
        o.out = path.resolve(value);
        break;
      default:
        throw new UsageError(`unknown option "${flag}".`);
    }
  }
  if (o.out === '') {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    o.out = path.resolve(__dirname, '..', 'reports', `demo-${stamp}`);
  }
  return o;
}

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(
        `${flag} must be a positive integer, received "${value}".`);
  }
  return n;
}

function positiveNumber(flag: string, value: string): number {
  const x = Number(value);
  if (!(x > 0) || !Number.isFinite(x)) {
    throw new UsageError(
        `${flag} must be a positive number, received "${value}".`);
  }
  return x;
}

function nonNegativeInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new UsageError(
        `${flag} must be an integer in [0, 2^32), received "${value}".`);
  }
  return n;
}

// ---------------------------------------------------------------------------
// Backend

/**
 * Selects the backend. `tensorflow` is loaded only when asked for, since
 * tfjs-node is an optional peer dependency.
 */
async function selectBackend(name: BackendName): Promise<void> {
  if (name === 'wasm') {
    // Registers the backend; in Node it finds its .wasm files by itself.
    require('@tensorflow/tfjs-backend-wasm');
  }
  if (name === 'tensorflow') {
    process.stderr.write(
        'backend tensorflow: loading @tensorflow/tfjs-node ' +
        '(npm install @tensorflow/tfjs-node if it is missing)\n');
    try {
      require('@tensorflow/tfjs-node');
    } catch (e) {
      process.stderr.write(
          `demo: ${TFJS_NODE_HINT}\n` +
          `(loading it failed: ${firstLine((e as Error).message)})\n`);
      process.exit(1);
    }
  }
  if (!(await tf.setBackend(name))) {
    throw new Error(`the TensorFlow.js backend "${name}" failed to start.`);
  }
  await tf.ready();
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

// ---------------------------------------------------------------------------
// Progress

/** A one-line progress bar on stderr; a single summary line off a TTY. */
class ProgressBar {
  private readonly start = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastDraw = 0;
  private finished = false;

  constructor(private readonly label: string, private total: number) {}

  /** Shows `done` of `total` units (a negative total: unknown). */
  update(done: number, total = this.total): void {
    this.total = total;
    const now = Date.now();
    if (!this.tty || (now - this.lastDraw < 100 && done < total)) {
      return;
    }
    this.lastDraw = now;
    process.stderr.write(`\r${this.line(done)}\x1b[K`);
  }

  /** Draws the final state and ends the line. */
  finish(done = this.total, detail = ''): void {
    if (this.finished) {
      return;
    }
    this.finished = true;
    const tail = detail === '' ? '' : `  ${detail}`;
    process.stderr.write(
        `${this.tty ? '\r' : ''}${this.line(done)}${tail}` +
        `${this.tty ? '\x1b[K' : ''}\n`);
  }

  private line(done: number): string {
    const seconds = ((Date.now() - this.start) / 1000).toFixed(1);
    if (this.total <= 0) {
      return `${this.label} ${done}  ${seconds} s`;
    }
    const width = 30;
    const fraction = Math.min(1, done / this.total);
    const filled = Math.round(fraction * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const percent = (100 * fraction).toFixed(0).padStart(3);
    return `${this.label} [${bar}] ${percent}% ${done}/${this.total}  ` +
        `${seconds} s`;
  }
}

// ---------------------------------------------------------------------------
// Data

function loadSplit(dataDir: string|null): Split {
  let train: FashionMnistData;
  let test: FashionMnistData;
  let source: string;
  if (dataDir === null) {
    ({train, test} = loadCommittedSplit());
    source = 'committed t10k set (data/fashion-mnist): images 0..7999 ' +
        'train, 8000..9999 test';
  } else {
    train = loadFashionMnist(dataDir, 'train');
    test = loadFashionMnist(dataDir, 't10k');
    source = `${dataDir}: train (60,000) and t10k (10,000)`;
  }
  return {
    xTrain: tf.tensor2d(train.images, [train.count, NUM_PIXELS]),
    yTrain: tf.tensor1d(train.labels, 'int32'),
    xTest: tf.tensor2d(test.images, [test.count, NUM_PIXELS]),
    yTest: test.labels,
    trainLabels: train.labels,
    source,
  };
}

// ---------------------------------------------------------------------------
// Seeded shuffling (tfjs's own shuffle in model.fit uses Math.random)

/** mulberry32: a small seeded generator of uniform draws in [0, 1). */
function seededUniform(seed: number): () => number {
  let state = (seed ^ 0x5bd1e995) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function permutation(n: number, uniform: () => number): Int32Array {
  const p = Int32Array.from({length: n}, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  return p;
}

/** Rows `order` of a row-major [n, width] array, copied on the host. */
function permuteRows(
    values: Float32Array, width: number, order: Int32Array): Float32Array {
  const out = new Float32Array(order.length * width);
  order.forEach((row, i) => {
    out.set(values.subarray(row * width, (row + 1) * width), i * width);
  });
  return out;
}

// ---------------------------------------------------------------------------
// Training

/**
 * Trains `model` for `epochs` epochs on the rows of `x` (row-major, `width`
 * columns) with one-hot targets, reshuffled with a seeded permutation each
 * epoch, and measures test accuracy after each epoch.
 */
async function train(
    label: string, model: tf.LayersModel, x: Float32Array, width: number,
    labels: Int32Array, epochs: number, seed: number,
    testAccuracy: () => number):
    Promise<{loss: number[], accuracy: number[]}> {
  const n = labels.length;
  const uniform = seededUniform(seed);
  const batches = Math.ceil(n / BATCH_SIZE);
  const bar = new ProgressBar(label, epochs * batches);
  const loss: number[] = [];
  const accuracy: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = permutation(n, uniform);
    const xs = tf.tensor2d(permuteRows(x, width, order), [n, width]);
    const ys = tf.tidy(() => tf.oneHot(
        tf.tensor1d(Int32Array.from(order, i => labels[i]), 'int32'),
        NUM_CLASSES));
    try {
      const history = await model.fit(xs, ys, {
        epochs: 1,
        batchSize: BATCH_SIZE,
        shuffle: false,
        verbose: 0,
        callbacks: {
          onBatchEnd: async (batch: number) =>
              bar.update(epoch * batches + batch + 1),
        },
      });
      loss.push(history.history.loss[0] as number);
    } finally {
      xs.dispose();
      ys.dispose();
    }
    accuracy.push(testAccuracy());
  }
  bar.finish(epochs * batches,
             `test accuracy by epoch: ${accuracy.map(percent).join(' ')}`);
  return {loss, accuracy};
}

/** The fraction of rows of `x` whose predicted class is `labels`. */
function accuracyOf(
    model: tf.LayersModel, x: tf.Tensor2D, labels: Int32Array): number {
  const predicted = tf.tidy(() => tf.argMax(
      model.predict(x, {batchSize: PREDICT_BATCH_SIZE}) as tf.Tensor2D, 1)
      .dataSync());
  let correct = 0;
  labels.forEach((c, i) => {
    correct += predicted[i] === c ? 1 : 0;
  });
  return correct / labels.length;
}

function compile(model: tf.LayersModel, learningRate: number): void {
  model.compile({
    optimizer: tf.train.adam(learningRate),
    loss: 'categoricalCrossentropy',
  });
}

/** Glorot-uniform initializers with a seed of their own per layer. */
function glorot(seed: number) {
  return tf.initializers.glorotUniform({seed});
}

/** A softmax readout Dense(10), the output layer of every model. */
function readoutLayer(seed: number, inputDim?: number): tf.layers.Layer {
  return tf.layers.dense({
    units: NUM_CLASSES,
    activation: 'softmax',
    kernelInitializer: glorot(seed),
    ...(inputDim === undefined ? {} : {inputShape: [inputDim]}),
  });
}

// ---------------------------------------------------------------------------
// The three methods

/**
 * Row 1: a frozen class-based PCA layer and a softmax readout trained on its
 * features, computed once. Returns the result and the initializer, whose
 * PCA row 2 reuses.
 */
async function frozenPcaLayer(data: Split, o: DemoOptions):
    Promise<{result: MethodResult, init: PcaInitializer,
             pcaSeconds: number}> {
  const start = Date.now();

  // Building the layer runs the class-based PCA of its input, x.
  const init = new PcaInitializer(
      {x: data.xTrain, y: data.yTrain, seed: o.seed});
  const features = tf.sequential({layers: [tf.layers.dense({
    inputShape: [NUM_PIXELS],
    units: o.units,
    activation: 'relu',
    kernelInitializer: init,
    biasInitializer: init.biasInitializer(),
    trainable: false,
  })]});
  const pcaSeconds = (Date.now() - start) / 1000;

  const predictOptions = {batchSize: PREDICT_BATCH_SIZE};
  const trainFeatures = tf.tidy(() => (features.predict(
      data.xTrain, predictOptions) as tf.Tensor2D).dataSync());
  const testFeatures =
      features.predict(data.xTest, predictOptions) as tf.Tensor2D;
  const readout = tf.sequential(
      {layers: [readoutLayer(o.seed + 1, o.units)]});
  compile(readout, o.readoutLr);
  const history = await train(
      'frozen PCA layer + readout', readout, trainFeatures as Float32Array,
      o.units, data.trainLabels, o.epochs, o.seed,
      () => accuracyOf(readout, testFeatures, data.yTest));
  testFeatures.dispose();
  features.dispose();
  readout.dispose();

  return {
    result: {
      method: `class-PCA layer (frozen) + softmax readout`,
      testAccuracy: history.accuracy[history.accuracy.length - 1],
      wallSeconds: (Date.now() - start) / 1000,
      testAccuracyPerEpoch: history.accuracy,
      trainLossPerEpoch: history.loss,
      notes: `readout lr ${o.readoutLr}; the time includes the layer's ` +
          `class-based PCA (${pcaSeconds.toFixed(1)} s) and its features, ` +
          `computed once`,
    },
    init,
    pcaSeconds,
  };
}

/**
 * Rows 2 and 3: the MLP 784-units-10 trained end to end, its first layer
 * from `init` (class-based PCA) or Glorot-uniform.
 */
async function endToEndMlp(
    data: Split, trainImages: Float32Array, o: DemoOptions,
    init: PcaInitializer|null, pcaSeconds: number): Promise<MethodResult> {
  const start = Date.now();
  const hidden = init === null ?
      {kernelInitializer: glorot(o.seed + 2)} :
      {kernelInitializer: init, biasInitializer: init.biasInitializer()};
  const model = tf.sequential({layers: [
    tf.layers.dense({
      inputShape: [NUM_PIXELS],
      units: o.units,
      activation: 'relu',
      ...hidden,
    }),
    readoutLayer(o.seed + 3),
  ]});
  compile(model, o.lr);
  const name = init === null ?
      `MLP ${NUM_PIXELS}-${o.units}-10, random init` :
      `MLP ${NUM_PIXELS}-${o.units}-10, class-PCA init`;
  const history = await train(
      name, model, trainImages, NUM_PIXELS, data.trainLabels, o.epochs,
      o.seed, () => accuracyOf(model, data.xTest, data.yTest));
  model.dispose();
  const trainSeconds = (Date.now() - start) / 1000;
  return {
    method: `${name}, trained end to end`,
    testAccuracy: history.accuracy[history.accuracy.length - 1],
    wallSeconds: trainSeconds + pcaSeconds,
    testAccuracyPerEpoch: history.accuracy,
    trainLossPerEpoch: history.loss,
    notes: `lr ${o.lr}; ` + (init === null ? 'Glorot-uniform first layer' :
        `reuses the PCA of the frozen row; its ${pcaSeconds.toFixed(1)} s ` +
        `are counted here too`),
  };
}

// ---------------------------------------------------------------------------
// Class-based PCA on its own, with a progress bar

interface PcaSummary {
  seconds: number;
  statisticsSeconds: number;
  componentsPerClass: number[];
  iterations: number[];
  shortfalls: ClassPcaResult['shortfalls'];
  /** Per class, the share of the class matrix's trace its components hold. */
  explainedVarianceRatio: number[];
}

async function runClassPca(data: Split, o: DemoOptions):
    Promise<PcaSummary> {
  const bar = new ProgressBar('class-based PCA: statistics', 0);
  const start = Date.now();
  let statisticsSeconds = 0;
  const onProgress = (p: PcaProgress) => {
    if (p.stage === 'statistics') {
      bar.update(p.done, p.total);
      statisticsSeconds = (Date.now() - start) / 1000;
      return;
    }
    bar.finish(data.trainLabels.length);
  };
  const pca = await classPca(data.xTrain, data.yTrain, {
    totalComponents: o.units,
    seed: o.seed,
    onProgress,
  });
  bar.finish(data.trainLabels.length);
  const seconds = (Date.now() - start) / 1000;
  const summary: PcaSummary = {
    seconds,
    statisticsSeconds,
    componentsPerClass: pca.classes.map(c => c.numComponents),
    iterations: pca.iterations,
    shortfalls: pca.shortfalls,
    explainedVarianceRatio: pca.classes.map(
        c => c.explainedVarianceRatio.reduce((a, b) => a + b, 0)),
  };
  process.stderr.write(
      `class-based PCA: ${pca.numClasses} classes x ` +
      `${summary.componentsPerClass.join('/')} components of ${pca.dim} ` +
      `features in ${seconds.toFixed(1)} s (statistics ` +
      `${statisticsSeconds.toFixed(1)} s); solver iterations ` +
      `${pca.iterations.join(' ')}; share of each class's second moment ` +
      `held: ${summary.explainedVarianceRatio.map(percent).join(' ')}\n`);
  return summary;
}

// ---------------------------------------------------------------------------
// Output

function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}

/** √(p(1 − p) / n): the binomial standard error of an accuracy p. */
function standardError(p: number, n: number): number {
  return Math.sqrt(p * (1 - p) / n);
}

function table(rows: MethodResult[]): string {
  const header = ['method', 'test accuracy', 'wall s'];
  const cells = rows.map(r => [
    r.method, percent(r.testAccuracy), r.wallSeconds.toFixed(1),
  ]);
  const widths = header.map(
      (h, j) => Math.max(h.length, ...cells.map(c => c[j].length)));
  const line = (c: string[]) => `| ${c[0].padEnd(widths[0])} | ` +
      `${c[1].padStart(widths[1])} | ${c[2].padStart(widths[2])} |`;
  const rule = `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

/** The checked-out commit, or null outside a git work tree. */
function gitCommit(): string|null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: __dirname,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

function packageVersion(name: string): string|null {
  try {
    return (require(`${name}/package.json`) as {version: string}).version;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  let o: DemoOptions|null;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`demo: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw e;
  }
  if (o === null) {
    process.stdout.write(USAGE);
    return;
  }
  const runStart = Date.now();
  const loadAtStart = os.loadavg()[0];
  await selectBackend(o.backend);

  const data = loadSplit(o.data);
  const trainImages = data.xTrain.dataSync() as Float32Array;
  process.stderr.write(
      `backend ${tf.getBackend()}; data: ${data.source}; ` +
      `${data.xTrain.shape[0]} train / ${data.xTest.shape[0]} test images; ` +
      `${o.units} units, ${o.epochs} epochs, seed ${o.seed}\n`);

  const pca = await runClassPca(data, o);
  const frozen = await frozenPcaLayer(data, o);
  const pcaInit = await endToEndMlp(
      data, trainImages, o, frozen.init, frozen.pcaSeconds);
  const random = await endToEndMlp(data, trainImages, o, null, 0);
  const rows = [frozen.result, pcaInit, random];
  const totalSeconds = (Date.now() - runStart) / 1000;

  const text = table(rows);
  const testCount = data.xTest.shape[0];
  const error = standardError(rows[rows.length - 1].testAccuracy, testCount);
  process.stdout.write(
      `\nFashion-MNIST, ${data.xTrain.shape[0]} train / ${testCount} test ` +
      `images, backend ${tf.getBackend()}, ${o.epochs} epochs of Adam ` +
      `(batch ${BATCH_SIZE}):\n\n${text}\n\n`);
  rows.forEach(r => process.stdout.write(`- ${r.method}: ${r.notes}.\n`));
  process.stdout.write(
      `- On ${testCount} test images an accuracy near ` +
      `${percent(rows[rows.length - 1].testAccuracy)} has a standard error ` +
      `of ${(100 * error).toFixed(1)} points.\n`);

  fs.mkdirSync(o.out, {recursive: true});
  const report = {
    date: new Date().toISOString(),
    options: {...o, batchSize: BATCH_SIZE, optimizer: 'adam',
              loss: 'categoricalCrossentropy'},
    data: {
      source: data.source,
      trainImages: data.xTrain.shape[0],
      testImages: data.xTest.shape[0],
      pixelScale: '0..255 -> [0, 1]',
    },
    environment: {
      backend: tf.getBackend(),
      node: process.version,
      tfjs: packageVersion('@tensorflow/tfjs'),
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      // Wall times stretch when other processes share the cores.
      loadAverage1m: {start: loadAtStart, end: os.loadavg()[0]},
      commit: gitCommit(),
    },
    classPca: pca,
    results: rows.map(r => ({
      ...r,
      testAccuracyStandardError: standardError(r.testAccuracy, testCount),
    })),
    totalSeconds,
  };
  const reportFile = path.join(o.out, 'report.json');
  fs.writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(o.out, 'table.md'), `${text}\n`);
  process.stdout.write(
      `\nTotal ${totalSeconds.toFixed(1)} s. Report: ${reportFile}\n`);
}

main().catch(e => {
  process.stderr.write(`demo failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
