/**
 * Float64 references and small utilities shared by the tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import {EigenvalueDecomposition, Matrix, QrDecomposition,
        SingularValueDecomposition} from 'ml-matrix';

import {SeededRandom} from '../src/linalg/random';

/** A d×d orthogonal matrix drawn with a seed (QR of a Gaussian). */
export function randomOrthogonal(d: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const g = new Matrix(d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      g.set(i, j, rng.normal());
    }
  }
  return new QrDecomposition(g).orthogonalMatrix;
}

/** Q·diag(values)·Qᵀ as a float32 row-major array. */
export function withSpectrum(q: Matrix, values: number[]): Float32Array {
  const d = q.rows;
  const a = q.mmul(Matrix.diag(values)).mmul(q.transpose());
  const out = new Float32Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      out[i * d + j] = 0.5 * (a.get(i, j) + a.get(j, i));
    }
  }
  return out;
}

/** Eigenvalues (descending) and eigenvectors (columns) in float64. */
export function referenceEigen(a: ArrayLike<number>, d: number):
    {values: number[], vectors: Matrix} {
  const m = new Matrix(d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      m.set(i, j, a[i * d + j]);
    }
  }
  const evd = new EigenvalueDecomposition(m, {assumeSymmetric: true});
  const order = evd.realEigenvalues.map((v, i) => [v, i])
      .sort((x, y) => y[0] - x[0]).map(p => p[1]);
  const vectors = new Matrix(d, d);
  order.forEach((src, dst) => {
    for (let r = 0; r < d; r++) {
      vectors.set(r, dst, evd.eigenvectorMatrix.get(r, src));
    }
  });
  return {values: order.map(i => evd.realEigenvalues[i]), vectors};
}

/** Rows of a row-major k×d array as the columns of a d×k Matrix. */
export function rowsAsColumns(rows: ArrayLike<number>, k: number, d: number):
    Matrix {
  const m = new Matrix(d, k);
  for (let i = 0; i < k; i++) {
    for (let r = 0; r < d; r++) {
      m.set(r, i, rows[i * d + r]);
    }
  }
  return m;
}

/**
 * The largest principal angle (radians) between the column spans of two
 * matrices with orthonormal columns.
 */
export function largestPrincipalAngle(a: Matrix, b: Matrix): number {
  const s = new SingularValueDecomposition(a.transpose().mmul(b))
      .diagonal;
  const smallest = Math.min(...s);
  return Math.acos(Math.min(1, smallest));
}

/** max |AᵀA − I| for a matrix whose columns should be orthonormal. */
export function orthonormalityError(a: Matrix): number {
  const g = a.transpose().mmul(a);
  let worst = 0;
  for (let i = 0; i < g.rows; i++) {
    for (let j = 0; j < g.columns; j++) {
      worst = Math.max(worst, Math.abs(g.get(i, j) - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

/** Gaussian rows: N×d float32, row-major. */
export function gaussianRows(n: number, d: number, seed: number):
    Float32Array {
  return new SeededRandom(seed).normals(n * d);
}

/** Float64 mean and covariance (divisor n) of row-major rows. */
export function referenceMoments(rows: ArrayLike<number>, n: number, d: number):
    {mean: Float64Array, covariance: Float64Array} {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      mean[j] += rows[i * d + j] / n;
    }
  }
  const covariance = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const da = rows[i * d + a] - mean[a];
      for (let b = 0; b < d; b++) {
        covariance[a * d + b] += da * (rows[i * d + b] - mean[b]) / n;
      }
    }
  }
  return {mean, covariance};
}

/** The largest absolute difference of two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>):
    number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst;
}

/** The largest absolute value of an array. */
export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]));
  }
  return worst;
}

/**
 * Runs `body` and checks that the number of live tensors is the same after
 * it as before, whether it returns or throws. Returns what it returned, or
 * rethrows.
 */
export async function withoutLeaks<T>(body: () => T | Promise<T>):
    Promise<T> {
  const before = tf.memory().numTensors;
  let result: T;
  try {
    result = await body();
  } catch (e) {
    // The body's own error comes first; a leak is added to its message
    // rather than hiding it.
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0 && e instanceof Error) {
      e.message += ` (and ${leaked} tensors leaked)`;
    }
    throw e;
  }
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

/** Expects `body` to throw an error of class `type` whose message matches. */
export async function expectError(
    body: () => unknown, type: Function, message: RegExp): Promise<void> {
  let thrown: unknown;
  const before = tf.memory().numTensors;
  try {
    await body();
  } catch (e) {
    thrown = e;
  }
  expect(tf.memory().numTensors).toBe(before);
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(message);
}
