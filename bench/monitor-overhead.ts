/**
 * Overhead of the TimeScaleMonitor on `model.fit`.
 *
 *   npx ts-node --transpile-only bench/monitor-overhead.ts
 *       [--backend wasm|cpu] [--runs 3] [--epochs 4] [--probe 2000]
 *
 * The demo MLP 784-256-256-10 (ReLU, softmax, Glorot-uniform kernels with
 * fixed seeds) is trained with plain SGD (lr 0.05, batch 64) on the 8,000
 * committed Fashion-MNIST training images, in one process, three ways per
 * run, the order rotated from run to run:
 *
 * - `plain`: `model.fit` alone;
 * - `rates`: with `new TimeScaleMonitor()` (defaults, no probe set: rates
 *   and displacements only);
 * - `probe`: with `new TimeScaleMonitor({probe})`, defaults otherwise, the
 *   probe set being the first `--probe` training images (alignment too).
 *
 * Every fit starts from the same initial weights. A short fit of each kind
 * first warms the backend up (not timed). The overhead is the median wall
 * time of a monitored fit over the median of the plain one; the ratio of
 * each run's pair and process CPU seconds are reported beside it, and the
 * monitor's own time (`toJSON().cost`: its train begin and its records)
 * over the rest of the fit, which other processes on a shared machine
 * disturb much less than the difference of two wall times.
 *
 * Progress goes to stderr, a table to stdout, every figure to
 * bench/results/monitor-overhead-<backend>.json.
 */
import {execSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {loadCommittedSplit, NUM_CLASSES, NUM_PIXELS}
    from '../examples/fashion-mnist';
import {MonitorCost, TimeScaleMonitor} from '../src';

const CONFIGS = ['plain', 'rates', 'probe'] as const;
type Config = typeof CONFIGS[number];

/** The plain SGD of ../shared/METHOD.md, "What SGD does, measured". */
const LEARNING_RATE = 0.05;
const BATCH_SIZE = 64;
const UNITS = [256, 256];

interface Args {
  backend: 'wasm'|'cpu';
  runs: number;
  epochs: number;
  probeRows: number;
}

interface Timing {
  wall: number;
  cpu: number;
  /** The monitor's own cost, for monitored fits. */
  cost: MonitorCost|null;
  /** The last record's alignment per layer, with a probe set. */
  alignment: Array<number|null>|null;
}

function usage(problem: string): never {
  process.stderr.write(
      `${problem}\nusage: ts-node --transpile-only bench/monitor-overhead.ts` +
      ` [--backend wasm|cpu] [--runs 3] [--epochs 4] [--probe 2000]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const o: Args = {backend: 'wasm', runs: 3, epochs: 4, probeRows: 2000};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) {
      usage(`${flag} needs a value`);
    }
    const n = Number(value);
    if (flag === '--backend') {
      if (value !== 'wasm' && value !== 'cpu') {
        usage('--backend must be wasm or cpu');
      }
      o.backend = value;
    } else if (['--runs', '--epochs', '--probe'].includes(flag)) {
      if (!Number.isInteger(n) || n < 1) {
        usage(`${flag} must be a positive integer`);
      }
      if (flag === '--runs') {
        o.runs = n;
      } else if (flag === '--epochs') {
        o.epochs = n;
      } else {
        o.probeRows = n;
      }
    } else {
      usage(`unknown argument ${flag}`);
    }
  }
  return o;
}

function log(message: string) {
  process.stderr.write(
      `[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function buildModel(): tf.Sequential {
  const widths = [...UNITS, NUM_CLASSES];
  const model = tf.sequential({
    layers: widths.map((units, i) => tf.layers.dense({
      ...(i === 0 ? {inputShape: [NUM_PIXELS]} : {}),
      units,
      activation: i === widths.length - 1 ? 'softmax' : 'relu',
      kernelInitializer: tf.initializers.glorotUniform({seed: i}),
    })),
  });
  model.compile({optimizer: tf.train.sgd(LEARNING_RATE),
                 loss: 'sparseCategoricalCrossentropy'});
  return model;
}

interface Data {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
  probe: {x: tf.Tensor2D, y: Int32Array};
}

/** One fit of `config`, timed. */
async function timedFit(
    config: Config, data: Data, epochs: number, rows?: number):
    Promise<Timing> {
  const model = buildModel();
  const monitor = config === 'plain' ? null :
      config === 'rates' ? new TimeScaleMonitor() :
                           new TimeScaleMonitor({probe: data.probe});
  const x = rows === undefined ? data.x : data.x.slice(0, rows);
  const y = rows === undefined ? data.y : data.y.slice(0, rows);
  const wall0 = now();
  const cpu0 = cpuNow();
  await model.fit(x, y, {
    epochs, batchSize: BATCH_SIZE, shuffle: true, verbose: 0,
    callbacks: monitor === null ? [] : [monitor],
  });
  const timing = {
    wall: now() - wall0,
    cpu: cpuNow() - cpu0,
    cost: monitor?.toJSON().cost ?? null,
    alignment: config === 'probe' ?
        (monitor as TimeScaleMonitor).history.slice(-1)[0].layers.map(
            l => l.alignment) :
        null,
  };
  if (rows !== undefined) {
    tf.dispose([x, y]);
  }
  model.dispose();
  return timing;
}

/** The commit, and whether src/ or bench/ differ from it. */
function gitState(): {commit: string|null, dirty: boolean|null} {
  const run = (cmd: string) => {
    try {
      return execSync(cmd, {
               encoding: 'utf8', cwd: path.join(__dirname, '..'),
               stdio: ['ignore', 'pipe', 'ignore'],
             }).trim();
    } catch {
      return null;
    }
  };
  const status = run('git status --porcelain -- src bench/monitor-overhead.ts');
  return {commit: run('git rev-parse HEAD'),
          dirty: status === null ? null : status.length > 0};
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.backend === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
  }
  if (!(await tf.setBackend(args.backend))) {
    throw new Error(`backend ${args.backend} failed to start`);
  }
  await tf.ready();
  const {train} = loadCommittedSplit();
  const data: Data = {
    x: tf.tensor2d(train.images, [train.count, NUM_PIXELS]),
    y: tf.tensor1d(Float32Array.from(train.labels), 'float32'),
    probe: {
      x: tf.tensor2d(train.images.subarray(0, args.probeRows * NUM_PIXELS),
                     [args.probeRows, NUM_PIXELS]),
      y: train.labels.slice(0, args.probeRows),
    },
  };
  const steps = args.epochs * Math.ceil(train.count / BATCH_SIZE);
  log(`backend ${tf.getBackend()}; ${train.count} images, ${args.epochs} ` +
      `epochs (${steps} steps) per fit, ${args.runs} runs, probe ` +
      `${args.probeRows} rows`);

  log('warm-up (not timed)');
  for (const config of CONFIGS) {
    await timedFit(config, data, 1, 20 * BATCH_SIZE);
  }

  const loadStart = os.loadavg()[0];
  const runs: Array<Record<Config, Timing>&{order: Config[], load: number}> =
      [];
  for (let r = 0; r < args.runs; r++) {
    const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]);
    const run = {order, load: 0} as unknown as typeof runs[number];
    for (const config of order) {
      run[config] = await timedFit(config, data, args.epochs);
      log(`run ${r + 1}/${args.runs} ${config}: ` +
          `${run[config].wall.toFixed(2)} s wall, ` +
          `${run[config].cpu.toFixed(2)} s CPU`);
    }
    run.load = os.loadavg()[0];
    runs.push(run);
  }

  const summary = Object.fromEntries(CONFIGS.map(config => {
    const wall = median(runs.map(r => r[config].wall));
    const cpu = median(runs.map(r => r[config].cpu));
    const cost = runs[0][config].cost;
    return [config, {
      medianWall: wall,
      medianCpu: cpu,
      ratioWall: wall / median(runs.map(r => r.plain.wall)),
      ratioCpu: cpu / median(runs.map(r => r.plain.cpu)),
      pairedRatioWall: median(runs.map(r => r[config].wall / r.plain.wall)),
      medianMonitorSeconds: cost === null ? null : median(runs.map(r => {
        const c = r[config].cost as MonitorCost;
        return c.trainBeginSeconds + c.recordSeconds;
      })),
      medianTrainBeginSeconds: cost === null ? null : median(
          runs.map(r => (r[config].cost as MonitorCost).trainBeginSeconds)),
      selfTimedRatio: cost === null ? null : median(runs.map(r => {
        const c = r[config].cost as MonitorCost;
        const own = c.trainBeginSeconds + c.recordSeconds;
        return own / (r[config].wall - own);
      })),
    }];
  })) as Record<Config, {medianWall: number, medianCpu: number,
                         ratioWall: number, ratioCpu: number,
                         pairedRatioWall: number,
                         medianMonitorSeconds: number|null,
                         medianTrainBeginSeconds: number|null,
                         selfTimedRatio: number|null}>;

  const lines = [
    '| fit | median wall s | × plain (wall) | × plain (paired) | ' +
        '× plain (CPU s) | monitor s (of which train begin) | ' +
        'monitor s / rest of fit |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...CONFIGS.map(c => {
      const s = summary[c];
      const own = s.medianMonitorSeconds === null ? '-' :
          `${s.medianMonitorSeconds.toFixed(2)} ` +
              `(${(s.medianTrainBeginSeconds as number).toFixed(2)})`;
      const self = s.selfTimedRatio === null ? '-' :
                                               s.selfTimedRatio.toFixed(3);
      return `| ${c} | ${s.medianWall.toFixed(2)} | ` +
          `${s.ratioWall.toFixed(3)} | ${s.pairedRatioWall.toFixed(3)} | ` +
          `${s.ratioCpu.toFixed(3)} | ${own} | ${self} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const out = path.join(__dirname, 'results',
                        `monitor-overhead-${args.backend}.json`);
  fs.mkdirSync(path.dirname(out), {recursive: true});
  fs.writeFileSync(out, `${JSON.stringify({
    date: new Date().toISOString(),
    ...gitState(),
    command: `npx ts-node --transpile-only bench/monitor-overhead.ts ` +
        `--backend ${args.backend} --runs ${args.runs} --epochs ` +
        `${args.epochs} --probe ${args.probeRows}`,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      node: process.version,
      tfjs: require('@tensorflow/tfjs/package.json').version,
      backend: tf.getBackend(),
      loadAverage1m: {start: loadStart, afterEachRun: runs.map(r => r.load)},
    },
    settings: {
      model: `MLP ${[NUM_PIXELS, ...UNITS, NUM_CLASSES].join('-')}`,
      optimizer: `sgd(${LEARNING_RATE})`,
      batchSize: BATCH_SIZE,
      images: train.count,
      epochs: args.epochs,
      steps,
      probeRows: args.probeRows,
      monitor: 'defaults (every, spanRefreshEvery, components, ...)',
    },
    summary,
    runs,
  }, null, 1)}\n`);
  log(`wrote ${out}`);
  tf.dispose([data.x, data.y, data.probe.x]);
}

main().catch(e => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
