/**
 * Fashion-MNIST demo of tfjs-pca: `npm run demo -- [options]`.
 *
 * Trains the same model, the MLP 784-256-256-10 (ReLU, softmax) by
 * default or with `--model cnn` the CNN conv 5×5×32 → max-pool 2 → conv
 * 5×5×64 → max-pool 2 → dense 10, three ways, on the same backend, and
 * prints one table of test accuracy and wall time:
 *
 * 1. `fitByPCA(model, x, y)`: every layer computed directly, hidden layers
 *    from the class-based PCA of their input and the output layer in
 *    closed form; no backpropagation. The library's defaults.
 * 2. `fitByPCA(model, x, y, {fineTuneEpochs: 1})`: the same, then one epoch
 *    of ordinary end-to-end training (Adam 1e-3).
 * 3. `model.fit` with Adam 1e-3 from the usual random initialization for
 *    `--epochs` epochs (default 5 for the MLP, 3 for the CNN), batch size
 *    128.
 *
 * Each row starts from a fresh model with the same seeded initial weights.
 * Its wall time runs from the call of the method to weights ready; the
 * evaluations of the test set (after each epoch of row 3, and before the
 * fine-tuning epoch of row 2) are left out. The table goes to stdout,
 * progress to stderr, and every figure, the options and the machine's
 * load to `<out>/report.json`, with a picture of the first layer's weights
 * (the CNN's first filters) computed by fitByPCA in
 * `<out>/first-layer.png`.
 *
 * With `--monitor` it does something else: ordinary SGD training of the
 * same MLP with a TimeScaleMonitor, printing the time-scale table after
 * each epoch and writing the charts to `<out>/time-scales.html` (see
 * examples/time-scale-demo.ts).
 *
 * @packageDocumentation
 */

import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {fitByPCA, FitByPcaOptions, FitByPcaReport, LayerReport} from '../src';
import {FIT_DEFAULTS} from '../src/fit/options';
import {CLASS_NAMES, FashionMnistData, IMAGE_SIZE, loadCommittedSplit,
        loadFashionMnist, NUM_CLASSES, NUM_PIXELS} from './fashion-mnist';
import {BATCH_SIZE, buildCnn, buildMlp, CNN_ARCHITECTURE,
        CNN_KERNEL,
        compile, disposeModel, EVALUATION_BATCH, testAccuracy as accuracyOn}
    from './models';
import {encodeGrayscalePng} from './png';
import {runMonitorDemo} from './time-scale-demo';
import {registerWasmConv2dGradients} from './wasm-conv2d-grad';

const BACKENDS = ['wasm', 'cpu', 'tensorflow'] as const;
type BackendName = typeof BACKENDS[number];

const TFJS_NODE_HINT =
    '@tensorflow/tfjs-node must be installed for --backend tensorflow ' +
    '(it is an optional peer dependency of tfjs-pca):\n' +
    '  npm install @tensorflow/tfjs-node';

const MODELS = ['mlp', 'cnn'] as const;
type ModelName = typeof MODELS[number];

const USAGE = `Usage: npm run demo -- [options]

Trains the MLP 784-<units>-10, or the CNN conv 5x5x32 - max-pool 2 - conv
5x5x64 - max-pool 2 - dense 10, on Fashion-MNIST with fitByPCA (no
backpropagation), fitByPCA plus one epoch of fine-tuning, and model.fit
from a random initialization, and prints test accuracy and wall time.

Options:
  --model NAME    mlp (default) or cnn
  --backend NAME  wasm (default), cpu, or tensorflow (needs
                  @tensorflow/tfjs-node: npm install @tensorflow/tfjs-node)
  --data DIR      folder with the full Fashion-MNIST IDX files (train and
                  t10k), e.g. /usr/share/datasets/fashion-mnist. Defaults to
                  the committed t10k set, split 8,000 train / 2,000 test.
  --units LIST    the MLP's hidden layer widths, comma-separated (default
                  256,256)
  --epochs N      epochs of the model.fit row (default 5; 3 for the CNN)
  --seed N        seed of every model's initial weights (default 0)
  --lr X          Adam learning rate of fine-tuning and model.fit
                  (default 0.001)
  --out DIR       report folder (default reports/demo-<timestamp>)
  --monitor       instead: train the MLP with plain SGD (lr 0.05,
                  batch 64) and a TimeScaleMonitor, print the
                  time-scale table each epoch and write charts to the
                  report folder. --epochs defaults to enough for 2,000
                  steps, --lr to 0.05.
  --help          print this message
`;

/** Options of one run, as parsed from the command line. */
interface DemoOptions {
  model: ModelName;
  backend: BackendName;
  data: string|null;
  units: number[];
  epochs: number;
  seed: number;
  lr: number;
  out: string;
  /** Train with plain SGD and a TimeScaleMonitor instead. */
  monitor: boolean;
  /** Whether --epochs and --lr were given (their defaults differ). */
  given: {epochs: boolean, lr: boolean};
}

/** Tiles per class in first-layer.png. */
const TILES_PER_CLASS = 16;

/** Each weight image is drawn at this many screen pixels per pixel. */
const TILE_SCALE = 2;

/** Gray level of the gaps between tiles and of empty tiles. */
const BACKGROUND = 96;

/** Training and test images with labels, as tensors. */
interface Split {
  /** Rows [N, 784] (MLP) or images [N, 28, 28, 1] (CNN). */
  xTrain: tf.Tensor;
  /** Class indices as float32, as tfjs's sparse losses require. */
  yTrain: tf.Tensor1D;
  xTest: tf.Tensor;
  yTest: Int32Array;
  source: string;
}

/** The machine's 1-minute load average around a measurement. */
interface Load {
  start: number;
  end: number;
}

/** What one row of the table measured. */
interface MethodResult {
  method: string;
  /** The call that was timed, as code. */
  call: string;
  testAccuracy: number;
  wallSeconds: number;
  /** Wall seconds over those of the model.fit row. */
  ratioToModelFit: number;
  /**
   * Test accuracy after each stage: for fitByPCA with fine-tuning, after
   * the computed weights and after the epoch; for model.fit, after each
   * epoch.
   */
  testAccuracyPerEpoch: number[];
  /** Mean training loss of each epoch of backpropagation. */
  trainLossPerEpoch: number[];
  /** Seconds of test evaluation during the method, left out of the time. */
  excludedSeconds: number;
  /** fitByPCA's own report, for the fitByPCA rows. */
  fitByPca: {
    layers: LayerReport[],
    train: FitByPcaReport['train'],
    seconds: number,
    /**
     * Seconds inside fitByPCA after its last layer was set: fine-tuning,
     * its evaluation of the training rows and clean-up.
     */
    afterLayersSeconds: number,
  }|null;
  load: Load;
}

// ---------------------------------------------------------------------------
// Command line

class UsageError extends Error {}

function parseArgs(argv: string[]): DemoOptions|null {
  const o: DemoOptions = {
    model: 'mlp',
    backend: 'wasm',
    data: null,
    units: [256, 256],
    epochs: 0,
    seed: 0,
    lr: 1e-3,
    out: '',
    monitor: false,
    given: {epochs: false, lr: false},
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      return null;
    }
    if (flag === '--monitor') {
      o.monitor = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) {
      throw new UsageError(`${flag} needs a value.`);
    }
    i++;
    switch (flag) {
      case '--model':
        if (!(MODELS as readonly string[]).includes(value)) {
          throw new UsageError(
              `--model must be one of ${MODELS.join(', ')}, ` +
              `received "${value}".`);
        }
        o.model = value as ModelName;
        break;
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
        o.units = value.split(',').map(v => positiveInteger(flag, v.trim()));
        break;
      case '--epochs':
        o.epochs = positiveInteger(flag, value);
        o.given.epochs = true;
        break;
      case '--seed':
        o.seed = nonNegativeInteger(flag, value);
        break;
      case '--lr':
        o.lr = positiveNumber(flag, value);
        o.given.lr = true;
        break;
      case '--out':
        o.out = path.resolve(value);
        break;
      default:
        throw new UsageError(`unknown option "${flag}".`);
    }
  }
  if (o.monitor && o.model === 'cnn') {
    throw new UsageError(
        '--monitor trains the MLP; it does not take --model cnn.');
  }
  if (o.epochs === 0) {
    o.epochs = o.model === 'cnn' ? 3 : 5;
  }
  if (o.out === '') {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    o.out = path.resolve(__dirname, '..', 'reports', `demo-${stamp}`);
  }
  return o;
}

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (value === '' || !Number.isInteger(n) || n < 1) {
    throw new UsageError(
        `${flag} must be positive integers, received "${value}".`);
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

/** Backend flags that change its speed, for the report. */
function backendFlags(): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const name of ['WASM_HAS_SIMD_SUPPORT',
                      'WASM_HAS_MULTITHREAD_SUPPORT']) {
    try {
      flags[name] = tf.env().get(name);
    } catch {
      // Not registered on this backend.
    }
  }
  return flags;
}

// ---------------------------------------------------------------------------
// Progress of model.fit on stderr

/**
 * A progress bar for `model.fit(..., {verbose: 1})`, registered as tfjs's
 * callback for verbosity 1 (tfjs-node registers its own; plain tfjs has
 * none). It also serves the fine-tuning inside fitByPCA, which passes its
 * `verbose` on. On a terminal the bar is redrawn in place; elsewhere only
 * a line per epoch is written.
 */
class StderrProgress extends tf.Callback {
  private readonly tty = Boolean(process.stderr.isTTY);
  private epochStart = 0;
  private lastDraw = 0;
  private currentEpoch = 0;

  private get epochs(): number {
    return this.params.epochs as number;
  }

  private get batches(): number {
    const steps = this.params.steps as number|null|undefined;
    return steps ?? Math.ceil((this.params.samples as number) /
                              (this.params.batchSize as number));
  }

  async onEpochBegin(epoch: number): Promise<void> {
    this.epochStart = Date.now();
    this.draw(epoch, 0);
  }

  async onBatchEnd(batch: number): Promise<void> {
    const now = Date.now();
    if (this.tty && now - this.lastDraw >= 100) {
      this.lastDraw = now;
      this.draw(this.currentEpoch, batch + 1);
    }
  }

  async onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void> {
    const loss = logs?.loss as number|tf.Scalar|undefined;
    const value = typeof loss === 'number' ? loss :
        loss === undefined                 ? NaN :
                                             loss.dataSync()[0];
    const seconds = ((Date.now() - this.epochStart) / 1000).toFixed(1);
    process.stderr.write(
        `${this.tty ? '\r' : ''}model.fit: epoch ${epoch + 1}/` +
        `${this.epochs} loss ${value.toFixed(4)}  ${seconds} s` +
        `${this.tty ? '\x1b[K' : ''}\n`);
  }

  private draw(epoch: number, done: number): void {
    this.currentEpoch = epoch;
    if (!this.tty) {
      return;
    }
    const width = 24;
    const filled = Math.round(width * Math.min(1, done / this.batches));
    const bar = '='.repeat(filled).padEnd(width, ' ');
    const seconds = ((Date.now() - this.epochStart) / 1000).toFixed(1);
    process.stderr.write(
        `\rmodel.fit: epoch ${epoch + 1}/${this.epochs} [${bar}] ` +
        `${done}/${this.batches}  ${seconds} s\x1b[K`);
  }
}

// ---------------------------------------------------------------------------
// Data

/** Images as rows [N, 784] for the MLP, [N, 28, 28, 1] for the CNN. */
function loadSplit(dataDir: string|null, model: ModelName): Split {
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
  const shape = model === 'cnn' ? [IMAGE_SIZE, IMAGE_SIZE, 1] : [NUM_PIXELS];
  return {
    xTrain: tf.tensor(train.images, [train.count, ...shape]),
    yTrain: tf.tensor1d(Float32Array.from(train.labels), 'float32'),
    xTest: tf.tensor(test.images, [test.count, ...shape]),
    yTest: test.labels,
    source,
  };
}

// ---------------------------------------------------------------------------
// Models

/**
 * A fresh model of the kind `o.model`, with the same initial weights for
 * the same seed.
 */
function buildModel(o: DemoOptions): tf.Sequential {
  return o.model === 'cnn' ? buildCnn(o.seed) : buildMlp(o.units, o.seed);
}

/** The fraction of test rows whose largest output is their class. */
function testAccuracy(model: tf.LayersModel, data: Split): number {
  return accuracyOn(model, data.xTest, data.yTest);
}

/** Test accuracy and the seconds it took. */
function timedTestAccuracy(model: tf.LayersModel, data: Split):
    {accuracy: number, seconds: number} {
  const start = Date.now();
  const accuracy = testAccuracy(model, data);
  return {accuracy, seconds: (Date.now() - start) / 1000};
}

function load1m(): number {
  return os.loadavg()[0];
}

function seconds(since: number): number {
  return (Date.now() - since) / 1000;
}

// ---------------------------------------------------------------------------
// The three methods

/**
 * Rows 1 and 2: fitByPCA with the library's defaults, then
 * `fineTuneEpochs` epochs of model.fit. Returns the result, and the first
 * layer's kernel and report for the picture.
 */
async function byPca(data: Split, o: DemoOptions, fineTuneEpochs: number):
    Promise<{result: MethodResult, kernel: Float32Array}> {
  const model = buildModel(o);
  if (fineTuneEpochs > 0) {
    compile(model, o.lr);
  }
  const options: FitByPcaOptions = {verbose: 1};
  if (fineTuneEpochs > 0) {
    options.fineTuneEpochs = fineTuneEpochs;
  }
  const accuracies: number[] = [];
  let excluded = 0;
  let layersDone = 0;
  // Before fine-tuning, the computed weights are evaluated on the test set
  // too; that time is left out of the method's.
  options.onLayerEnd = (layer: LayerReport) => {
    if (layer.role === 'output') {
      layersDone = Date.now();
      if (fineTuneEpochs > 0) {
        const t = timedTestAccuracy(model, data);
        accuracies.push(t.accuracy);
        excluded += t.seconds;
        layersDone = Date.now();
      }
    }
  };
  const loadStart = load1m();
  const start = Date.now();
  const report = await fitByPCA(model, data.xTrain, data.yTrain, options);
  const wall = seconds(start) - excluded;
  const loadEnd = load1m();
  const afterLayers = seconds(layersDone);

  const accuracy = testAccuracy(model, data);
  accuracies.push(accuracy);
  const kernel = model.layers[0].getWeights()[0].dataSync() as Float32Array;
  disposeModel(model);
  process.stderr.write(`${report.toString()}\n`);

  const shown = {...options, verbose: undefined, onLayerEnd: undefined};
  const call = fineTuneEpochs > 0 ?
      `fitByPCA(model, x, y, ${JSON.stringify(shown)})` :
      'fitByPCA(model, x, y)';
  return {
    result: {
      method: fineTuneEpochs > 0 ?
          `fitByPCA + ${fineTuneEpochs} epoch of fine-tuning` :
          'fitByPCA (no backprop)',
      call,
      testAccuracy: accuracy,
      wallSeconds: wall,
      ratioToModelFit: NaN,
      testAccuracyPerEpoch: fineTuneEpochs > 0 ? accuracies : [],
      trainLossPerEpoch: [],
      excludedSeconds: excluded,
      fitByPca: {
        layers: report.layers,
        train: report.train,
        seconds: report.seconds,
        afterLayersSeconds: afterLayers,
      },
      load: {start: loadStart, end: loadEnd},
    },
    kernel,
  };
}

/** Row 3: model.fit from the random initialization, test after each epoch. */
async function byModelFit(data: Split, o: DemoOptions):
    Promise<MethodResult> {
  const model = buildModel(o);
  compile(model, o.lr);
  const accuracies: number[] = [];
  let excluded = 0;
  const loadStart = load1m();
  const start = Date.now();
  const history = await model.fit(data.xTrain, data.yTrain, {
    epochs: o.epochs,
    batchSize: BATCH_SIZE,
    shuffle: true,
    verbose: 1,
    callbacks: {
      onEpochEnd: async (epoch: number) => {
        const t = timedTestAccuracy(model, data);
        accuracies.push(t.accuracy);
        excluded += t.seconds;
        process.stderr.write(
            `model.fit: test accuracy after epoch ${epoch + 1}: ` +
            `${percent(t.accuracy)} (evaluated in ` +
            `${t.seconds.toFixed(1)} s, not counted)\n`);
      },
    },
  });
  const wall = seconds(start) - excluded;
  const loadEnd = load1m();
  disposeModel(model);
  return {
    method: `model.fit, ${o.epochs} epoch${o.epochs === 1 ? '' : 's'} ` +
        `(random init)`,
    call: `model.fit(x, y, {epochs: ${o.epochs}, batchSize: ${BATCH_SIZE}})`,
    testAccuracy: accuracies[accuracies.length - 1],
    wallSeconds: wall,
    ratioToModelFit: 1,
    testAccuracyPerEpoch: accuracies,
    trainLossPerEpoch: history.history.loss as number[],
    excludedSeconds: excluded,
    fitByPca: null,
    load: {start: loadStart, end: loadEnd},
  };
}

// ---------------------------------------------------------------------------
// Picture of the first layer

/** How first-layer weights are drawn: the MLP's or the CNN's. */
interface TileLayout {
  /** Weights along each side of a tile: 28 (MLP) or the kernel size. */
  side: number;
  /** Screen pixels per weight. */
  scale: number;
}

const MLP_TILES: TileLayout = {side: IMAGE_SIZE, scale: TILE_SCALE};

/** A 5×5 filter drawn at 8× is 40 pixels, near an MLP tile's 56. */
const CNN_TILES: TileLayout = {side: CNN_KERNEL, scale: 8};

/**
 * A grid of first-layer weight images, one row per class and up to
 * TILES_PER_CLASS units per class, each side×side tile (a 28×28 unit of
 * the MLP, a 5×5 filter of the CNN) scaled to its own min/max (black to
 * white). fitByPCA allocates the units to the classes in order,
 * `unitsPerClass[c]` consecutive units for class c (with `pairs`, as +w,
 * −w pairs). The kernel is row-major [side·side, units]: a Dense kernel
 * [784, units], or a Conv2D kernel [5, 5, 1, filters].
 */
function firstLayerPicture(
    kernel: Float32Array, units: number, unitsPerClass: number[],
    layout: TileLayout):
    {png: Buffer, width: number, height: number, shown: number[][]} {
  const {side, scale} = layout;
  const tile = side * scale;
  const gap = TILE_SCALE;
  const columns = Math.min(TILES_PER_CLASS, Math.max(...unitsPerClass));
  const rows = unitsPerClass.length;
  const width = columns * (tile + gap) + gap;
  const height = rows * (tile + gap) + gap;
  const pixels = new Uint8Array(width * height).fill(BACKGROUND);
  const shown: number[][] = [];
  let first = 0;
  unitsPerClass.forEach((count, c) => {
    const picked: number[] = [];
    for (let j = 0; j < Math.min(count, columns); j++) {
      const unit = first + j;
      picked.push(unit);
      const values = new Float32Array(side * side);
      for (let p = 0; p < side * side; p++) {
        values[p] = kernel[p * units + unit];
      }
      let lo = Infinity;
      let hi = -Infinity;
      values.forEach(v => {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      });
      const x0 = gap + j * (tile + gap);
      const y0 = gap + c * (tile + gap);
      for (let y = 0; y < tile; y++) {
        for (let x = 0; x < tile; x++) {
          const v = values[Math.floor(y / scale) * side +
                           Math.floor(x / scale)];
          pixels[(y0 + y) * width + x0 + x] =
              hi > lo ? Math.round(255 * (v - lo) / (hi - lo)) : 128;
        }
      }
    }
    shown.push(picked);
    first += count;
  });
  return {png: encodeGrayscalePng(pixels, width, height), width, height,
          shown};
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
  const header = ['method', 'test accuracy', 'wall s', '× model.fit'];
  const cells = rows.map(r => [
    r.method, percent(r.testAccuracy), r.wallSeconds.toFixed(1),
    r.ratioToModelFit.toFixed(2),
  ]);
  const widths = header.map(
      (h, j) => Math.max(h.length, ...cells.map(c => c[j].length)));
  const line = (c: string[]) => '| ' +
      c.map((v, j) => j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))
          .join(' | ') +
      ' |';
  const rule = '|' +
      widths.map((w, j) => '-'.repeat(w + 1) + (j === 0 ? '-' : ':'))
          .join('|') +
      '|';
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
  const loadAtStart = load1m();
  await selectBackend(o.backend);
  if (o.backend !== 'tensorflow') {
    // tfjs-node brings its own progress bar for verbose: 1.
    tf.registerCallbackConstructor(1, StderrProgress);
  }
  if (o.backend === 'wasm' && o.model === 'cnn') {
    // tfjs-backend-wasm cannot train a Conv2D layer without these.
    registerWasmConv2dGradients();
  }

  const data = loadSplit(o.data, o.model);
  const trainCount = data.xTrain.shape[0];
  const testCount = data.xTest.shape[0];
  const modelName = o.model === 'cnn' ? 'CNN' : 'MLP';
  const architecture = o.model === 'cnn' ?
      CNN_ARCHITECTURE :
      [NUM_PIXELS, ...o.units, NUM_CLASSES].join('-');
  process.stderr.write(
      `backend ${tf.getBackend()}; data: ${data.source}; ` +
      `${trainCount} train / ${testCount} test images; ${modelName} ` +
      `${architecture}; seed ${o.seed}\n`);
  if (o.monitor) {
    const options = o;
    process.stdout.write(await runMonitorDemo({
      ...data,
      xTrain: data.xTrain as tf.Tensor2D,
      xTest: data.xTest as tf.Tensor2D,
      buildModel: () => buildMlp(options.units, options.seed),
      epochs: o.given.epochs ? o.epochs : null,
      learningRate: o.given.lr ? o.lr : null,
      out: o.out,
      testAccuracy: model => testAccuracy(model, data),
    }));
    return;
  }

  process.stderr.write('\n1. fitByPCA(model, x, y)\n');
  const pca = await byPca(data, o, 0);
  process.stderr.write(
      '\n2. fitByPCA(model, x, y, {fineTuneEpochs: 1})\n');
  const tuned = await byPca(data, o, 1);
  process.stderr.write(
      `\n3. model.fit, ${o.epochs} epoch${o.epochs === 1 ? '' : 's'}\n`);
  const fit = await byModelFit(data, o);
  const rows = [pca.result, tuned.result, fit];
  rows.forEach(r => r.ratioToModelFit = r.wallSeconds / fit.wallSeconds);

  fs.mkdirSync(o.out, {recursive: true});
  const firstLayer = pca.result.fitByPca?.layers[0];
  let picture: {file: string, width: number, height: number,
                unitsShown: number[][]}|null = null;
  const layout = o.model === 'cnn' ? CNN_TILES : MLP_TILES;
  if (firstLayer !== undefined && firstLayer.role === 'pca') {
    const p = firstLayerPicture(pca.kernel, firstLayer.units,
                                firstLayer.unitsPerClass, layout);
    const file = path.join(o.out, 'first-layer.png');
    fs.writeFileSync(file, p.png);
    picture = {file, width: p.width, height: p.height, unitsShown: p.shown};
  }
  const totalSeconds = seconds(runStart);

  const text = table(rows);
  const error = standardError(fit.testAccuracy, testCount);
  const lines = [
    '',
    `Fashion-MNIST, ${trainCount} train / ${testCount} test images, ` +
        `${modelName} ${architecture}, backend ${tf.getBackend()}:`,
    '',
    text,
    '',
    `- model.fit (Adam ${o.lr}, batch ${BATCH_SIZE}), test accuracy by ` +
        `epoch: ${fit.testAccuracyPerEpoch.map(percent).join(', ')}.`,
    `- fitByPCA + fine-tuning: ${percent(tuned.result
        .testAccuracyPerEpoch[0])} before the epoch, ` +
        `${percent(tuned.result.testAccuracy)} after.`,
    `- Wall s: from the call to weights ready, test evaluations left ` +
        `out; the 1-minute load average went from ${loadAtStart.toFixed(1)}` +
        ` to ${load1m().toFixed(1)} on ${os.cpus().length} cores.`,
    `- On ${testCount} test images an accuracy near ` +
        `${percent(fit.testAccuracy)} has a standard error of ` +
        `${(100 * error).toFixed(1)} points.`,
    '',
    `Total ${totalSeconds.toFixed(1)} s. Report: ` +
        `${path.join(o.out, 'report.json')}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));

  const report = {
    date: new Date().toISOString(),
    options: {
      ...o,
      architecture,
      batchSize: BATCH_SIZE,
      optimizer: `adam(${o.lr})`,
      loss: 'sparseCategoricalCrossentropy (float32 class indices)',
      initialWeights: 'Glorot-uniform kernels with seed (seed + index ' +
          'among the layers with weights), zero biases; the same for every ' +
          'row',
      fitByPcaDefaults: FIT_DEFAULTS,
      evaluationBatch: EVALUATION_BATCH,
    },
    data: {
      source: data.source,
      trainImages: trainCount,
      testImages: testCount,
      pixelScale: '0..255 -> [0, 1]',
    },
    environment: {
      backend: tf.getBackend(),
      backendFlags: backendFlags(),
      node: process.version,
      tfjs: packageVersion('@tensorflow/tfjs'),
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      // Wall times stretch when other processes share the cores.
      loadAverage1m: {start: loadAtStart, end: load1m()},
      commit: gitCommit(),
    },
    results: rows.map(r => ({
      ...r,
      testAccuracyStandardError: standardError(r.testAccuracy, testCount),
    })),
    firstLayerPicture: picture === null ? null : {
      ...picture,
      rows: 'one per class, in class order: ' + CLASS_NAMES.join(', '),
      tile: `${layout.side}x${layout.side} weights of one ` +
          `${o.model === 'cnn' ? 'filter' : 'unit'}, drawn at ` +
          `${layout.scale}x, scaled to its own min (black) and max (white)`,
    },
    totalSeconds,
  };
  const reportFile = path.join(o.out, 'report.json');
  fs.writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(o.out, 'table.md'), `${text}\n`);
}

main().catch(e => {
  // A progress bar may have left its line open on a terminal.
  const fresh = process.stderr.isTTY ? '\n' : '';
  process.stderr.write(`${fresh}demo failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
