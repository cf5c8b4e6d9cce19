import * as tf from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors';
import {SeededRandom} from '../linalg/random';
import {topEigen, TopEigenResult} from '../linalg/top-eigen';
import {ClassStatistics, checkRows} from '../stats/class-statistics';
import {accumulateDataset, PcaDataset} from '../stats/dataset';
import {impliedClassCount, LabelsInput, readLabels} from '../stats/labels';
import {ClassPcaOptions, equalSplit, resolvePcaOptions, ResolvedPcaOptions}
    from './options';

/** The class-based PCA of one class. Arrays are row-major. */
export interface ClassComponents {
  /** The class index c. */
  classIndex: number;
  /** Rows of the class that were used, n_c. */
  count: number;
  /** The class mean μ_c, length d. */
  mean: Float32Array;
  /** How many components this class holds, k_c. */
  numComponents: number;
  /**
   * The components as rows, k_c×d, unit length, largest eigenvalue first.
   * Each sign is fixed so that the class mean projects positive.
   */
  components: Float32Array;
  /** Eigenvalues of the decomposed class matrix (after shrinkage), k_c. */
  eigenvalues: Float64Array;
  /** Each eigenvalue over the trace of the class matrix, k_c. */
  explainedVarianceRatio: Float64Array;
  /**
   * Variance of each component's projection over all rows used, of every
   * class: the scale that gives a unit-variance layer input. k_c values.
   */
  dataVariance: Float64Array;
  /** Projection of the all-rows mean on each component, k_c values. */
  dataMeanProjection: Float64Array;
  /** The shrinkage α applied to this class (0 without shrinkage). */
  shrinkage: number;
}

/** A class that could not supply all the components asked of it. */
export interface ClassShortfall {
  classIndex: number;
  /** Components asked for. */
  requested: number;
  /** Components with a non-negligible eigenvalue. */
  supported: number;
  /** Why: too few rows, or a class matrix of low rank. */
  reason: 'fewer-samples'|'low-rank';
}

/** The result of {@link classPca}: plain JS values, nothing to dispose. */
export interface ClassPcaResult {
  /** Features per row, d. */
  dim: number;
  /** Classes, C. */
  numClasses: number;
  /** Whether class covariances (true) or second moments were decomposed. */
  centered: boolean;
  /** Per class, in class order. */
  classes: ClassComponents[];
  /** The mean of all rows used, length d. */
  dataMean: Float32Array;
  /**
   * Classes whose trailing components have (numerically) zero eigenvalue.
   * They are still filled with orthonormal directions: from the pooled
   * matrix when shrinkage is on, otherwise directions the class's rows do
   * not span.
   */
  shortfalls: ClassShortfall[];
  /** Subspace iterations the eigensolver ran for each class. */
  iterations: number[];
  /**
   * Per class, whether the eigensolver met its tolerance; false means it
   * stopped at `solver.maxIterations` with the best estimate so far.
   */
  converged: boolean[];
}

/** Data accepted by {@link classPca}: rows with labels, or a Dataset. */
export type PcaInput = tf.Tensor2D|PcaDataset;

/**
 * Class-based PCA: for each class, the top principal components of the rows
 * of `x` that belong to it.
 *
 * Per class c, it accumulates the count n_c, the sum and the second moment
 * of the rows (streamed in batches on the active backend), forms the
 * uncentered second moment M_c = E[xxᵀ | c] or, with `centered`, the
 * covariance Σ_c = M_c − μ_c μ_cᵀ, optionally shrinks it toward the pooled
 * matrix of all classes, and takes its top eigenvectors with a subspace
 * iteration whose O(d²) work runs on the backend.
 *
 * @param x - A Tensor2D [N, d] of rows, or a `tf.data.Dataset` of
 *   `{xs, ys}` batches (then `labels` is omitted).
 * @param labels - N class indices (Tensor1D, array or typed array) or N×C
 *   one-hot rows. Omitted for a Dataset.
 * @param options - See {@link ClassPcaOptions}.
 * @returns A {@link ClassPcaResult}.
 * @throws ValueError for NaN or Inf in `x`, a bad label, mismatched lengths,
 *   a class with no rows, more components than features, or a bad option.
 *
 * @example
 * ```js
 * import * as tf from '@tensorflow/tfjs';
 * import {classPca} from 'tfjs-pca';
 *
 * const x = tf.randomNormal([600, 20]);
 * const y = tf.tensor1d(Array.from({length: 600}, (_, i) => i % 3), 'int32');
 * const pca = await classPca(x, y, {components: 4});
 * console.log(pca.classes[0].eigenvalues); // the 4 largest, class 0
 * ```
 */
export async function classPca(
    x: PcaInput, labels?: LabelsInput,
    options: ClassPcaOptions = {}): Promise<ClassPcaResult> {
  const resolved = resolvePcaOptions(options);
  if (x instanceof tf.Tensor) {
    checkTensorInput(x);
    const stats =
        await accumulateTensorAsync(x as tf.Tensor2D, labels as LabelsInput,
                                    resolved);
    try {
      return solveClassPca(stats, resolved);
    } finally {
      stats.dispose();
    }
  }
  if (labels !== undefined) {
    throw new ValueError(
        'classPca: a Dataset carries its labels in `ys`; pass `labels` ' +
        'only with a tensor `x`.');
  }
  const stats = await accumulateDataset(x, resolved);
  try {
    return solveClassPca(stats, resolved);
  } finally {
    stats.dispose();
  }
}

/**
 * The synchronous form of {@link classPca} for tensors. It blocks until
 * done; `classPca` yields to the event loop between batches, so prefer it
 * in a browser's main thread.
 *
 * @throws ValueError as {@link classPca}.
 */
export function classPcaSync(
    x: tf.Tensor2D, labels: LabelsInput,
    options: ClassPcaOptions = {}): ClassPcaResult {
  const resolved = resolvePcaOptions(options);
  checkTensorInput(x);
  const stats = accumulateTensor(x, labels, resolved);
  try {
    return solveClassPca(stats, resolved);
  } finally {
    stats.dispose();
  }
}

function checkTensorInput(x: tf.Tensor) {
  if (!(x instanceof tf.Tensor) || x.rank !== 2) {
    throw new ValueError(
        `classPca: \`x\` must be a Tensor2D [N, d] or a tf.data.Dataset, ` +
        `received ${describe(x)}.`);
  }
}

/**
 * Class-based PCA from statistics accumulated beforehand, for instance
 * merged from shards. `samplesPerClass`, `batchSize` and `numClasses` do
 * not apply here.
 *
 * @throws ValueError if a class has no rows or options are bad.
 */
export function classPcaFromStatistics(
    stats: ClassStatistics, options: ClassPcaOptions = {}): ClassPcaResult {
  return solveClassPca(stats, resolvePcaOptions(options));
}

/** {@link classPcaFromStatistics} with options already resolved. */
function solveClassPca(stats: ClassStatistics, o: ResolvedPcaOptions):
    ClassPcaResult {
  if (!(stats instanceof ClassStatistics)) {
    throw new ValueError(
        `classPcaFromStatistics: \`stats\` must be a ClassStatistics, ` +
        `received ${describe(stats)}.`);
  }
  const numClasses = stats.numClasses;
  checkEveryClassHasRows(stats, numClasses);
  const ks = componentsPerClass(o, numClasses, stats.dim);

  const {mean: dataMean, covariance: dataCovariance} = stats.total();
  const matrices: tf.Tensor2D[] = [];
  try {
    const alphas = classMatrices(stats, o, matrices);
    const solveKs = o.allocation === 'eigenvalue' ?
        ks.map(() => Math.min(stats.dim, 2 * Math.max(...ks))) : ks;
    const solved = o.distinct ? solveDistinct(matrices, ks, o) :
                                solveTop(matrices, solveKs, o);
    const kept = o.allocation === 'eigenvalue' ?
        rankAllocation(solved, ks.reduce((a, b) => a + b, 0)) : ks;
    const classes = solved.map((result, c) => describeClass(
        stats, c, result, kept[c], matrices[c], alphas[c], dataMean,
        dataCovariance));
    return {
      dim: stats.dim,
      numClasses,
      centered: o.centered,
      classes,
      dataMean: dataMean.dataSync() as Float32Array,
      shortfalls: findShortfalls(classes),
      iterations: solved.map(r => r.iterations),
      converged: solved.map(r => r.converged),
    };
  } finally {
    matrices.forEach(m => m.dispose());
    dataMean.dispose();
    dataCovariance.dispose();
  }
}

/**
 * The eigensolver on the class matrices, with its errors told in terms of
 * classPca: a non-finite class matrix means float32 overflowed.
 */
function solveTop(
    matrices: tf.Tensor2D[], ks: number[], o: ResolvedPcaOptions,
    classes: number[] = matrices.map((_, c) => c)): TopEigenResult[] {
  try {
    return topEigen(matrices, ks, {
      ...o.solver,
      seed: o.seed,
      onIteration: o.onProgress === undefined ?
          undefined :
          (done, total) => o.onProgress?.({stage: 'components', done, total}),
    });
  } catch (e) {
    const overflow = /matrices\[(\d+)\] contains NaN or Inf/.exec(
        (e as Error).message);
    if (overflow !== null) {
      throw new ValueError(
          `classPca: the second moment of class ` +
          `${classes[Number(overflow[1])]} overflows ` +
          `float32 (values of x near 1e19 or more); scale x down.`);
    }
    if (e instanceof ValueError) {
      throw new ValueError(`classPca: ${e.message}`);
    }
    throw e;
  }
}

/**
 * The eigensolver's relative residual tolerance for the turns of
 * `distinct` (or the solver's own, if larger). A component's angle error
 * is about the residual over the eigenvalue gap.
 */
const DISTINCT_TOLERANCE = 1e-4;

/**
 * A class's turn finds nothing more when the top eigenvalue of its
 * projected matrix is below this fraction of the class matrix's trace.
 */
const EXHAUSTED = 1e-6;

/**
 * The components of the `distinct` option. The classes take turns; each
 * turn's component is the top eigenvector of the class matrix with the
 * components taken so far projected out (its eigenvalue is that of the
 * projected matrix). A class whose projected matrix holds nothing more
 * (top eigenvalue below {@link EXHAUSTED} of its trace) fills each of its
 * remaining places, with eigenvalue 0, from the pooled matrix of all
 * classes (each over its trace) with the components taken projected out:
 * a direction other classes' rows have and nobody took yet. Once that is
 * empty too, so that no direction with any variance in the data is left,
 * it repeats its own components: a unit along a direction the data has
 * no variance in would be scaled without bound.
 */
function solveDistinct(
    matrices: tf.Tensor2D[], ks: number[],
    o: ResolvedPcaOptions): TopEigenResult[] {
  const d = matrices[0].shape[0];
  const numClasses = matrices.length;
  const total = ks.reduce((a, b) => a + b, 0);
  // A projected matrix holds float32 rounding of the order of 1e-7 of the
  // class matrix's norm, which the later turns' top eigenvalues approach:
  // their residuals stall above the default 1e-6 relative tolerance.
  const given = o.solver.tolerance;
  const turnOptions = {...o, onProgress: undefined, solver: {
    ...o.solver,
    tolerance: typeof given === 'number' && given > 0 ?
        Math.max(given, DISTINCT_TOLERANCE) :
        given ?? DISTINCT_TOLERANCE,
  }};
  const turns = ks.map(() => ({
    values: [] as number[], vectors: [] as Float32Array[], own: 0,
    iterations: 0, converged: true, exhausted: false,
  }));
  const taken: Float32Array[] = [];
  let placed = 0;
  // Each class matrix over its trace, so the solver sees entries of order
  // 1/d whatever the data's scale (on a projected matrix, whose zero
  // eigenvalues leave its filter out, a plain step squares the scale),
  // and their sum, the pooled matrix (trace C); then each with the
  // components taken before its last use projected out, and at its next
  // use the ones taken since (the components are orthonormal, so the
  // projections compose). The last entry is the pooled one.
  const scales = matrices.map(m => {
    const t = tf.tidy(() => trace(m).dataSync()[0]);
    return t > 0 ? t : 1;
  });
  const projected =
      matrices.map((m, c) => tf.div(m, scales[c]) as tf.Tensor2D);
  projected.push(tf.addN(projected) as tf.Tensor2D);
  const seen = projected.map(() => 0);
  // The top of matrix i (a class, or the pooled one) off the components
  // taken, or null when it holds nothing more.
  const next = (i: number, c: number): Float32Array|null => {
    const updated = deflate(projected[i], taken.slice(seen[i]));
    if (updated !== projected[i]) {
      projected[i].dispose();
      projected[i] = updated;
    }
    seen[i] = taken.length;
    const [top] = solveTop([projected[i]], [1], turnOptions, [c]);
    const turn = turns[c];
    turn.iterations += top.iterations;
    const limit = EXHAUSTED * (i === numClasses ? numClasses : 1);
    const v = top.values[0] > limit ? orthogonalTo(top.vectors, taken) : null;
    if (v !== null) {
      turn.converged = turn.converged && top.converged;
      taken.push(v);
      turn.values.push(i === numClasses ? 0 : top.values[0] * scales[c]);
    }
    return v;
  };
  try {
    for (let round = 0; round < Math.max(...ks); round++) {
      ks.forEach((k, c) => {
        if (round >= k) {
          return;
        }
        const turn = turns[c];
        let v = turn.exhausted ? null : next(c, c);
        if (v === null) {
          turn.exhausted = true;
          v = next(numClasses, c);
        } else {
          turn.own++;
        }
        if (v === null) {
          // Nothing with variance is left: repeat the class's own
          // components, or for a class with none those taken, or (all
          // data zero) the axes.
          const i = turn.vectors.length - turn.own;
          v = turn.own > 0 ? turn.vectors[i % turn.own] :
              taken.length > 0 ? taken[i % taken.length] :
              Float32Array.from({length: d}, (_, j) => j === i % d ? 1 : 0);
          turn.values.push(0);
        }
        turn.vectors.push(v);
        o.onProgress?.({stage: 'components', done: ++placed, total});
      });
    }
  } finally {
    tf.dispose(projected);
  }
  return turns.map((turn, c) => {
    const vectors = new Float32Array(ks[c] * d);
    turn.vectors.forEach((v, i) => vectors.set(v, i * d));
    return {values: Float64Array.from(turn.values), vectors,
            iterations: turn.iterations, converged: turn.converged};
  });
}

/** tr(m) of a square matrix, on the backend. */
function trace(m: tf.Tensor2D): tf.Scalar {
  return tf.sum(tf.mul(m, tf.eye(m.shape[0])));
}

/**
 * P·S·P with P = I − QᵀQ, Q the unit rows `taken` (orthonormal), from
 * products with Q only: S − QᵀQS − SQᵀQ + QᵀQSQᵀQ, made exactly symmetric.
 * Returns `s` itself when `taken` is empty.
 */
function deflate(s: tf.Tensor2D, taken: Float32Array[]): tf.Tensor2D {
  if (taken.length === 0) {
    return s;
  }
  const d = s.shape[0];
  const q = taken.length;
  const rows = new Float32Array(q * d);
  const columns = new Float32Array(d * q);
  taken.forEach((v, i) => {
    rows.set(v, i * d);
    v.forEach((x, j) => columns[j * q + i] = x);
  });
  return tf.tidy(() => {
    const qRows = tf.tensor2d(rows, [q, d]);
    const qColumns = tf.tensor2d(columns, [d, q]);
    const sq = tf.matMul(s, qColumns);
    const qs = tf.matMul(qRows, s);
    const qsq = tf.matMul(qRows, sq);
    const a = tf.add(
        tf.sub(tf.sub(s, tf.matMul(qColumns, qs)), tf.matMul(sq, qRows)),
        tf.matMul(tf.matMul(qColumns, qsq), qRows));
    return tf.mul(tf.add(a, tf.transpose(a)), 0.5);
  });
}

/**
 * `v` with its parts along the unit rows `taken` removed (two passes of
 * Gram–Schmidt in float64) and scaled to unit length, or null when less
 * than 1e-3 of it is left.
 */
function orthogonalTo(v: Float32Array, taken: Float32Array[]):
    Float32Array|null {
  const w = Float64Array.from(v);
  for (let pass = 0; pass < 2; pass++) {
    for (const t of taken) {
      let dot = 0;
      for (let j = 0; j < w.length; j++) {
        dot += w[j] * t[j];
      }
      for (let j = 0; j < w.length; j++) {
        w[j] -= dot * t[j];
      }
    }
  }
  const norm = Math.sqrt(w.reduce((sum, x) => sum + x * x, 0));
  return norm < 1e-3 ? null : Float32Array.from(w, x => x / norm);
}

/** Reads a Tensor2D with labels into statistics, class by class. */
function accumulateTensor(
    x: tf.Tensor2D, labels: LabelsInput,
    o: ResolvedPcaOptions): ClassStatistics {
  const steps = accumulationSteps(x, labels, o);
  let step = steps.next();
  while (!step.done) {
    step = steps.next();
  }
  return step.value;
}

/** {@link accumulateTensor}, yielding to the event loop between batches. */
async function accumulateTensorAsync(
    x: tf.Tensor2D, labels: LabelsInput,
    o: ResolvedPcaOptions): Promise<ClassStatistics> {
  const steps = accumulationSteps(x, labels, o);
  let step = steps.next();
  while (!step.done) {
    await tf.nextFrame();
    step = steps.next();
  }
  return step.value;
}

/**
 * The accumulation as a generator that pauses after each batch, so the
 * same code serves the blocking and the yielding forms.
 */
function* accumulationSteps(
    x: tf.Tensor2D, labels: LabelsInput,
    o: ResolvedPcaOptions): Generator<void, ClassStatistics, void> {
  checkRows(x, x.shape[1], 'x');
  if (x.shape[0] === 0 || x.shape[1] === 0) {
    throw new ValueError(
        `classPca: \`x\` must have at least one row and one column, ` +
        `received ${describe(x)}.`);
  }
  const classOf = readLabels(labels, x.shape[0], o.numClasses);
  const numClasses = o.numClasses ?? impliedClassCount(labels, classOf);
  const rowsOf = rowsPerClass(classOf, numClasses, o);
  const stats = new ClassStatistics(x.shape[1], numClasses);
  const total = rowsOf.reduce((a, rows) => a + rows.length, 0);
  let done = 0;
  try {
    for (let c = 0; c < numClasses; c++) {
      const rows = rowsOf[c];
      for (let start = 0; start < rows.length; start += o.batchSize) {
        const chunk = rows.subarray(start, start + o.batchSize);
        stats.updateRows(c, x, chunk, 'x');
        done += chunk.length;
        o.onProgress?.({stage: 'statistics', done, total});
        yield;
      }
    }
  } catch (e) {
    stats.dispose();
    throw e;
  }
  return stats;
}

/**
 * Row indices of each class, subsampled to `samplesPerClass` with the seed.
 * @throws ValueError if a class has no rows.
 */
export function rowsPerClass(
    classOf: Int32Array, numClasses: number,
    o: {samplesPerClass?: number, seed: number}): Int32Array[] {
  if (numClasses > classOf.length) {
    throw new ValueError(
        `classPca: there are ${numClasses} classes but only ` +
        `${classOf.length} rows; every class needs at least one row.`);
  }
  const counts = new Array<number>(numClasses).fill(0);
  classOf.forEach(c => counts[c]++);
  const empty = counts.findIndex(n => n === 0);
  if (empty >= 0) {
    throw new ValueError(
        `classPca: class ${empty} has no rows in \`labels\`; every class in ` +
        `[0, ${numClasses - 1}] needs at least one (set \`numClasses\` if ` +
        `the labels skip classes on purpose, and remove those classes).`);
  }
  const rows = counts.map(n => new Int32Array(n));
  const filled = new Array<number>(numClasses).fill(0);
  classOf.forEach((c, i) => {
    rows[c][filled[c]++] = i;
  });
  if (o.samplesPerClass === undefined) {
    return rows;
  }
  const rng = new SeededRandom(o.seed);
  return rows.map(r => {
    if (r.length <= (o.samplesPerClass as number)) {
      return r;
    }
    const chosen = rng.shuffle(r.slice()).subarray(0, o.samplesPerClass);
    return chosen.sort();
  });
}

function checkEveryClassHasRows(stats: ClassStatistics, numClasses: number) {
  if (numClasses === 0) {
    throw new ValueError('classPca: no rows were given.');
  }
  for (let c = 0; c < numClasses; c++) {
    if (stats.count(c) === 0) {
      throw new ValueError(
          `classPca: class ${c} has no rows; every class in ` +
          `[0, ${numClasses - 1}] needs at least one.`);
    }
  }
}

/** Components to keep per class, from `components` or `totalComponents`. */
function componentsPerClass(
    o: ResolvedPcaOptions, numClasses: number, dim: number): number[] {
  const ks = o.totalComponents === undefined ?
      new Array<number>(numClasses).fill(o.components) :
      equalSplit(o.totalComponents, numClasses);
  if (ks.some(k => k > dim)) {
    throw new ValueError(
        `classPca: ${Math.max(...ks)} components per class were asked for ` +
        `but the rows have only ${dim} features; ask for at most ${dim}.`);
  }
  if (ks.some(k => k === 0)) {
    throw new ValueError(
        `classPca: \`totalComponents\` (${o.totalComponents}) is smaller ` +
        `than the number of classes (${numClasses}); give every class at ` +
        `least one component.`);
  }
  return ks;
}

/**
 * Fills `out` with the matrix to decompose for each class (M_c or Σ_c,
 * shrunk toward the pooled matrix T = Σ_c (n_c / N)·S_c) and returns the
 * shrinkage α of each class.
 */
function classMatrices(
    stats: ClassStatistics, o: ResolvedPcaOptions,
    out: tf.Tensor2D[]): number[] {
  const numClasses = stats.numClasses;
  for (let c = 0; c < numClasses; c++) {
    out.push(o.centered ? stats.covariance(c) : stats.secondMoment(c));
  }
  if (o.shrinkage === 0) {
    return new Array<number>(numClasses).fill(0);
  }
  const n = stats.totalCount;
  const pooled = tf.tidy(() => tf.addN(
      out.map((s, c) => tf.mul(s, stats.count(c) / n))) as tf.Tensor2D);
  try {
    return out.map((s, c) => {
      const alpha = o.shrinkage === 'auto' ?
          autoShrinkage(s, pooled, stats.count(c)) :
          o.shrinkage as number;
      if (alpha > 0) {
        out[c] = tf.tidy(
            () => tf.add(tf.mul(s, 1 - alpha), tf.mul(pooled, alpha)));
        s.dispose();
      }
      return alpha;
    });
  } finally {
    pooled.dispose();
  }
}

/**
 * α = min(1, (‖S‖²_F + tr(S)²) / (n·‖S − T‖²_F)): the Ledoit–Wolf ratio of
 * the estimator's total variance to its distance from the target, with the
 * variance of each entry s_ij taken as (s_ij² + s_ii·s_jj) / n, its value
 * for Gaussian rows.
 */
function autoShrinkage(s: tf.Tensor2D, target: tf.Tensor2D, n: number):
    number {
  const parts = tf.tidy(() => {
    return tf.stack([
      tf.sum(tf.square(s)), tf.square(trace(s)),
      tf.sum(tf.square(tf.sub(s, target))),
    ]);
  });
  const [frob, trace2, distance] = Array.from(parts.dataSync());
  parts.dispose();
  if (!(distance > 0)) {
    return 0;
  }
  return Math.min(1, (frob + trace2) / (n * distance));
}

/**
 * With `allocation: 'eigenvalue'`: how many of each class's components to
 * keep so that the `budget` largest eigenvalues over all classes are kept,
 * and every class keeps at least one.
 */
function rankAllocation(solved: TopEigenResult[], budget: number): number[] {
  const kept = solved.map(() => 1);
  const candidates: Array<{c: number, value: number}> = [];
  solved.forEach((r, c) => {
    for (let i = 1; i < r.values.length; i++) {
      candidates.push({c, value: r.values[i]});
    }
  });
  candidates.sort((a, b) => b.value - a.value);
  for (const {c} of candidates.slice(0, Math.max(0, budget - solved.length))) {
    kept[c]++;
  }
  return kept;
}

/** Assembles the result of one class: sign fix, ratios, data variance. */
function describeClass(
    stats: ClassStatistics, c: number, result: TopEigenResult, k: number,
    matrix: tf.Tensor2D, shrinkage: number, dataMean: tf.Tensor1D,
    dataCovariance: tf.Tensor2D): ClassComponents {
  const d = stats.dim;
  const components = result.vectors.slice(0, k * d);
  const eigenvalues = result.values.slice(0, k);
  const meanTensor = stats.mean(c);
  const mean = meanTensor.dataSync() as Float32Array;
  meanTensor.dispose();
  fixSigns(components, mean, k, d);

  const projected = tf.tidy(() => {
    const w = tf.tensor2d(components, [k, d]);
    const variance = tf.sum(tf.mul(tf.matMul(w, dataCovariance), w), 1);
    const meanProjection = tf.squeeze(
        tf.matMul(w, tf.expandDims(dataMean, 1)), [1]);
    return tf.concat(
        [variance, meanProjection, tf.reshape(trace(matrix), [1])]);
  });
  const values = projected.dataSync();
  projected.dispose();
  const total = values[2 * k];
  return {
    classIndex: c,
    count: stats.count(c),
    mean,
    numComponents: k,
    components,
    eigenvalues,
    explainedVarianceRatio: eigenvalues.map(v => total > 0 ? v / total : 0),
    dataVariance: Float64Array.from(values.subarray(0, k)),
    dataMeanProjection: Float64Array.from(values.subarray(k, 2 * k)),
    shrinkage,
  };
}

/**
 * Flips each component so the class mean projects positive; when the mean
 * is (numerically) orthogonal to it, so its largest entry is positive.
 */
function fixSigns(
    components: Float32Array, mean: Float32Array, k: number, d: number) {
  let meanNorm = 0;
  for (let j = 0; j < d; j++) {
    meanNorm += mean[j] * mean[j];
  }
  meanNorm = Math.sqrt(meanNorm);
  for (let i = 0; i < k; i++) {
    const row = components.subarray(i * d, (i + 1) * d);
    let dot = 0;
    let largest = 0;
    for (let j = 0; j < d; j++) {
      dot += row[j] * mean[j];
      if (Math.abs(row[j]) > Math.abs(largest)) {
        largest = row[j];
      }
    }
    const flip = Math.abs(dot) > 1e-6 * meanNorm ? dot < 0 : largest < 0;
    if (flip) {
      row.forEach((v, j) => row[j] = -v);
    }
  }
}

/**
 * Components whose eigenvalue is negligible next to the class's largest, or
 * beyond the rank the class's rows allow.
 */
function findShortfalls(classes: ClassComponents[]): ClassShortfall[] {
  const out: ClassShortfall[] = [];
  for (const cls of classes) {
    const top = cls.eigenvalues[0];
    let supported = 0;
    while (supported < cls.numComponents &&
           cls.eigenvalues[supported] > 1e-6 * top) {
      supported++;
    }
    supported = Math.min(supported, cls.count);
    if (supported < cls.numComponents) {
      out.push({
        classIndex: cls.classIndex,
        requested: cls.numComponents,
        supported,
        reason: cls.count < cls.numComponents ? 'fewer-samples' : 'low-rank',
      });
    }
  }
  return out;
}
