import * as tf from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors';
import {block, congruence, multiply} from './dense';
import {orthonormalTransform} from './orthonormalize';
import {SeededRandom} from './random';
import {symmetricEigen} from './symmetric-eigen';

/** Options of {@link topEigen}. */
export interface TopEigenOptions {
  /**
   * Extra vectors iterated beyond the k requested. A larger block converges
   * in fewer iterations (the rate is λ(k+p+1)/λ(k) per iteration) at a
   * higher cost per iteration. Defaults to `max(8, ceil(k / 2))`.
   */
  oversample?: number;
  /** Upper bound on subspace iterations. Defaults to 200. */
  maxIterations?: number;
  /**
   * Convergence threshold on the residual ‖A·v − λ·v‖ of each of the top k
   * eigenpairs, relative to the largest eigenvalue. By the Davis–Kahan
   * bound, the angle of an eigenvector is at most this times λ₁ over its
   * eigengap. Defaults to 1e-6, a few times the float32 noise floor.
   */
  tolerance?: number;
  /** Seed of the random starting subspace. Defaults to 0. */
  seed?: number;
  /**
   * Degree of the Chebyshev filter applied to the Ritz vectors between
   * Rayleigh–Ritz steps: each iteration multiplies by A this many times,
   * with a polynomial that damps the eigenvalues below the block's
   * smallest Ritz value and amplifies those above it, instead of A itself.
   * 1 is plain subspace iteration. The degree is lowered in an iteration
   * where the filter would amplify the largest Ritz value more than
   * 1e8 times the k-th, which float32 could not
   * resolve. Defaults to 4 (measured: docs/BENCHMARKS.md).
   */
  filterDegree?: number;
  /**
   * Called after each iteration with how many matrices have converged so
   * far. Defaults to none.
   */
  onIteration?: (converged: number, total: number) => void;
}

/** The top eigenpairs of one symmetric matrix. */
export interface TopEigenResult {
  /** The k largest eigenvalues, in descending order. */
  values: Float64Array;
  /** The matching unit eigenvectors as rows, row-major k×d. */
  vectors: Float32Array;
  /** Subspace iterations run. */
  iterations: number;
  /** Whether every residual met the tolerance before `maxIterations`. */
  converged: boolean;
}

/**
 * The default filter degree. On the 10 class second moments of
 * Fashion-MNIST (k = 26, wasm; bench/eigen-filter.ts, docs/BENCHMARKS.md)
 * a filter cut the iterations from 10–18 per class to 6–8 and the solve
 * by about a quarter (0.68 s against 0.88 s); on their covariances degree 2 once needed 24
 * iterations where 3 and 4 needed 13 and 5–10. The spread limit lowers
 * the degree where it must.
 */
export const DEFAULT_FILTER_DEGREE = 4;

/**
 * The largest ratio the filter may put between the top Ritz value's gain
 * and the k-th one's. A Ritz vector's component along the top eigenvector
 * grows by that ratio relative to its own direction. Where the top
 * eigenvalue dominates (the mean direction of an uncentred moment) its
 * Ritz vector is accurate to float32 precision within an iteration or
 * two, so those components are near 1e-7 and come out of a 1e8 spread at
 * about ten times the direction's own part, still well above float32's
 * resolution of it, and the orthonormalization removes them. 1e4 kept the
 * filter off on Fashion-MNIST's second moments altogether. Convergence is
 * decided by the residuals, so a filter step that does lose a direction
 * (it is then dropped and refilled at random) costs iterations, not
 * accuracy.
 */
export const MAX_FILTER_SPREAD = 1e8;

interface SolverState {
  a: tf.Tensor2D;
  k: number;
  basis: tf.Tensor2D;
  rng: SeededRandom;
  result?: TopEigenResult;
  iterations: number;
  /** The top Ritz values of the previous iteration. */
  previousValues?: Float64Array;
}

/**
 * The k largest eigenvalues and their eigenvectors of each symmetric
 * positive semi-definite d×d matrix in `matrices` (such as second moments
 * and covariances). For a matrix with negative eigenvalues the result is
 * not defined; those would be reported as 0.
 *
 * Block subspace iteration with Rayleigh–Ritz: a basis of m = k + p rows Q
 * is multiplied by A on the backend (the only O(d²) work, so a GPU backend
 * does it), and the small m×m problems that keep the basis orthonormal and
 * extract Ritz pairs are solved in float64 on the host. Directions that
 * collapse (zero or repeated eigenvalues, rank-deficient A) are replaced by
 * fresh random ones, so the result is always an orthonormal basis and never
 * NaN. Classes are iterated together and leave the loop as they converge.
 *
 * @param matrices - Symmetric PSD matrices, all d×d.
 * @param k - How many eigenpairs to return for each matrix (a number, or one
 *   per matrix), each between 1 and d.
 * @returns One {@link TopEigenResult} per matrix, in order.
 * @throws ValueError if a matrix is not square, symmetric and finite, if k
 *   is out of range, or an option is bad.
 *
 * @example
 * ```js
 * const a = tf.tensor2d([[2, 1], [1, 2]]);
 * const [{values, vectors}] = topEigen([a], 1);
 * // values ≈ [3], vectors ≈ [0.707, 0.707] (up to sign)
 * ```
 */
export function topEigen(
    matrices: tf.Tensor2D[], k: number|number[],
    options: TopEigenOptions = {}): TopEigenResult[] {
  const ks = validateTopEigenArgs(matrices, k);
  const {maxIterations, tolerance, seed, oversample, filterDegree} =
      resolveSolverOptions(options);
  checkSymmetricFinite(matrices);

  const states: SolverState[] = [];
  try {
    matrices.forEach((a, i) => {
      const d = a.shape[0];
      const extra = oversample ?? Math.max(8, Math.ceil(ks[i] / 2));
      const m = Math.min(d, ks[i] + extra);
      const rng = new SeededRandom(seed + 7919 * i);
      const basis = tf.tensor2d(rng.normals(m * d), [m, d]);
      states.push({a, k: ks[i], basis, rng, iterations: 0});
    });

    let active = states;
    for (let it = 0; it < maxIterations && active.length > 0; it++) {
      const last = it === maxIterations - 1;
      for (const state of active) {
        iterate(state, tolerance, last, filterDegree);
      }
      active = active.filter(s => s.result === undefined);
      options.onIteration?.(states.length - active.length, states.length);
    }
    return states.map(s => s.result as TopEigenResult);
  } finally {
    states.forEach(s => s.basis.dispose());
  }
}

function resolveSolverOptions(options: TopEigenOptions) {
  if (options === null || typeof options !== 'object') {
    throw new ValueError(
        `topEigen: \`options\` must be an object, received ` +
        `${describe(options)}.`);
  }
  const {maxIterations = 200, tolerance = 1e-6, seed = 0, oversample,
         filterDegree = DEFAULT_FILTER_DEGREE} = options;
  if (!Number.isInteger(filterDegree) || filterDegree < 1 ||
      filterDegree > 16) {
    throw new ValueError(
        `topEigen: \`filterDegree\` must be an integer from 1 to 16, ` +
        `received ${describe(filterDegree)}.`);
  }
  if (options.onIteration !== undefined &&
      typeof options.onIteration !== 'function') {
    throw new ValueError(
        `topEigen: \`onIteration\` must be a function, received ` +
        `${describe(options.onIteration)}.`);
  }
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new ValueError(
        `topEigen: \`maxIterations\` must be a positive integer, received ` +
        `${describe(maxIterations)}.`);
  }
  if (!(typeof tolerance === 'number' && tolerance > 0 &&
        Number.isFinite(tolerance))) {
    throw new ValueError(
        `topEigen: \`tolerance\` must be a positive number, received ` +
        `${describe(tolerance)}.`);
  }
  if (oversample !== undefined &&
      (!Number.isInteger(oversample) || oversample < 0)) {
    throw new ValueError(
        `topEigen: \`oversample\` must be a non-negative integer, ` +
        `received ${describe(oversample)}.`);
  }
  if (!Number.isFinite(seed)) {
    throw new ValueError(
        `topEigen: \`seed\` must be a finite number, received ` +
        `${describe(seed)}.`);
  }
  return {maxIterations, tolerance, seed, oversample, filterDegree};
}

/**
 * Throws for NaN or Inf, or for a matrix that is not symmetric to float32
 * accuracy (|A − Aᵀ| above 1e-5 of the largest entry): the iteration
 * assumes both, and would return meaningless pairs otherwise.
 */
function checkSymmetricFinite(matrices: tf.Tensor2D[]) {
  // On the host, from one read-back per matrix: on wasm a transpose kernel
  // of a 784×784 matrix costs several times the read.
  matrices.forEach((a, i) => {
    const d = a.shape[0];
    const values = a.dataSync();
    let largest = 0;
    let asymmetry = 0;
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < d; c++) {
        const v = values[r * d + c];
        if (!Number.isFinite(v)) {
          throw new ValueError(
              `topEigen: matrices[${i}] contains NaN or Inf.`);
        }
        largest = Math.max(largest, Math.abs(v));
        if (c > r) {
          asymmetry = Math.max(asymmetry, Math.abs(v - values[c * d + r]));
        }
      }
    }
    if (asymmetry > 1e-5 * largest) {
      throw new ValueError(
          `topEigen: matrices[${i}] is not symmetric: the largest |A − Aᵀ| ` +
          `is ${asymmetry} against a largest entry of ${largest}.`);
    }
  });
}

function validateTopEigenArgs(
    matrices: tf.Tensor2D[], k: number|number[]): number[] {
  if (!Array.isArray(matrices)) {
    throw new ValueError(
        `topEigen: \`matrices\` must be an array of square Tensor2D, ` +
        `received ${describe(matrices)}.`);
  }
  const ks = Array.isArray(k) ? k : matrices.map(() => k);
  if (ks.length !== matrices.length) {
    throw new ValueError(
        `topEigen: \`k\` has ${ks.length} entries but there are ` +
        `${matrices.length} matrices.`);
  }
  matrices.forEach((a, i) => {
    if (!(a instanceof tf.Tensor) || a.isDisposed || a.rank !== 2 ||
        a.shape[0] !== a.shape[1] || a.dtype !== 'float32') {
      throw new ValueError(
          `topEigen: matrices[${i}] must be a square float32 Tensor2D, ` +
          `received ` +
          `${describe(a)}.`);
    }
    const d = a.shape[0];
    if (!Number.isInteger(ks[i]) || ks[i] < 1 || ks[i] > d) {
      throw new ValueError(
          `topEigen: k for matrices[${i}] must be an integer in ` +
          `[1, ${d}], received ${describe(ks[i])}.`);
    }
  });
  return ks;
}

/**
 * One subspace iteration: Z = Q·A, Rayleigh–Ritz on span(Q), residuals of
 * the top k Ritz pairs, and the next orthonormal basis from A times the
 * Ritz vectors, or from a Chebyshev polynomial in A applied to them.
 */
function iterate(
    state: SolverState, tolerance: number, last: boolean,
    filterDegree: number) {
  const {a, k} = state;
  const d = a.shape[0];
  const m = state.basis.shape[0];

  // Q and Z = Q·A as rows; their joint Gram holds Q·Qᵀ, Q·A·Qᵀ and Z·Zᵀ.
  const z: tf.Tensor2D = tf.tidy(() => tf.matMul(state.basis, a));
  try {
    const gram = tf.tidy(() => {
      const both = tf.concat([state.basis, z], 0);
      return tf.matMul(both, tf.transpose(both));
    });
    const g = gram.dataSync();
    gram.dispose();
    const basisGram = block(g, 2 * m, 0, 0, m);
    const projected = block(g, 2 * m, 0, m, m);
    const imageGram = block(g, 2 * m, m, m, m);

    // Rayleigh–Ritz in an orthonormalized copy of the basis.
    const orth = orthonormalTransform(basisGram, m);
    const ritz = symmetricEigen(
        congruence(orth.t, projected, orth.rank, m), orth.rank);
    const coeffs = multiply(ritz.vectors, orth.t, orth.rank, orth.rank, m);

    const top = Math.min(k, orth.rank);
    const largest = Math.max(ritz.values[0], 0);
    // Residuals cost backend work and a read-back; they are only computed
    // once the top Ritz values have stopped moving (their change is about
    // the square of the vectors' error, so this comes some iterations
    // before the residual test can pass) and on the last iteration.
    const settled = valuesSettled(ritz.values, state.previousValues, top);
    state.previousValues = ritz.values.slice(0, top);
    const converged = top === k && (settled || last) &&
        ritzResiduals(state.basis, z, coeffs, ritz.values, top, m)
            .every(r => r <= tolerance * largest);
    state.iterations++;
    if (converged || last) {
      state.result = ritzPairs(state, coeffs, ritz.values, top, converged);
      return;
    }

    const filter = chebyshevFilter(ritz.values, orth.rank, top, filterDegree);
    if (filter !== null) {
      const replaced = state.basis;
      state.basis = filteredBasis(state, z, coeffs, orth.rank, filter);
      replaced.dispose();
      return;
    }
    // Next basis: orthonormalized images A·y of the Ritz vectors.
    const image = orthonormalTransform(
        congruence(coeffs, imageGram, orth.rank, m), orth.rank);
    const next = multiply(image.t, coeffs, image.rank, orth.rank, m);
    const replaced = state.basis;
    state.basis = tf.tidy(() => {
      const kept: tf.Tensor2D =
          tf.matMul(tf.tensor2d(Float32Array.from(next), [image.rank, m]), z);
      if (image.rank === m) {
        return kept;
      }
      const fresh = state.rng.normals((m - image.rank) * d);
      return tf.concat2d([kept, tf.tensor2d(fresh, [m - image.rank, d])], 0);
    });
    replaced.dispose();
  } finally {
    z.dispose();
  }
}

/**
 * A Chebyshev filter p(λ) = T_q((λ − c)/e) / T_q((θ₁ − c)/e) that maps
 * [0, b] (b the smallest Ritz value of the block) into [−1/T, 1/T] and the
 * top Ritz value θ₁ to 1. `gains[i]` is T_i((θ₁ − c)/e), i = 0..q, for the
 * three-term recurrence.
 */
interface ChebyshevFilter {
  degree: number;
  centre: number;
  halfWidth: number;
  gains: Float64Array;
}

/**
 * The filter for this iteration, or null for a plain step: when the degree
 * is 1, when the spectrum seen so far gives no interval to damp (a zero or
 * flat block), or when even degree 2 would spread the gains of the top and
 * k-th Ritz values beyond MAX_FILTER_SPREAD.
 */
function chebyshevFilter(
    values: Float64Array, rank: number, top: number,
    maxDegree: number): ChebyshevFilter|null {
  const largest = values[0];
  const cut = values[rank - 1];
  if (maxDegree < 2 || !(largest > 0) || !(cut > 0) ||
      cut >= largest * (1 - 1e-6)) {
    return null;
  }
  const centre = cut / 2;
  const halfWidth = cut / 2;
  const at = (lambda: number) => (lambda - centre) / halfWidth;
  const x1 = at(largest);
  const xk = at(Math.max(values[top - 1], 0));
  let degree = 1;
  const gains = [1, x1];
  let tk = [1, xk];
  while (degree < maxDegree) {
    const next = 2 * x1 * gains[degree] - gains[degree - 1];
    const nextK = 2 * xk * tk[degree] - tk[degree - 1];
    if (!Number.isFinite(next) ||
        !(next / Math.max(Math.abs(nextK), 1) <= MAX_FILTER_SPREAD)) {
      break;
    }
    gains.push(next);
    tk = [...tk, nextK];
    degree++;
  }
  if (degree < 2) {
    return null;
  }
  return {degree, centre, halfWidth, gains: Float64Array.from(gains)};
}

/**
 * The next basis: an orthonormal basis of p(A)·Y for the Ritz vectors
 * Y = coeffs·Q, by the scaled three-term recurrence
 * Y₁ = (A − c)·Y₀ / (e·T₁), Y_{i+1} = 2·T_i/(e·T_{i+1})·(A − c)·Y_i −
 * T_{i−1}/T_{i+1}·Y_{i−1}, so every Y_i keeps the top Ritz vector at unit
 * gain. A·Y₀ = coeffs·Z is already known; each further degree is one
 * product with A on the backend. Directions the filter collapsed are
 * refilled at random, as in the plain step.
 */
function filteredBasis(
    state: SolverState, z: tf.Tensor2D, coeffs: Float64Array, rank: number,
    filter: ChebyshevFilter): tf.Tensor2D {
  const {a} = state;
  const d = a.shape[0];
  const m = state.basis.shape[0];
  const {degree, centre, halfWidth, gains} = filter;
  const filtered = tf.tidy(() => {
    const c = tf.tensor2d(Float32Array.from(coeffs), [rank, m]);
    let previous: tf.Tensor2D = tf.matMul(c, state.basis);
    let image: tf.Tensor2D = tf.matMul(c, z);
    let current: tf.Tensor2D = tf.mul(
        tf.sub(image, tf.mul(previous, centre)), 1 / (halfWidth * gains[1]));
    for (let i = 1; i < degree; i++) {
      image = tf.matMul(current, a);
      const next: tf.Tensor2D = tf.sub(
          tf.mul(tf.sub(image, tf.mul(current, centre)),
                 2 * gains[i] / (halfWidth * gains[i + 1])),
          tf.mul(previous, gains[i - 1] / gains[i + 1]));
      previous = current;
      current = next;
    }
    return current;
  });
  try {
    const gram = tf.tidy(() => tf.matMul(filtered, tf.transpose(filtered)));
    const g = gram.dataSync();
    gram.dispose();
    const orth = orthonormalTransform(g, rank);
    return tf.tidy(() => {
      const kept: tf.Tensor2D = tf.matMul(
          tf.tensor2d(Float32Array.from(orth.t), [orth.rank, rank]),
          filtered);
      if (orth.rank === m) {
        return kept;
      }
      const fresh = state.rng.normals((m - orth.rank) * d);
      return tf.concat2d([kept, tf.tensor2d(fresh, [m - orth.rank, d])], 0);
    });
  } finally {
    filtered.dispose();
  }
}

/**
 * Whether each of the top Ritz values moved by less than 1e-6 of the
 * largest since the previous iteration.
 */
function valuesSettled(
    values: Float64Array, previous: Float64Array|undefined,
    top: number): boolean {
  if (previous === undefined || previous.length < top) {
    return false;
  }
  const scale = Math.max(Math.abs(values[0]), Number.MIN_VALUE);
  for (let i = 0; i < top; i++) {
    if (Math.abs(values[i] - previous[i]) > 1e-6 * scale) {
      return false;
    }
  }
  return true;
}

/** ‖A·y − θ·y‖ for the top Ritz pairs y = coeffs·Q. */
function ritzResiduals(
    basis: tf.Tensor2D, z: tf.Tensor2D, coeffs: Float64Array,
    values: Float64Array, top: number, m: number): number[] {
  const norms = tf.tidy(() => {
    const c = tf.tensor2d(
        Float32Array.from(coeffs.subarray(0, top * m)), [top, m]);
    const y = tf.matMul(c, basis);
    const ay = tf.matMul(c, z);
    const theta =
        tf.tensor2d(Float32Array.from(values.subarray(0, top)), [top, 1]);
    return tf.sqrt(tf.sum(tf.square(tf.sub(ay, tf.mul(theta, y))), 1));
  });
  const out = Array.from(norms.dataSync());
  norms.dispose();
  return out;
}

/**
 * The top Ritz values and vectors. When the basis has collapsed below k
 * independent directions, the missing pairs are filled with eigenvalue 0
 * and zero vectors for this iteration only; the next iteration refills the
 * basis with random directions and finds proper null-space vectors.
 */
function ritzPairs(
    state: SolverState, coeffs: Float64Array, values: Float64Array,
    top: number, converged: boolean): TopEigenResult {
  const {k} = state;
  const d = state.a.shape[0];
  const m = state.basis.shape[0];
  const vectors = new Float32Array(k * d);
  const y = tf.tidy(() => tf.matMul(
      tf.tensor2d(
        Float32Array.from(coeffs.subarray(0, top * m)), [top, m]),
      state.basis));
  vectors.set(y.dataSync());
  y.dispose();
  const out = new Float64Array(k);
  for (let i = 0; i < top; i++) {
    out[i] = Math.max(values[i], 0);
  }
  return {values: out, vectors, iterations: state.iterations, converged};
}
