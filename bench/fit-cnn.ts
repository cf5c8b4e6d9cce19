/**
 * fitByPCA on the demo's CNN against the MLP and against model.fit, on
 * Fashion-MNIST.
 *
 *   npx ts-node --transpile-only bench/fit-cnn.ts [--backend wasm|cpu]
 *       [--runs 1] [--data DIR] [--quick]
 *       [--parts alone,finetune,fit,batches,variants,bn,floor]
 *       [--variant-rows N] [--batches 3]
 *       [--fine-tune-epochs 1] [--epochs 3] [--without-model-fit]
 *       [--floor-reps 3] [--stored-layer-times]
 *
 * Parts, each run alternating the order of its sides:
 *  - alone: fitByPCA alone (no backpropagation, the library's defaults)
 *    on the CNN (conv 5×5×32 → max-pool 2 → conv 5×5×64 → max-pool 2 →
 *    dense 10) and on the MLP 784-256-256-10 of the MLP demo;
 *  - finetune: on the CNN, `fitByPCA(model, x, y, {fineTuneEpochs: 1})`
 *    (or `--fine-tune-epochs`; results of another count are kept under
 *    the part name `finetune<N>`) against `model.fit` for 3 epochs
 *    (`--epochs`; accuracy and wall time are kept after every epoch) from
 *    the seeded random (`--without-model-fit`: the fitByPCA side only)
 *    initialization (Adam 1e-3, batch 128, sparse categorical
 *    cross-entropy, both);
 *  - fit: `model.fit` alone on the CNN for `--epochs` epochs (the
 *    finetune part's other side, for a second process when one process
 *    running both sides would take too long, as on `cpu`; its result is
 *    saved after every epoch, as `model.fit, <epochs done> epochs`);
 *  - batches: `model.fit` on the CNN over the first `--batches` batches
 *    of 128 training images only, each batch's wall seconds, and from
 *    their median the seconds an epoch of all training images would take:
 *    for a backend where a whole epoch takes longer than a session (cpu);
 *  - variants: fitByPCA alone on the CNN with one option changed at a time
 *    (patch budget, ± pairs, allocation, centring), on the first
 *    `--variant-rows` training images of each class (default 2,000);
 *  - bn: the CNN with a BatchNormalization layer after each convolution,
 *    `batchNormalization: 'data'` against `'identity'`, fitByPCA alone and
 *    with one fine-tuning epoch, on the same subset;
 *  - floor: fitByPCA alone on the CNN (defaults; the alone part's run
 *    when that part ran too, or with `--stored-layer-times` the alone
 *    part already in the results file), each layer's seconds next to the
 *    backend's
 *    floor for its statistics: one matMul xᵀx of
 *    the rows it read (the sampled patches, patch-size wide, for a
 *    convolution; the training images' 1,024 features for the output
 *    layer), 3 times (`--floor-reps`; 1 with `--quick`).
 *
 * Every model starts from the same seeded Glorot weights. Times run from
 * the call to weights ready; test evaluations (after each epoch of
 * model.fit) are left out. Each measurement records wall seconds, the
 * CPU seconds of the process and the machine's load average: the machine
 * is shared, and wall times stretch when others hold a core.
 *
 * Data: the full Fashion-MNIST (60,000 train / 10,000 test) from
 * /usr/share/datasets/fashion-mnist or `--data DIR`; `--quick`: the
 * committed t10k set split 8,000 / 2,000, 1 run, parts alone, finetune
 * and floor.
 * On `wasm` the Conv2D gradients of examples/wasm-conv2d-grad.ts are
 * registered first (tfjs-backend-wasm 4.22 cannot train a Conv2D layer
 * without them).
 *
 * Progress goes to stderr, a summary to stdout, every figure to
 * bench/results/fit-cnn-<backend>.json (fit-cnn-<backend>-quick.json with
 * `--quick`), written again after every measurement, so a long run that
 * stops keeps what it finished. The parts run replace their earlier
 * results in that file; the other parts are kept, each with the date,
 * options, machine and load of its own run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {FashionMnistData, IMAGE_SIZE, loadCommittedSplit, loadFashionMnist,
        NUM_PIXELS} from '../examples/fashion-mnist';
import {BATCH_SIZE, buildCnn, buildMlp, CNN_ARCHITECTURE,
        compile,
        disposeModel, LEARNING_RATE, testAccuracy} from '../examples/models';
import {registerWasmConv2dGradients} from '../examples/wasm-conv2d-grad';
import {checkDataDir, cpuNow, DEFAULT_DATA_DIR, floorMatMul, gitState,
        logger, machine, selectBackend, stat} from './common';
import {fitByPCA, FitByPcaOptions, FitByPcaReport} from '../src';
import {LayerFloor as ReportedFloor} from './report-fit-cnn';

const PARTS =
    ['alone', 'finetune', 'fit', 'batches', 'variants', 'bn', 'floor'] as const;
type Part = typeof PARTS[number];

/** The MLP demo's hidden layers. */
const MLP_UNITS = [256, 256];
const SEED = 0;
/** model.fit's epochs in the finetune part, unless `--epochs`. */
const MODEL_FIT_EPOCHS = 3;

/** fitByPCA's options tried one at a time in the `variants` part. */
const VARIANTS: Array<{name: string, options: FitByPcaOptions}> = [
  {name: 'defaults', options: {}},
  {name: 'patchesPerImage 32', options: {patchesPerImage: 32}},
  {name: 'patchesPerImage 2', options: {patchesPerImage: 2}},
  {name: 'patchesPerClass 2500', options: {patchesPerClass: 2500}},
  {name: 'patchesPerClass 40000', options: {patchesPerClass: 40000}},
  {name: 'pairs false', options: {pairs: false}},
  {name: "allocation 'eigenvalue'", options: {allocation: 'eigenvalue'}},
  {name: 'centered', options: {centered: true}},
];

interface Args {
  backend: 'cpu'|'wasm';
  runs: number;
  dataDir: string;
  quick: boolean;
  parts: Part[];
  variantRows: number;
  fineTuneEpochs: number;
  epochs: number;
  withoutModelFit: boolean;
  floorReps: number;
  storedLayerTimes: boolean;
  batches: number;
}

function usage(problem: string): never {
  process.stderr.write(
      `${problem}\nusage: ts-node --transpile-only bench/fit-cnn.ts ` +
      `[--backend wasm|cpu] [--runs 1] [--data DIR] [--quick] ` +
      `[--parts ${PARTS.join(',')}] [--variant-rows 2000] ` +
      `[--fine-tune-epochs 1] [--epochs 3] [--without-model-fit] ` +
      `[--floor-reps 3] [--stored-layer-times] [--batches 3]\n`);
  process.exit(2);
}

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    usage(`${flag} must be a positive integer, received ${value}`);
  }
  return n;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    backend: 'wasm', runs: 1, dataDir: DEFAULT_DATA_DIR, quick: false,
    parts: ['alone', 'finetune', 'floor'], variantRows: 2000, fineTuneEpochs: 1,
    epochs: MODEL_FIT_EPOCHS, withoutModelFit: false, floorReps: 3,
    storedLayerTimes: false, batches: 3,
  };
  let partsGiven = false;
  let repsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--quick') {
      a.quick = true;
      continue;
    }
    if (flag === '--without-model-fit') {
      a.withoutModelFit = true;
      continue;
    }
    if (flag === '--stored-layer-times') {
      a.storedLayerTimes = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) {
      usage(`${flag} needs a value`);
    }
    switch (flag) {
      case '--backend':
        if (value !== 'cpu' && value !== 'wasm') {
          usage(`--backend must be cpu or wasm, received ${value}`);
        }
        a.backend = value;
        break;
      case '--runs':
        a.runs = positiveInteger('--runs', value);
        break;
      case '--data':
        a.dataDir = path.resolve(value);
        break;
      case '--parts':
        a.parts = value.split(',') as Part[];
        partsGiven = true;
        if (!a.parts.every(p => (PARTS as readonly string[]).includes(p))) {
          usage(`--parts takes ${PARTS.join(', ')}, received ${value}`);
        }
        break;
      case '--fine-tune-epochs':
        a.fineTuneEpochs = positiveInteger('--fine-tune-epochs', value);
        break;
      case '--epochs':
        a.epochs = positiveInteger('--epochs', value);
        break;
      case '--batches':
        a.batches = positiveInteger('--batches', value);
        break;
      case '--floor-reps':
        a.floorReps = positiveInteger('--floor-reps', value);
        repsGiven = true;
        break;
      case '--variant-rows':
        a.variantRows = positiveInteger('--variant-rows', value);
        break;
      default:
        usage(`unknown option ${flag}`);
    }
  }
  if (a.quick && !partsGiven) {
    a.parts = ['alone', 'finetune', 'floor'];
  }
  if (a.quick && !repsGiven) {
    a.floorReps = 1;
  }
  if (a.storedLayerTimes && a.parts.includes('alone')) {
    usage('--stored-layer-times takes the alone part from the results ' +
          'file; it does not go with --parts alone');
  }
  return a;
}

const log = logger('bench');

// ------------------------------------------------------------------- data

/** Images as rows and as 28×28×1 images, with labels. */
interface Data {
  source: string;
  trainImages: Float32Array;
  trainLabels: Int32Array;
  xTest: Float32Array;
  yTest: Int32Array;
}

function loadData(a: Args): Data {
  let train: FashionMnistData;
  let test: FashionMnistData;
  let source: string;
  if (a.quick) {
    ({train, test} = loadCommittedSplit());
    source = 'committed t10k set: 8,000 train / 2,000 test';
  } else {
    train = loadFashionMnist(a.dataDir, 'train');
    test = loadFashionMnist(a.dataDir, 't10k');
    source = `${a.dataDir}: train (60,000) and t10k (10,000)`;
  }
  return {source, trainImages: train.images, trainLabels: train.labels,
          xTest: test.images, yTest: test.labels};
}

/** The first `perClass` training images of each class, in order. */
function subset(data: Data, perClass: number): Int32Array {
  const taken = new Array<number>(10).fill(0);
  const rows: number[] = [];
  data.trainLabels.forEach((c, i) => {
    if (taken[c]++ < perClass) {
      rows.push(i);
    }
  });
  return Int32Array.from(rows);
}

/** Tensors for one method: images for the CNN, rows for the MLP. */
interface Tensors {
  x: tf.Tensor;
  y: tf.Tensor1D;
  xTest: tf.Tensor;
}

function tensors(data: Data, kind: 'cnn'|'mlp', rows?: Int32Array):
    Tensors {
  const shape = kind === 'cnn' ? [IMAGE_SIZE, IMAGE_SIZE, 1] : [NUM_PIXELS];
  let images = data.trainImages;
  let labels = data.trainLabels;
  if (rows !== undefined) {
    images = new Float32Array(rows.length * NUM_PIXELS);
    rows.forEach((r, i) => images.set(
        data.trainImages.subarray(r * NUM_PIXELS, (r + 1) * NUM_PIXELS),
        i * NUM_PIXELS));
    labels = Int32Array.from(rows, r => data.trainLabels[r]);
  }
  return {
    x: tf.tensor(images, [labels.length, ...shape]),
    y: tf.tensor1d(Float32Array.from(labels), 'float32'),
    xTest: tf.tensor(data.xTest, [data.yTest.length, ...shape]),
  };
}

// ---------------------------------------------------------------- methods

/** One measured method. */
interface Measurement {
  method: string;
  model: string;
  options: FitByPcaOptions|null;
  trainImages: number;
  testAccuracy: number;
  /** For model.fit: after each epoch; for fine-tuning: before and after. */
  testAccuracyPerStage: number[];
  /** Wall seconds from the call to each stage, evaluations left out. */
  wallSecondsPerStage: number[];
  wallSeconds: number;
  cpuSeconds: number;
  /** Seconds of test evaluation inside the timed span, left out. */
  excludedSeconds: number;
  layers: FitByPcaReport['layers']|null;
  load1m: {start: number, end: number};
}

async function byPca(
    name: string, kind: 'cnn'|'cnn-bn'|'mlp', t: Tensors, yTest: Int32Array,
    options: FitByPcaOptions): Promise<Measurement> {
  const model = kind === 'mlp' ? buildMlp(MLP_UNITS, SEED) :
                                 buildCnn(SEED, kind === 'cnn-bn');
  const fineTune = (options.fineTuneEpochs ?? 0) > 0;
  if (fineTune) {
    compile(model, LEARNING_RATE);
  }
  const stages: number[] = [];
  const times: number[] = [];
  let excluded = 0;
  const load = os.loadavg()[0];
  const cpu = cpuNow();
  const start = Date.now();
  const report = await fitByPCA(model, t.x, t.y, {
    ...options,
    onLayerEnd: layer => {
      if (fineTune && layer.role === 'output') {
        const evaluated = Date.now();
        times.push((evaluated - start) / 1000 - excluded);
        stages.push(testAccuracy(model, t.xTest, yTest));
        excluded += (Date.now() - evaluated) / 1000;
      }
    },
  });
  const wall = (Date.now() - start) / 1000 - excluded;
  const cpuUsed = cpuNow() - cpu;
  const accuracy = testAccuracy(model, t.xTest, yTest);
  stages.push(accuracy);
  times.push(wall);
  disposeModel(model);
  log(`${name}: ${(100 * accuracy).toFixed(2)}% in ${wall.toFixed(1)} s`);
  return {
    method: name,
    model: kind,
    options,
    trainImages: t.x.shape[0],
    testAccuracy: accuracy,
    testAccuracyPerStage: stages,
    wallSecondsPerStage: times,
    wallSeconds: wall,
    cpuSeconds: cpuUsed,
    excludedSeconds: excluded,
    layers: report.layers,
    load1m: {start: load, end: os.loadavg()[0]},
  };
}

async function byModelFit(
    t: Tensors, yTest: Int32Array, epochs: number,
    onEpoch?: (done: Measurement) => void): Promise<Measurement> {
  const model = buildCnn(SEED);
  compile(model, LEARNING_RATE);
  const stages: number[] = [];
  const times: number[] = [];
  let excluded = 0;
  const load = os.loadavg()[0];
  const cpu = cpuNow();
  const start = Date.now();
  // model.fit as far as it went: the epochs done, up to the last one.
  const soFar = (): Measurement => ({
    method: `model.fit, ${stages.length} epochs`,
    model: 'cnn',
    options: null,
    trainImages: t.x.shape[0],
    testAccuracy: stages[stages.length - 1],
    testAccuracyPerStage: [...stages],
    wallSecondsPerStage: [...times],
    wallSeconds: times[times.length - 1],
    cpuSeconds: cpuNow() - cpu,
    excludedSeconds: excluded,
    layers: null,
    load1m: {start: load, end: os.loadavg()[0]},
  });
  try {
    await model.fit(t.x, t.y, {
      epochs,
      batchSize: BATCH_SIZE,
      shuffle: true,
      callbacks: {
        onEpochEnd: async epoch => {
          const evaluated = Date.now();
          times.push((evaluated - start) / 1000 - excluded);
          stages.push(testAccuracy(model, t.xTest, yTest));
          excluded += (Date.now() - evaluated) / 1000;
          log(`model.fit: epoch ${epoch + 1}: ` +
              `${(100 * stages[stages.length - 1]).toFixed(2)}%`);
          if (onEpoch !== undefined && epoch + 1 < epochs) {
            onEpoch(soFar());
          }
        },
      },
    });
  } finally {
    disposeModel(model);
  }
  // Wall time to the last epoch's end, evaluations left out; CPU time
  // with them (the process clock cannot part them).
  return soFar();
}

/**
 * The result key of a fine-tuning comparison: `finetune` for one epoch of
 * fine-tuning against model.fit's default 3 epochs, `finetune<N>` for N
 * fine-tuning epochs, `-fit<M>` appended when model.fit ran M epochs.
 */
function partKey(fineTuneEpochs: number, modelFitEpochs: number): string {
  return `finetune${fineTuneEpochs === 1 ? '' : fineTuneEpochs}` +
      `${modelFitEpochs === MODEL_FIT_EPOCHS ? '' : `-fit${modelFitEpochs}`}`;
}

interface PartRecord {
  args?: {fineTuneEpochs?: number, epochs?: number};
  training?: {modelFitEpochs?: number};
}

/**
 * Files written before the key told model.fit's epochs apart kept every
 * fine-tuning part under `finetune<N>`; parts whose model.fit ran other
 * than 3 epochs move to their own key, so a new run does not replace them.
 */
function rekeyParts(parts: Record<string, PartRecord>) {
  for (const [key, part] of Object.entries(parts)) {
    const fit = part.training?.modelFitEpochs;
    const tune = part.args?.fineTuneEpochs;
    if (!key.startsWith('finetune') || fit === undefined ||
        tune === undefined) {
      continue;
    }
    const wanted = partKey(tune, fit);
    if (wanted !== key && !(wanted in parts)) {
      parts[wanted] = part;
      delete parts[key];
    }
  }
}

/** Runs the sides in order, reversed on odd runs. */
async function alternate(
    run: number, sides: Array<() => Promise<Measurement>>):
    Promise<Measurement[]> {
  const order = sides.map((_, i) => i);
  if (run % 2 === 1) {
    order.reverse();
  }
  const out: Measurement[] = [];
  for (const i of order) {
    out[i] = await sides[i]();
  }
  return out;
}

function withTensors<T>(t: Tensors, body: (t: Tensors) => Promise<T>):
    Promise<T> {
  return body(t).finally(() => tf.dispose([t.x, t.y, t.xTest]));
}

/** A layer's time and its measured floor. */
type LayerFloor = ReportedFloor<Awaited<ReturnType<typeof floorMatMul>>>;

/**
 * The floor part: for each layer fitByPCA computed in `fit` (fitByPCA
 * alone on the CNN), xᵀx of as many rows as it read, as wide as its
 * kernel's input.
 */
async function layerFloors(fit: Measurement, reps: number):
    Promise<LayerFloor[]> {
  const shapes = buildCnn(SEED);
  const layers: LayerFloor[] = [];
  try {
    for (const l of fit.layers ?? []) {
      const kernel = shapes.layers[l.index].getWeights()[0].shape;
      const features = kernel.slice(0, -1).reduce((a, b) => a * b, 1);
      log(`floor: ${l.name}: xᵀx of [${l.samples}, ${features}]`);
      layers.push({name: l.name, className: l.className, role: l.role,
                   rows: l.samples, features, seconds: l.seconds,
                   floor: await floorMatMul(l.samples, features, reps)});
    }
  } finally {
    disposeModel(shapes);
  }
  return layers;
}

/** The results file's contents, or no parts when there is none yet. */
function readResults(file: string): {parts: object} {
  return fs.existsSync(file) ?
      JSON.parse(fs.readFileSync(file, 'utf8')) as {parts: object} :
      {parts: {}};
}

/**
 * fitByPCA on the CNN from run `run` (or the last run) of the alone part
 * stored in `file`, its method renamed to say so; fails when there is none.
 */
function storedAlone(file: string, run: number): Measurement {
  const stored = (readResults(file).parts as {
                   alone?: {date: string, runs: Measurement[][]},
                 }).alone;
  const runs = stored?.runs ?? [];
  const m = runs[Math.min(run, runs.length - 1)]?.find(
      r => r.model === 'cnn');
  if (stored === undefined || m === undefined) {
    throw new Error(`--stored-layer-times: ${file} holds no alone part ` +
                    'with the CNN');
  }
  return {...m, method: `${m.method} (stored, alone part of ${stored.date})`};
}

/** The batches part's record: model.fit's seconds per batch. */
interface BatchTimes {
  batchSize: number;
  /** Wall seconds of each batch, in order. */
  seconds: number[];
  /** Batches in an epoch of all the training images. */
  epochBatches: number;
  /** The median batch's seconds times epochBatches. */
  epochSeconds: number;
  load1m: {start: number, end: number};
}

/**
 * model.fit on the CNN (seeded Glorot start, Adam, batch 128) over the
 * first `batches` batches of the training images, one epoch: each
 * batch's wall seconds.
 */
async function timeBatches(t: Tensors, batches: number): Promise<BatchTimes> {
  const n = Math.min(batches * BATCH_SIZE, t.x.shape[0]);
  const model = buildCnn(SEED);
  compile(model, LEARNING_RATE);
  const x = t.x.slice(0, n);
  const y = t.y.slice(0, n);
  const seconds: number[] = [];
  const load = os.loadavg()[0];
  try {
    let start = Date.now();
    await model.fit(x, y, {
      epochs: 1, batchSize: BATCH_SIZE, shuffle: false,
      callbacks: {
        onBatchEnd: async batch => {
          seconds.push((Date.now() - start) / 1000);
          log(`model.fit: batch ${batch + 1}: ` +
              `${seconds[seconds.length - 1].toFixed(1)} s`);
          start = Date.now();
        },
      },
    });
  } finally {
    tf.dispose([x, y]);
    disposeModel(model);
  }
  const epochBatches = Math.ceil(t.x.shape[0] / BATCH_SIZE);
  return {batchSize: BATCH_SIZE, seconds, epochBatches,
          epochSeconds: stat(seconds).median * epochBatches,
          load1m: {start: load, end: os.loadavg()[0]}};
}

// ------------------------------------------------------------------ main

function summarize(label: string, ms: Measurement[]): string {
  const median = (v: number[]) => stat(v).median;
  const acc = ms.map(m => 100 * m.testAccuracy);
  const wall = ms.map(m => m.wallSeconds);
  return `| ${label} | ${median(acc).toFixed(2)}% (${
      acc.map(a => a.toFixed(2)).join(', ')}) | ${median(wall).toFixed(1)} (${
      wall.map(w => w.toFixed(1)).join(', ')}) |`;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  await selectBackend(a.backend);
  if (!a.quick) {
    checkDataDir('bench/fit-cnn', a.dataDir, ['train', 't10k']);
  }
  if (a.backend === 'wasm') {
    registerWasmConv2dGradients();
  }
  const runs = a.quick ? 1 : a.runs;
  const data = loadData(a);
  log(`backend ${a.backend}; ${data.source}; parts ${a.parts.join(', ')}; ` +
      `${runs} run(s)`);
  const started = new Date().toISOString();
  // The code this run executes is the tree as it was now.
  const gitAtStart = gitState();
  const loadAtStart = os.loadavg()[0];
  const results: Record<string, Measurement[][]> = {};
  const rows = a.quick ? undefined : subset(data, a.variantRows);
  const floors: LayerFloor[][] = [];
  const batchTimes: BatchTimes[] = [];
  const file = path.join(
      __dirname, 'results',
      `fit-cnn-${a.backend}${a.quick ? '-quick' : ''}.json`);
  const context = {
    date: started,
    args: a,
    data: {source: data.source,
           trainRowsPerClass: null as number|null},
    cnn: CNN_ARCHITECTURE,
    mlp: [NUM_PIXELS, ...MLP_UNITS, 10].join('-'),
    training: {optimizer: `adam(${LEARNING_RATE})`, batchSize: BATCH_SIZE,
               modelFitEpochs: a.epochs},
    machine: {...machine(), ...gitAtStart, backend: tf.getBackend()},
    load1m: {start: loadAtStart, end: loadAtStart},
  };
  /**
   * Writes the parts measured so far (`partial`: a part's run still going,
   * as far as it went) into the file, keeping its other parts. The file is
   * read again each time: another process may have written other parts.
   */
  const save = (partial: Record<string, Measurement[][]> = {}) => {
    const out = readResults(file);
    rekeyParts(out.parts as Record<string, PartRecord>);
    for (const [part, runs] of Object.entries({...results, ...partial})) {
      const subsetPart = rows !== undefined &&
          (part === 'variants' || part === 'bn');
      (out.parts as Record<string, unknown>)[part] = {
        ...context,
        data: {...context.data,
               trainRowsPerClass: subsetPart ? a.variantRows : null},
        load1m: {start: loadAtStart, end: os.loadavg()[0]},
        runs,
        ...(part === 'floor' ? {floors} : {}),
        ...(part === 'batches' ? {batches: batchTimes} : {}),
      };
    }
    fs.mkdirSync(path.dirname(file), {recursive: true});
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(out, null, 2)}\n`);
    fs.renameSync(`${file}.tmp`, file);
  };

  for (let run = 0; run < runs; run++) {
    if (a.parts.includes('alone')) {
      log(`run ${run + 1}: fitByPCA alone, CNN and MLP`);
      (results.alone ??= []).push(await alternate(run, [
        () => withTensors(tensors(data, 'cnn'), t => byPca(
            'fitByPCA, CNN', 'cnn', t, data.yTest, {})),
        () => withTensors(tensors(data, 'mlp'), t => byPca(
            'fitByPCA, MLP', 'mlp', t, data.yTest, {})),
      ]));
      save();
    }
    if (a.parts.includes('finetune')) {
      log(`run ${run + 1}: fitByPCA + ${a.fineTuneEpochs} epoch(s) against ` +
          `model.fit, ` +
          `${a.epochs} epochs, CNN`);
      const epochs = a.fineTuneEpochs;
      const key = partKey(epochs, a.epochs);
      (results[key] ??= []).push(await alternate(run, [
        () => withTensors(tensors(data, 'cnn'), t => byPca(
            `fitByPCA + ${epochs} fine-tuning epoch${epochs > 1 ? 's' : ''}` +
                ', CNN',
            'cnn', t, data.yTest, {fineTuneEpochs: epochs})),
        ...(a.withoutModelFit ? [] : [() => withTensors(
                tensors(data, 'cnn'), t => byModelFit(t, data.yTest, a.epochs))]),
      ]));
      save();
    }
    if (a.parts.includes('fit')) {
      log(`run ${run + 1}: model.fit, ${a.epochs} epochs, CNN`);
      const done = results.fit ?? [];
      (results.fit = done).push([await withTensors(
          tensors(data, 'cnn'),
          t => byModelFit(t, data.yTest, a.epochs,
                          m => save({fit: [...done, [m]]})))]);
      save();
    }
    if (a.parts.includes('batches')) {
      log(`run ${run + 1}: model.fit, ${a.batches} batches, CNN`);
      batchTimes.push(await withTensors(
          tensors(data, 'cnn'), t => timeBatches(t, a.batches)));
      results.batches ??= [];
      save();
    }
    if (a.parts.includes('variants')) {
      log(`run ${run + 1}: fitByPCA variants, CNN`);
      (results.variants ??= []).push(await alternate(
          run, VARIANTS.map(v => () => withTensors(
              tensors(data, 'cnn', rows), t => byPca(
                  `fitByPCA, CNN, ${v.name}`, 'cnn', t, data.yTest,
                  v.options)))));
      save();
    }
    if (a.parts.includes('bn')) {
      log(`run ${run + 1}: BatchNormalization from data or identity`);
      const sides: Array<() => Promise<Measurement>> = [];
      for (const mode of ['data', 'identity'] as const) {
        for (const fineTuneEpochs of [0, 1]) {
          sides.push(() => withTensors(tensors(data, 'cnn', rows), t => byPca(
              `fitByPCA${fineTuneEpochs > 0 ? ' + 1 epoch' : ''}, CNN + BN, ` +
                  `batchNormalization '${mode}'`,
              'cnn-bn', t, data.yTest,
              {batchNormalization: mode, fineTuneEpochs})));
        }
      }
      (results.bn ??= []).push(await alternate(run, sides));
      save();
    }
    if (a.parts.includes('floor')) {
      log(`run ${run + 1}: CNN layer times against the matMul floor`);
      // The layer times of this run's alone part, if it ran; or of the
      // stored one, if asked; or of a run made now.
      const fit = results.alone?.[run].find(m => m.model === 'cnn') ??
          (a.storedLayerTimes ? storedAlone(file, run) : undefined) ??
          await withTensors(tensors(data, 'cnn'), t => byPca(
              'fitByPCA, CNN (layer times)', 'cnn', t, data.yTest, {}));
      (results.floor ??= []).push([fit]);
      floors.push(await layerFloors(fit, a.floorReps));
      save();
    }
  }

  const lines = ['| method | test accuracy, median (runs) | wall s, ' +
                     'median (runs) |',
                 '|---|---:|---:|'];
  for (const part of Object.keys(results)) {
    const byMethod = (results[part][0] ?? []).map(
        (m, i) => [m.method, results[part].map(r => r[i])] as const);
    for (const [method, ms] of byMethod) {
      lines.push(summarize(method, ms));
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\nWrote ${file}\n`);
}

main().catch(e => {
  process.stderr.write(`bench/fit-cnn failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
