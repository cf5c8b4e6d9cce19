/**
 * Benchmark of fitByPCA against model.fit on the MLP 784-256-256-10
 * (ReLU, softmax) of the demo, on Fashion-MNIST.
 *
 *   npx ts-node --transpile-only bench/fit-mlp.ts [--backend wasm|cpu]
 *       [--runs 3] [--train-runs 2] [--epochs 10] [--long-runs 1]
 *       [--fine-tune-epochs 2] [--data DIR] [--quick]
 *
 * In one process it measures, alternating the order of the sides from one
 * run to the next:
 *  - fitByPCA alone, default options (`--runs`, default 3);
 *  - fitByPCA with `fineTuneEpochs: 1`, test accuracy before and after the
 *    fine-tuning epoch, then further epochs of model.fit on the same
 *    compiled model (its Adam state kept) up to `--fine-tune-epochs`
 *    (default 2), for the curve (`--train-runs`, default 2);
 *  - model.fit (Adam 1e-3, batch 128, Glorot init seeded by the run), test
 *    accuracy after every epoch (`--train-runs`): `--epochs` (default 10)
 *    in the first `--long-runs` (default 1) runs, 5 in the others.
 * Wall times run from the call to weights ready and leave out the test
 * evaluations; CPU seconds (process.cpuUsage) are recorded next to them,
 * and the 1-minute load average before and after each measurement.
 *
 * Then, once each: data efficiency (fitByPCA with `samplesPerClass` 10,
 * 30, 100, 300, 1000 against model.fit on the same rows, stopped early on
 * a 10% validation split with patience 3); the matMul floor xᵀx of each
 * layer's input (N×784, N×256) against fitByPCA's per-layer seconds; peak
 * memory (RSS, tf.memory()) sampled during fitByPCA at 10,000 rows and at
 * all rows. The JSON is rewritten after each run and phase, so a run cut
 * short leaves what it measured (`complete: false`).
 *
 * Why these counts: on wasm an epoch of model.fit over 60,000 rows costs
 * about 50 CPU seconds, and on this shared 2-core machine (load average 4
 * to 8 while others test) 2 to 3 times that in wall time. Two runs of 10
 * epochs would take most of an hour alone, so the second model.fit run
 * stops at 5 epochs: the bar (fitByPCA + 1 epoch against model.fit at 5
 * epochs) is a median of 2 runs, the 10-epoch figure comes from 1 run.
 * fitByPCA alone is cheap enough for 3 runs.
 *
 * `--quick`: the first 10,000 training rows (or, without the full data,
 * the committed t10k split 8,000/2,000), 1 run, model.fit for 3 epochs,
 * 1 fine-tuning epoch, samplesPerClass 10, 30 and 100 only.
 *
 * Progress goes to stderr, a summary to stdout, every figure to
 * bench/results/fit-mlp-<backend>-<date>[-quick].json (read by
 * bench/report.ts).
 */
import * as os from 'os';

import * as tf from '@tensorflow/tfjs';

import {BATCH_SIZE, buildMlp, compile, disposeModel, LEARNING_RATE,
        testAccuracy} from '../examples/models';
import {FashionMnistData, loadCommittedSplit, loadFashionMnist, NUM_CLASSES,
        NUM_PIXELS} from '../examples/fashion-mnist';
import {fitByPCA, FitByPcaOptions, LayerReport} from '../src';
import {rowsPerClass} from '../src/pca/class-pca';
import {checkDataDir, DEFAULT_DATA_DIR, floorMatMul, gitState, hasSplit,
        installHint, Lap, load1m, logger, machine, now, selectBackend, stamp,
        stat, Stat, Stopwatch, writeResult} from './common';

const log = logger('fit-mlp');

/** Hidden layer widths of the MLP. */
const UNITS = [256, 256];
/** Rows of the quick run. */
const QUICK_ROWS = 10000;
/** Rows of the smaller memory measurement. */
const MEMORY_ROWS = 10000;
/** Accuracy thresholds of the time-to-accuracy table. */
const THRESHOLDS = [0.80, 0.83, 0.85];
/** The bars of issue 3. */
const BARS = {pcaAlone: 0.83, fineTuneTimeRatio: 0.4, modelFitEpochs: 5};
/** samplesPerClass of the data-efficiency table ('all' is the main run). */
const SAMPLES_PER_CLASS = [10, 30, 100, 300, 1000];
const QUICK_SAMPLES_PER_CLASS = [10, 30, 100];
/** Early stopping of model.fit on a subset. */
const EARLY_STOPPING = {validationSplit: 0.1, patience: 3};
/**
 * Epoch bound of model.fit on a subset of n rows: about 60,000 rows of
 * training (one full-data epoch), between 10 and 100 epochs.
 */
function maxEpochs(n: number): number {
  return Math.min(100, Math.max(10, Math.ceil(60000 / n)));
}

interface Args {
  backend: 'cpu'|'wasm';
  runs: number;
  trainRuns: number;
  epochs: number;
  /** Runs of model.fit that go to `epochs`; the others stop at 5. */
  longRuns: number;
  fineTuneEpochs: number;
  dataDir: string;
  quick: boolean;
}

function usage(problem: string): never {
  process.stderr.write(
      `${problem}\nusage: ts-node --transpile-only bench/fit-mlp.ts ` +
      `[--backend wasm|cpu] [--runs 3] [--train-runs 2] [--epochs 10] ` +
      `[--long-runs 1] [--fine-tune-epochs 2] [--data DIR] [--quick]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const given: Record<string, number> = {};
  let backend = 'wasm';
  let dataDir = DEFAULT_DATA_DIR;
  let quick = false;
  const counts = ['--runs', '--train-runs', '--epochs', '--long-runs',
                  '--fine-tune-epochs'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) {
        usage(`${a} needs a value`);
      }
      return argv[++i];
    };
    if (a === '--backend') {
      backend = value();
    } else if (counts.includes(a)) {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1) {
        usage(`${a} must be a positive integer`);
      }
      given[a] = v;
    } else if (a === '--data') {
      dataDir = value();
    } else if (a === '--quick') {
      quick = true;
    } else {
      usage(`unknown argument ${a}`);
    }
  }
  if (backend !== 'cpu' && backend !== 'wasm') {
    usage('--backend must be wasm or cpu');
  }
  return {
    backend,
    runs: given['--runs'] ?? (quick ? 1 : 3),
    trainRuns: given['--train-runs'] ?? (quick ? 1 : 2),
    epochs: given['--epochs'] ?? (quick ? 3 : 10),
    longRuns: given['--long-runs'] ?? 1,
    fineTuneEpochs: given['--fine-tune-epochs'] ?? (quick ? 1 : 2),
    dataDir,
    quick,
  };
}

// ------------------------------------------------------------------ data

interface Data {
  xTrain: tf.Tensor2D;
  /** Class indices as float32, as tfjs's sparse losses require. */
  yTrain: tf.Tensor1D;
  trainLabels: Int32Array;
  xTest: tf.Tensor2D;
  yTest: Int32Array;
  source: string;
}

function loadData(args: Args): Data {
  let train: FashionMnistData;
  let test: FashionMnistData;
  let source: string;
  if (hasSplit(args.dataDir, 'train') && hasSplit(args.dataDir, 't10k')) {
    train = loadFashionMnist(args.dataDir, 'train');
    test = loadFashionMnist(args.dataDir, 't10k');
    source = `${args.dataDir}: train (${train.count}) and t10k (${test.count})`;
    if (args.quick) {
      train = {images: train.images.subarray(0, QUICK_ROWS * NUM_PIXELS),
               labels: train.labels.subarray(0, QUICK_ROWS),
               count: QUICK_ROWS};
      source = `${args.dataDir}: the first ${QUICK_ROWS} train rows, and ` +
          `t10k (${test.count})`;
    }
  } else if (args.quick) {
    process.stderr.write(
        `fit-mlp: the full Fashion-MNIST was not found; the quick run uses ` +
        `the committed t10k set instead.\n` + installHint(args.dataDir));
    ({train, test} = loadCommittedSplit());
    source = 'committed t10k set (data/fashion-mnist): images 0..7999 ' +
        'train, 8000..9999 test';
  } else {
    checkDataDir('bench/fit-mlp', args.dataDir, ['train', 't10k']);
    throw new Error('unreachable');
  }
  return {
    xTrain: tf.tensor2d(train.images, [train.count, NUM_PIXELS]),
    yTrain: tf.tensor1d(Float32Array.from(train.labels), 'float32'),
    trainLabels: Int32Array.from(train.labels),
    xTest: tf.tensor2d(test.images, [test.count, NUM_PIXELS]),
    yTest: Int32Array.from(test.labels),
    source,
  };
}

// -------------------------------------------------------------- memory

interface MemorySample {
  rss: number;
  numBytes: number;
  numTensors: number;
}

/** The process's RSS and the tensors' bytes and count, now. */
function memoryNow(): MemorySample {
  const m = tf.memory();
  return {rss: process.memoryUsage().rss, numBytes: m.numBytes,
          numTensors: m.numTensors};
}

/**
 * Samples memory every `ms` milliseconds (fitByPCA yields to the event
 * loop between batches) and at every `sample()`; keeps the largest.
 */
class PeakMemory {
  readonly before = memoryNow();
  readonly peak: MemorySample = {...this.before};
  samples = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(ms = 100) {
    this.timer = setInterval(() => this.sample(), ms);
  }

  sample() {
    const m = memoryNow();
    this.samples++;
    this.peak.rss = Math.max(this.peak.rss, m.rss);
    this.peak.numBytes = Math.max(this.peak.numBytes, m.numBytes);
    this.peak.numTensors = Math.max(this.peak.numTensors, m.numTensors);
  }

  stop() {
    clearInterval(this.timer);
    this.sample();
    return {before: this.before, peak: this.peak, after: memoryNow(),
            samples: this.samples};
  }
}

/** The wasm heap's size in bytes (it only grows), or null elsewhere. */
function wasmHeapBytes(): number|null {
  const backend = tf.backend() as unknown as
      {wasm?: {HEAPU8?: Uint8Array}};
  return backend.wasm?.HEAPU8?.length ?? null;
}

// ------------------------------------------------------------ the sides

/** Test accuracy at a cumulative time of training. */
interface Point {
  /** What has been done: 'fitByPCA', 'epoch 1', … */
  stage: string;
  /** Epochs of backpropagation so far. */
  epochs: number;
  wall: number;
  cpu: number;
  accuracy: number;
}

/** Evaluations left out of a side's time. */
class Excluded {
  wall = 0;
  cpu = 0;

  measure<T>(f: () => T): T {
    const watch = new Stopwatch();
    const out = f();
    const lap = watch.lap();
    this.wall += lap.wall;
    this.cpu += lap.cpu;
    return out;
  }
}

/** The time since `start` without the excluded evaluations. */
function elapsed(start: {wall: number, cpu: number}, excluded: Excluded) {
  const u = process.cpuUsage();
  return {wall: now() - start.wall - excluded.wall,
          cpu: (u.user + u.system) / 1e6 - start.cpu - excluded.cpu};
}

function startClock() {
  const u = process.cpuUsage();
  return {wall: now(), cpu: (u.user + u.system) / 1e6};
}

interface PcaRun {
  run: number;
  time: Lap;
  accuracy: number;
  layers: Array<{name: string, role: string, inputDim: number, units: number,
                 seconds: number}>;
  train: {loss: number, accuracy: number, rows: number};
  memory: ReturnType<PeakMemory['stop']>;
  load: {before: number, after: number};
}

function layerSummary(layers: LayerReport[], inputDims: number[]) {
  return layers.map((l, i) => ({
    name: l.name, role: l.role, inputDim: inputDims[i],
    units: l.units,
    seconds: l.seconds,
  }));
}

/** The input widths of the Dense layers, bottom-up. */
function inputDims(): number[] {
  return [NUM_PIXELS, ...UNITS];
}

/** fitByPCA alone, default options. */
async function pcaAlone(
    data: Data, run: number, x = data.xTrain, y = data.yTrain):
    Promise<PcaRun> {
  const model = buildMlp(UNITS, run);
  const before = load1m();
  const memory = new PeakMemory();
  const watch = new Stopwatch();
  const report = await fitByPCA(model, x, y,
                                {onLayerEnd: () => memory.sample()});
  const time = watch.lap();
  const mem = memory.stop();
  const after = load1m();
  const accuracy = testAccuracy(model, data.xTest, data.yTest);
  disposeModel(model);
  return {
    run, time, accuracy, layers: layerSummary(report.layers, inputDims()),
    train: report.train, memory: mem, load: {before, after},
  };
}

interface CurveRun {
  run: number;
  points: Point[];
  trainLoss: number[];
  load: {before: number, after: number};
  /** fitByPCA's per-layer report (fine-tuning side only). */
  layers?: PcaRun['layers'];
}

/**
 * fitByPCA with `fineTuneEpochs: 1`, then more epochs of model.fit on the
 * same model and optimizer, test accuracy after each.
 */
async function pcaFineTune(data: Data, run: number, epochs: number):
    Promise<CurveRun> {
  const model = buildMlp(UNITS, run);
  compile(model, LEARNING_RATE);
  const excluded = new Excluded();
  const points: Point[] = [];
  const before = load1m();
  const start = startClock();
  const options: FitByPcaOptions = {
    fineTuneEpochs: 1,
    onLayerEnd: (layer: LayerReport) => {
      if (layer.role === 'output') {
        const t = elapsed(start, excluded);
        const accuracy = excluded.measure(
            () => testAccuracy(model, data.xTest, data.yTest));
        points.push({stage: 'fitByPCA', epochs: 0, ...t, accuracy});
      }
    },
  };
  const report = await fitByPCA(model, data.xTrain, data.yTrain, options);
  let t = elapsed(start, excluded);
  points.push({
    stage: 'epoch 1', epochs: 1, ...t,
    accuracy: excluded.measure(
        () => testAccuracy(model, data.xTest, data.yTest)),
  });
  const trainLoss: number[] = [];
  for (let epoch = 2; epoch <= epochs; epoch++) {
    const h = await model.fit(data.xTrain, data.yTrain, {
      epochs: 1, batchSize: BATCH_SIZE, shuffle: true, verbose: 0});
    trainLoss.push(h.history.loss[0] as number);
    t = elapsed(start, excluded);
    points.push({
      stage: `epoch ${epoch}`, epochs: epoch, ...t,
      accuracy: excluded.measure(
          () => testAccuracy(model, data.xTest, data.yTest)),
    });
  }
  const after = load1m();
  disposeModel(model);
  return {run, points, trainLoss, load: {before, after},
          layers: layerSummary(report.layers, inputDims())};
}

/** model.fit from the seeded random initialization, `epochs` epochs. */
async function modelFit(data: Data, run: number, epochs: number):
    Promise<CurveRun> {
  const model = buildMlp(UNITS, run);
  compile(model, LEARNING_RATE);
  const excluded = new Excluded();
  const points: Point[] = [];
  const before = load1m();
  const start = startClock();
  const history = await model.fit(data.xTrain, data.yTrain, {
    epochs, batchSize: BATCH_SIZE, shuffle: true, verbose: 0,
    callbacks: new tf.CustomCallback({
      onEpochEnd: async (epoch: number) => {
        const t = elapsed(start, excluded);
        const accuracy = excluded.measure(
            () => testAccuracy(model, data.xTest, data.yTest));
        points.push({stage: `epoch ${epoch + 1}`, epochs: epoch + 1, ...t,
                     accuracy});
        log(`  model.fit epoch ${epoch + 1}: ${pct(accuracy)} at ` +
            `${t.wall.toFixed(1)} s`);
      },
    }),
  });
  const after = load1m();
  disposeModel(model);
  return {run, points, trainLoss: history.history.loss as number[],
          load: {before, after}};
}

// ------------------------------------------------------- data efficiency

interface EfficiencyRow {
  samplesPerClass: number;
  rows: number;
  pca: {accuracy: number, time: Lap}|{error: string};
  fit: {accuracy: number, time: Lap, epochs: number, maxEpochs: number,
        stoppedEarly: boolean}|{error: string};
  load: {before: number, after: number};
}

/** The rows fitByPCA's `samplesPerClass` takes (seed 0), shuffled. */
function subsetRows(labels: Int32Array, samplesPerClass: number): Int32Array {
  const perClass = rowsPerClass(labels, NUM_CLASSES,
                                {samplesPerClass, seed: 0});
  const rows = Int32Array.from(perClass.flatMap(r => Array.from(r)));
  // A fixed shuffle, so that the validation split holds every class.
  let state = 12345;
  for (let i = rows.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return rows;
}

async function efficiency(data: Data, samplesPerClass: number):
    Promise<EfficiencyRow> {
  const before = load1m();
  const rows = subsetRows(data.trainLabels, samplesPerClass);
  let pca: EfficiencyRow['pca'];
  try {
    const model = buildMlp(UNITS, 0);
    const watch = new Stopwatch();
    await fitByPCA(model, data.xTrain, data.yTrain, {samplesPerClass});
    const time = watch.lap();
    pca = {accuracy: testAccuracy(model, data.xTest, data.yTest), time};
    disposeModel(model);
  } catch (e) {
    pca = {error: (e as Error).message};
  }
  let fit: EfficiencyRow['fit'];
  const idx = tf.tensor1d(rows, 'int32');
  const x = tf.gather(data.xTrain, idx) as tf.Tensor2D;
  const y = tf.gather(data.yTrain, idx) as tf.Tensor1D;
  idx.dispose();
  const limit = maxEpochs(rows.length);
  try {
    const model = buildMlp(UNITS, 0);
    compile(model, LEARNING_RATE);
    const watch = new Stopwatch();
    const h = await model.fit(x, y, {
      epochs: limit, batchSize: BATCH_SIZE, shuffle: true, verbose: 0,
      validationSplit: EARLY_STOPPING.validationSplit,
      callbacks: tf.callbacks.earlyStopping(
          {monitor: 'val_loss', patience: EARLY_STOPPING.patience}),
    });
    const time = watch.lap();
    const epochs = h.epoch.length;
    fit = {accuracy: testAccuracy(model, data.xTest, data.yTest), time,
           epochs, maxEpochs: limit, stoppedEarly: epochs < limit};
    disposeModel(model);
  } catch (e) {
    fit = {error: (e as Error).message};
  }
  x.dispose();
  y.dispose();
  return {samplesPerClass, rows: rows.length, pca, fit,
          load: {before, after: load1m()}};
}

// --------------------------------------------------------------- summary

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

/**
 * Median accuracy and times at each point of the curves over the runs
 * that reached it (model.fit runs may stop at different epochs).
 */
function curveSummary(runs: CurveRun[]) {
  const length = Math.max(0, ...runs.map(r => r.points.length));
  return Array.from({length}, (_, i) => {
    const at = runs.filter(r => r.points.length > i).map(r => r.points[i]);
    return {
      stage: at[0].stage,
      epochs: at[0].epochs,
      accuracy: stat(at.map(p => p.accuracy)),
      wall: stat(at.map(p => p.wall)),
      cpu: stat(at.map(p => p.cpu)),
      runs: at.length,
    };
  });
}

/**
 * Per threshold, the wall seconds at which each run first reached it (null
 * when it never did), and their median over the runs that did.
 */
function timeToAccuracy(
    curves: Array<Array<{wall: number, accuracy: number}>>) {
  return THRESHOLDS.map(threshold => {
    const times = curves.map(points => {
      const hit = points.find(p => p.accuracy >= threshold);
      return hit === undefined ? null : hit.wall;
    });
    const reached = times.filter((t): t is number => t !== null);
    return {threshold, times, reachedRuns: reached.length,
            runs: curves.length,
            median: reached.length > 0 ? stat(reached).median : null};
  });
}

// ------------------------------------------------------------------ main

async function warmUp(data: Data) {
  const n = 2000;
  const x = tf.slice(data.xTrain, [0, 0], [n, NUM_PIXELS]) as tf.Tensor2D;
  const y = tf.slice(data.yTrain, [0], [n]) as tf.Tensor1D;
  const model = buildMlp(UNITS, 99);
  compile(model, LEARNING_RATE);
  await fitByPCA(model, x, y);
  await model.fit(x, y, {epochs: 1, batchSize: BATCH_SIZE, verbose: 0});
  testAccuracy(model, data.xTest, data.yTest);
  disposeModel(model);
  x.dispose();
  y.dispose();
}

/** Everything measured so far; `summarize` turns it into the JSON. */
interface State {
  args: Args;
  started: string;
  loadAtStart: number[];
  data: Data;
  pca: PcaRun[];
  fineTune: CurveRun[];
  fit: CurveRun[];
  efficiency: EfficiencyRow[];
  floors: Array<Awaited<ReturnType<typeof floorMatMul>>>;
  memorySmall: PcaRun|null;
  heap: {afterSmall: number|null, afterMain: number|null};
  tensors: {atStart: number, withData: number, atEnd?: number,
            afterDispose?: number};
  /** The phases finished: 'main', 'floor', 'efficiency'. */
  done: string[];
}

/** The fine-tuning bar of issue 3, or null without both curves. */
function fineTuneBar(
    ftCurve: ReturnType<typeof curveSummary>,
    fitCurve: ReturnType<typeof curveSummary>) {
  const ft1 = ftCurve.find(p => p.epochs === 1);
  const fit5 = fitCurve.find(p => p.epochs === BARS.modelFitEpochs);
  if (ft1 === undefined || fit5 === undefined) {
    return null;
  }
  const timeRatio = ft1.wall.median / fit5.wall.median;
  return {
    modelFitEpochs: BARS.modelFitEpochs,
    accuracy: ft1.accuracy.median,
    modelFitAccuracy: fit5.accuracy.median,
    wall: ft1.wall.median,
    modelFitWall: fit5.wall.median,
    timeRatio,
    cpuRatio: ft1.cpu.median / fit5.cpu.median,
    maxTimeRatio: BARS.fineTuneTimeRatio,
    accuracyMet: ft1.accuracy.median >= fit5.accuracy.median,
    timeMet: timeRatio <= BARS.fineTuneTimeRatio,
  };
}

function summarize(st: State) {
  const {args, data, pca, fineTune, fit} = st;
  const n = data.xTrain.shape[0];
  const fitCurve = fit.length > 0 ? curveSummary(fit) : [];
  const ftCurve = fineTune.length > 0 ? curveSummary(fineTune) : [];
  const pcaAcc = stat(pca.map(r => r.accuracy));
  const layerSeconds = pca.length === 0 ? [] : pca[0].layers.map((l, i) => ({
    name: l.name, role: l.role, inputDim: l.inputDim,
    seconds: stat(pca.map(r => r.layers[i].seconds)),
  }));
  return {
    benchmark: 'fit-mlp',
    formatVersion: 1,
    complete: st.done.length === 3,
    phasesDone: st.done,
    date: st.started,
    command: `npx ts-node --transpile-only bench/fit-mlp.ts ` +
        process.argv.slice(2).join(' '),
    backend: tf.getBackend(),
    quick: args.quick,
    args,
    model: {
      architecture: [NUM_PIXELS, ...UNITS, NUM_CLASSES].join('-'),
      activation: 'relu, softmax output',
      modelFit: {optimizer: 'adam', learningRate: LEARNING_RATE,
                 batchSize: BATCH_SIZE, init: 'glorotUniform, seed = run'},
      fitByPca: 'default options (topLayer auto = softmax readout)',
      fineTune: 'fitByPCA {fineTuneEpochs: 1}, then model.fit one epoch at ' +
          'a time on the same compiled model',
      efficiency: {...EARLY_STOPPING, monitor: 'val_loss',
                   maxEpochs: 'min(100, max(10, ceil(60000 / rows)))'},
    },
    data: {source: data.source, trainRows: n, testRows: data.yTest.length},
    bars: BARS,
    thresholds: THRESHOLDS,
    machine: machine(),
    git: GIT_AT_START,
    load: {atStart: st.loadAtStart, atEnd: os.loadavg()},
    raw: {pca, fineTune, fit, efficiency: st.efficiency, floors: st.floors,
          memorySmall: st.memorySmall},
    summary: {
      pca: pca.length === 0 ? null : {
        accuracy: pcaAcc, wall: stat(pca.map(r => r.time.wall)),
        cpu: stat(pca.map(r => r.time.cpu)), runs: pca.length,
        layers: layerSeconds},
      fineTune: ftCurve,
      fit: fitCurve,
      bars: {
        pcaAlone: pca.length === 0 ? null : {
          threshold: BARS.pcaAlone, accuracy: pcaAcc.median,
          met: pcaAcc.median >= BARS.pcaAlone},
        fineTune: fineTuneBar(ftCurve, fitCurve),
      },
      timeToAccuracy: {
        pca: timeToAccuracy(pca.map(
            r => [{wall: r.time.wall, accuracy: r.accuracy}])),
        fineTune: timeToAccuracy(fineTune.map(r => r.points)),
        fit: timeToAccuracy(fit.map(r => r.points)),
      },
      efficiency: st.efficiency,
      floor: layerSeconds.map(l => {
        const f = st.floors.find(g => g.d === l.inputDim);
        return {...l, rows: n, floorWall: f?.wall.median ?? null,
                floorCpu: f?.cpu.median ?? null,
                ratio: f === undefined ? null :
                                         l.seconds.median / f.wall.median};
      }),
      memory: {
        trainBytes: data.xTrain.size * 4,
        small: st.memorySmall === null ? null :
            {rows: MEMORY_ROWS, xBytes: MEMORY_ROWS * NUM_PIXELS * 4,
             ...st.memorySmall.memory},
        full: pca.length === 0 ? null :
            {rows: n, xBytes: n * NUM_PIXELS * 4, ...pca[0].memory},
        wasmHeapBytes: st.heap,
      },
    },
    tensors: st.tensors,
  };
}

/** Writes what has been measured so far (after each phase). */
function save(st: State): ReturnType<typeof summarize> {
  const result = summarize(st);
  const file = writeResult(
      `fit-mlp-${result.backend}-${stamp(st.started)}` +
          `${st.args.quick ? '-quick' : ''}`,
      result);
  log(`wrote ${file}${result.complete ? '' : ' (partial)'}`);
  return result;
}

/**
 * The commit and src/ state when the run started: the code it runs is
 * loaded then, whatever changes in the tree while it goes on.
 */
const GIT_AT_START = gitState();

async function main() {
  const args = parseArgs(process.argv.slice(2));
  await selectBackend(args.backend);
  const loadAtStart = os.loadavg();
  log(`backend ${tf.getBackend()}; fitByPCA ${args.runs} run(s), ` +
      `training sides ${args.trainRuns} run(s) (model.fit ${args.epochs} ` +
      `epochs in ${args.longRuns}, ${BARS.modelFitEpochs} in the others), ` +
      `fine-tuning curve ${args.fineTuneEpochs} epoch(s)` +
      `${args.quick ? ', quick' : ''}; load ${loadAtStart[0].toFixed(2)}`);
  const atStart = tf.memory().numTensors;
  const data = loadData(args);
  const st: State = {
    args, started: new Date().toISOString(), loadAtStart, data, pca: [],
    fineTune: [], fit: [], efficiency: [], floors: [], memorySmall: null,
    heap: {afterSmall: null, afterMain: null},
    tensors: {atStart, withData: tf.memory().numTensors}, done: [],
  };
  const n = data.xTrain.shape[0];
  log(`data: ${data.source}`);

  // Peak memory at MEMORY_ROWS first, before larger runs grow the heap.
  if (n > MEMORY_ROWS) {
    log(`peak memory: fitByPCA on the first ${MEMORY_ROWS} rows`);
    const x = tf.slice(data.xTrain, [0, 0], [MEMORY_ROWS, NUM_PIXELS]) as
        tf.Tensor2D;
    const y = tf.slice(data.yTrain, [0], [MEMORY_ROWS]) as tf.Tensor1D;
    st.memorySmall = await pcaAlone(data, 0, x, y);
    x.dispose();
    y.dispose();
    log(`  ${pct(st.memorySmall.accuracy)} in ` +
        `${st.memorySmall.time.wall.toFixed(1)} s; peak rss ` +
        `${(st.memorySmall.memory.peak.rss / 2 ** 20).toFixed(0)} MiB`);
  }
  st.heap.afterSmall = wasmHeapBytes();
  log('warm-up');
  await warmUp(data);

  const rounds = Math.max(args.runs, args.trainRuns);
  for (let run = 0; run < rounds; run++) {
    const order = run % 2 === 0 ? ['pca', 'fineTune', 'fit'] :
                                  ['fit', 'fineTune', 'pca'];
    for (const side of order) {
      if (side === 'pca' && run < args.runs) {
        const r = await pcaAlone(data, run);
        st.pca.push(r);
        log(`run ${run + 1}: fitByPCA ${pct(r.accuracy)} in ` +
            `${r.time.wall.toFixed(1)} s (cpu ${r.time.cpu.toFixed(1)} s)`);
      } else if (side === 'fineTune' && run < args.trainRuns) {
        const r = await pcaFineTune(data, run, args.fineTuneEpochs);
        st.fineTune.push(r);
        log(`run ${run + 1}: fitByPCA + fine-tuning ` + r.points.map(
            p => `${p.stage} ${pct(p.accuracy)} at ${p.wall.toFixed(1)} s`)
            .join(', '));
      } else if (side === 'fit' && run < args.trainRuns) {
        const epochs = run < args.longRuns ?
            args.epochs : Math.min(args.epochs, BARS.modelFitEpochs);
        log(`run ${run + 1}: model.fit, ${epochs} epochs`);
        st.fit.push(await modelFit(data, run, epochs));
      }
    }
    save(st);
  }
  st.heap.afterMain = wasmHeapBytes();
  st.done.push('main');
  save(st);

  log('floor: xᵀx of each layer input');
  for (const d of [...new Set(inputDims())]) {
    st.floors.push(await floorMatMul(n, d, args.quick ? 1 : 3));
  }
  st.done.push('floor');
  save(st);

  log('data efficiency');
  for (const spc of args.quick ? QUICK_SAMPLES_PER_CLASS : SAMPLES_PER_CLASS) {
    const row = await efficiency(data, spc);
    st.efficiency.push(row);
    save(st);
    const show = (r: {accuracy: number}|{error: string}) =>
        'error' in r ? `error ${r.error}` : pct(r.accuracy);
    log(`  ${spc} per class: fitByPCA ${show(row.pca)}, model.fit ` +
        `${show(row.fit)}${'epochs' in row.fit ?
            ` (${row.fit.epochs} epochs)` : ''}`);
  }
  st.done.push('efficiency');

  st.tensors.atEnd = tf.memory().numTensors;
  tf.dispose([data.xTrain, data.yTrain, data.xTest]);
  st.tensors.afterDispose = tf.memory().numTensors;
  const result = save(st);
  printSummary(result.summary);
  if (st.tensors.atEnd !== st.tensors.withData) {
    log(`WARNING: ${st.tensors.atEnd - st.tensors.withData} tensors leaked`);
    process.exitCode = 1;
  }
}

function printSummary(s: ReturnType<typeof summarize>['summary']) {
  const line = (name: string, acc: Stat, wall: Stat) =>
      console.log(`${name.padEnd(28)} ${pct(acc.median).padStart(6)} ` +
                  `(${pct(acc.min)}–${pct(acc.max)})  ` +
                  `${wall.median.toFixed(1).padStart(7)} s ` +
                  `(${wall.min.toFixed(1)}–${wall.max.toFixed(1)})`);
  if (s.pca !== null) {
    line('fitByPCA', s.pca.accuracy, s.pca.wall);
  }
  s.fineTune.forEach(
      p => line(`fitByPCA + ft, ${p.stage}`, p.accuracy, p.wall));
  s.fit.forEach(p => line(`model.fit, ${p.stage}`, p.accuracy, p.wall));
  if (s.bars.pcaAlone !== null) {
    console.log(`bar fitByPCA ≥ ${pct(BARS.pcaAlone)}: ` +
                `${s.bars.pcaAlone.met ? 'met' : 'not met'}`);
  }
  const b = s.bars.fineTune;
  if (b !== null) {
    console.log(`bar fitByPCA + 1 epoch ≥ model.fit ${b.modelFitEpochs} ` +
                `epochs (${pct(b.accuracy)} vs ${pct(b.modelFitAccuracy)}): ` +
                `${b.accuracyMet ? 'met' : 'not met'}; time ratio ` +
                `${b.timeRatio.toFixed(2)} ≤ ${b.maxTimeRatio}: ` +
                `${b.timeMet ? 'met' : 'not met'}`);
  }
}

main().catch(e => {
  process.stderr.write(`bench/fit-mlp failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
