/**
 * Helpers shared by the benchmarks in bench/: timing (wall and CPU
 * seconds), medians, the backend, the data folder check, and the machine
 * and git state recorded next to every figure.
 */
import {execSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

/** Where Debian's dataset-fashion-mnist package puts the IDX files. */
export const DEFAULT_DATA_DIR = '/usr/share/datasets/fashion-mnist';

/** Progress on stderr, stamped with the time of day. */
export function logger(name: string): (message: string) => void {
  return (message: string) => process.stderr.write(
      `[${name} ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Seconds, high resolution. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** CPU seconds (user + system) this process has used. */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The machine's 1-minute load average. */
export function load1m(): number {
  return os.loadavg()[0];
}

/**
 * Wall and CPU seconds of a step. The backends run on one thread, so on a
 * busy machine `wall` grows beyond `cpu` by the time other processes held
 * the core; `cpu` is the figure less disturbed by them.
 */
export interface Lap {
  wall: number;
  cpu: number;
}

export class Stopwatch {
  private wall = now();
  private cpu = cpuNow();

  /** The time since construction or the previous lap. */
  lap(): Lap {
    const wall = now();
    const cpu = cpuNow();
    const out = {wall: wall - this.wall, cpu: cpu - this.cpu};
    this.wall = wall;
    this.cpu = cpu;
    return out;
  }
}

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export function stat(values: number[]): Stat {
  const s = values.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return {
    median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2,
    min: s[0],
    max: s[s.length - 1],
  };
}

/** Whether `dir` holds the IDX files of `split` (plain or gzipped). */
export function hasSplit(dir: string, split: 'train'|'t10k'): boolean {
  const has = (base: string) => fs.existsSync(path.join(dir, base)) ||
      fs.existsSync(path.join(dir, `${base}.gz`));
  return has(`${split}-images-idx3-ubyte`) &&
      has(`${split}-labels-idx1-ubyte`);
}

/** How to get the full data, for messages. */
export function installHint(dir: string): string {
  return `  Install it with the Debian package dataset-fashion-mnist:\n` +
      `      sudo apt-get install dataset-fashion-mnist\n` +
      `  (it puts the files in ${DEFAULT_DATA_DIR}), or pass ` +
      `--data DIR for a folder holding them (looked in ${dir}).\n`;
}

/** Checks the data folder, or exits with how to get the data. */
export function checkDataDir(
    program: string, dir: string, splits: Array<'train'|'t10k'>) {
  const missing = splits.filter(s => !hasSplit(dir, s));
  if (missing.length > 0) {
    process.stderr.write(
        `${program}: the Fashion-MNIST ${missing.join(' and ')} split was ` +
        `not found in ${dir}\n` +
        `  (looked for <split>-images-idx3-ubyte[.gz] and ` +
        `<split>-labels-idx1-ubyte[.gz]).\n` + installHint(dir));
    process.exit(2);
  }
}

export async function selectBackend(name: 'cpu'|'wasm') {
  if (name === 'wasm') {
    // Registers the wasm backend; in Node its .wasm files are found next
    // to its own dist file, and threads are not used.
    require('@tensorflow/tfjs-backend-wasm');
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`could not select the TensorFlow.js backend ${name}`);
  }
}

/** The machine, Node and tfjs versions and the backend's flags. */
export function machine() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ?
      fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ??
      os.cpus()[0]?.model ?? 'unknown';
  const flags = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.split(' ') ?? [];
  const version = (pkg: string) => {
    try {
      return require(`${pkg}/package.json`).version as string;
    } catch {
      return null;
    }
  };
  const nproc = (() => {
    try {
      return Number(execSync('nproc', {encoding: 'utf8'}).trim());
    } catch {
      return os.cpus().length;
    }
  })();
  return {
    nproc,
    cpuModel: model,
    cpuFlags: ['avx2', 'avx512f', 'fma'].filter(f => flags.includes(f)),
    memTotalGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    tfjsCore: version('@tensorflow/tfjs-core'),
    tfjsLayers: version('@tensorflow/tfjs-layers'),
    tfjsBackendCpu: version('@tensorflow/tfjs-backend-cpu'),
    tfjsBackendWasm: version('@tensorflow/tfjs-backend-wasm'),
    wasmSimd: tf.getBackend() === 'wasm' ?
        tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : null,
    wasmThreads: tf.getBackend() === 'wasm' ?
        tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') : null,
  };
}

/** The commit, and whether src/ differs from it. */
export function gitState() {
  const run = (cmd: string) => {
    try {
      return execSync(cmd, {encoding: 'utf8', cwd: path.join(__dirname, '..'),
                            stdio: ['ignore', 'pipe', 'ignore']}).trim();
    } catch {
      return null;
    }
  };
  const dirty = run('git status --porcelain -- src');
  return {commit: run('git rev-parse HEAD'),
          srcDirty: dirty === null ? null : dirty.length > 0};
}

/** Writes `result` as bench/results/<name>.json; returns the path. */
export function writeResult(name: string, result: unknown): string {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, {recursive: true});
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}

/** A file-name stamp of an ISO date: 2026-12-04T171706. */
export function stamp(isoDate: string): string {
  return isoDate.slice(0, 19).replace(/:/g, '');
}

/**
 * Wall and CPU seconds of xᵀx for a random n×d matrix x, by a plain matMul
 * of operands transposed beforehand (untimed): the backend's floor for the
 * second moments of n rows of d features (bench/class-pca.ts), `reps`
 * times.
 */
export async function floorMatMul(n: number, d: number, reps: number) {
  const x = tf.randomUniform([n, d], 0, 1, 'float32', 1) as tf.Tensor2D;
  const xt = tf.transpose(x);
  const laps: Lap[] = [];
  try {
    for (let r = 0; r < reps; r++) {
      const watch = new Stopwatch();
      const g = tf.matMul(xt, x);
      await g.data();
      laps.push(watch.lap());
      g.dispose();
    }
  } finally {
    tf.dispose([x, xt]);
  }
  return {n, d, laps, wall: stat(laps.map(l => l.wall)),
          cpu: stat(laps.map(l => l.cpu))};
}
