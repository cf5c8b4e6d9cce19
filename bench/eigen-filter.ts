/**
 * The eigensolver's Chebyshev filter degree on real matrices: the 10 class
 * second moments of Fashion-MNIST's 60,000 training images (pixels / 255),
 * top 26 eigenpairs each, as classPca computes them.
 *
 *   npx ts-node --transpile-only bench/eigen-filter.ts [--backend wasm|cpu]
 *       [--runs 5] [--degrees 1,2,3,4] [--data DIR] [--centered]
 *
 * For each degree, in alternating order over the runs: wall and CPU
 * seconds of `topEigen`, iterations per class and products with A, and the
 * accuracy against a reference solve (degree 1, tolerance 1e-7): the
 * largest relative eigenvalue difference and the largest principal angle
 * between the top-26 subspaces of each class. Results go to
 * bench/results/eigen-filter-<backend>-<date>.json.
 */
import * as tf from '@tensorflow/tfjs-core';

import {loadFashionMnist, NUM_PIXELS} from '../examples/fashion-mnist';
import {ClassStatistics, topEigen, TopEigenResult} from '../src';
import {multiply, transpose} from '../src/linalg/dense';
import {symmetricEigen} from '../src/linalg/symmetric-eigen';
import {checkDataDir, DEFAULT_DATA_DIR, gitState, logger, machine,
        selectBackend, stamp, stat, Stopwatch, writeResult} from './common';

const log = logger('eigen-filter');
const COMPONENTS = 26;
const BATCH = 2048;

function parse(argv: string[]) {
  const o = {backend: 'wasm' as 'wasm'|'cpu', runs: 5, degrees: [1, 2, 3, 4],
             data: DEFAULT_DATA_DIR, centered: false};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--centered') {
      o.centered = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) {
      throw new Error(`${flag} needs a value`);
    }
    if (flag === '--backend' && (v === 'wasm' || v === 'cpu')) {
      o.backend = v;
    } else if (flag === '--runs' && Number(v) >= 1) {
      o.runs = Number(v);
    } else if (flag === '--degrees') {
      o.degrees = v.split(',').map(Number);
    } else if (flag === '--data') {
      o.data = v;
    } else {
      throw new Error(`bad option ${flag} ${v}`);
    }
  }
  return o;
}

/** The class matrices (second moments, or covariances with --centered). */
function classMatrices(centered: boolean, dataDir: string): tf.Tensor2D[] {
  const train = loadFashionMnist(dataDir, 'train');
  const n = train.labels.length;
  const x = tf.tensor2d(train.images, [n, NUM_PIXELS]);
  const stats = new ClassStatistics(NUM_PIXELS, 10);
  try {
    for (let c = 0; c < 10; c++) {
      const rows: number[] = [];
      train.labels.forEach((label, i) => label === c && rows.push(i));
      for (let start = 0; start < rows.length; start += BATCH) {
        stats.updateRows(
            c, x, Int32Array.from(rows.slice(start, start + BATCH)), 'x');
      }
    }
    return Array.from({length: 10}, (_, c) => centered ?
        stats.covariance(c) : stats.secondMoment(c));
  } finally {
    x.dispose();
    stats.dispose();
  }
}

/**
 * Largest principal angle between the row spaces of two k×d orthonormal
 * bases: the arccosine of the least singular value of a·bᵀ.
 */
function largestAngle(a: Float32Array, b: Float32Array, k: number,
                      d: number): number {
  const m = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) {
        dot += a[i * d + t] * b[j * d + t];
      }
      m[i * k + j] = dot;
    }
  }
  const mtm = multiply(transpose(m, k, k), m, k, k, k);
  const {values} = symmetricEigen(mtm, k);
  const least = Math.sqrt(Math.max(0, Math.min(1, values[k - 1])));
  return Math.acos(least);
}

function accuracy(got: TopEigenResult[], ref: TopEigenResult[], d: number) {
  let value = 0;
  let angle = 0;
  got.forEach((r, c) => {
    r.values.forEach((v, i) => {
      value = Math.max(value, Math.abs(v - ref[c].values[i]) /
                                  ref[c].values[0]);
    });
    angle = Math.max(angle, largestAngle(
        r.vectors, ref[c].vectors, COMPONENTS, d));
  });
  return {value, angle};
}

async function main() {
  const o = parse(process.argv.slice(2));
  checkDataDir('bench/eigen-filter', o.data, ['train']);
  await selectBackend(o.backend);
  const matrices = classMatrices(o.centered, o.data);
  const d = NUM_PIXELS;
  const kind = o.centered ? 'covariances' : 'second moments';
  log(`backend ${o.backend}; ${kind} of 10 classes; k ${COMPONENTS}; ` +
      `degrees ${o.degrees}`);
  const reference = topEigen(matrices, COMPONENTS,
                             {seed: 1, tolerance: 1e-7, filterDegree: 1});
  const runs: Array<Record<string, unknown>> = [];
  for (let run = 0; run < o.runs; run++) {
    const order = run % 2 === 0 ? o.degrees : o.degrees.slice().reverse();
    for (const degree of order) {
      const watch = new Stopwatch();
      let products = 0;
      const solved = topEigen(matrices, COMPONENTS, {seed: 0,
                                                     filterDegree: degree});
      const lap = watch.lap();
      products = solved.reduce((s, r) => s + r.iterations, 0);
      const acc = accuracy(solved, reference, d);
      log(`run ${run + 1}, degree ${degree}: ${lap.wall.toFixed(3)} s, ` +
          `iterations ${solved.map(r => r.iterations).join(' ')}, ` +
          `eigenvalue error ${acc.value.toExponential(1)}, angle ` +
          `${acc.angle.toExponential(1)}`);
      runs.push({run, degree, wall: lap.wall, cpu: lap.cpu,
                 iterations: solved.map(r => r.iterations), products,
                 converged: solved.every(r => r.converged), ...acc});
    }
  }
  const summary = o.degrees.map(degree => {
    const mine = runs.filter(r => r.degree === degree);
    return {degree, wall: stat(mine.map(r => r.wall as number)),
            cpu: stat(mine.map(r => r.cpu as number)),
            iterations: (mine[0].iterations as number[]),
            worstValueError: Math.max(...mine.map(r => r.value as number)),
            worstAngle: Math.max(...mine.map(r => r.angle as number))};
  });
  for (const s of summary) {
    process.stdout.write(
        `degree ${s.degree}: ${s.wall.median.toFixed(3)} s median ` +
        `(${s.wall.min.toFixed(3)}–${s.wall.max.toFixed(3)}), iterations ` +
        `${s.iterations.join(' ')}, eigenvalue error ≤ ` +
        `${s.worstValueError.toExponential(1)}, angle ≤ ` +
        `${s.worstAngle.toExponential(1)}\n`);
  }
  matrices.forEach(m => m.dispose());
  const date = new Date().toISOString();
  const file = writeResult(`eigen-filter-${o.backend}-${stamp(date)}`, {
    benchmark: 'eigen-filter', date, ...gitState(), machine: machine(),
    options: o, components: COMPONENTS, summary, runs,
  });
  log(`wrote ${file}`);
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
