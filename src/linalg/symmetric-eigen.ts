import {describe, ValueError} from '../errors';

/**
 * Full eigendecomposition of a small dense symmetric matrix in float64.
 *
 * Used on the host for the m×m problems of the top-k eigensolver (Gram
 * matrices and Rayleigh–Ritz projections, m a few dozen to a few hundred),
 * where float64 matters more than speed.
 */

/** Eigenvalues in descending order and the matching unit eigenvectors. */
export interface SymmetricEigen {
  /** Eigenvalues, largest first. Length n. */
  values: Float64Array;
  /** Eigenvectors as rows, row-major n×n: row i belongs to `values[i]`. */
  vectors: Float64Array;
}

const MAX_SWEEPS = 60;

/**
 * Eigendecomposition of the symmetric n×n matrix `a` (row-major; only its
 * symmetric part is used) by cyclic Jacobi rotations.
 *
 * Each rotation zeroes one off-diagonal entry; sweeps repeat until the
 * off-diagonal mass is negligible next to the diagonal. Jacobi is slower
 * than tridiagonal QR but keeps small eigenvalues to high relative
 * accuracy, which the Gram matrices of nearly dependent vectors need.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number):
    SymmetricEigen {
  if (!Number.isInteger(n) || n < 0 || a == null ||
      typeof a.length !== 'number' || a.length !== n * n) {
    throw new ValueError(
        `symmetricEigen: expected ${describe(n)}² values for an n×n ` +
        `matrix with n a non-negative integer, received ` +
        `${a == null ? describe(a) : `${a.length} values`}.`);
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      throw new ValueError(
          `symmetricEigen: entry ${i} is ${describe(a[i])}; every entry ` +
          `must be finite.`);
    }
  }
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      m[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    v[i * n + i] = 1;
  }

  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    if (offDiagonalIsNegligible(m, n)) {
      break;
    }
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        rotate(m, v, n, p, q);
      }
    }
  }
  return sortedDescending(m, v, n);
}

function offDiagonalIsNegligible(m: Float64Array, n: number): boolean {
  let off = 0;
  let diag = 0;
  for (let i = 0; i < n; i++) {
    diag += m[i * n + i] * m[i * n + i];
    for (let j = i + 1; j < n; j++) {
      off += m[i * n + j] * m[i * n + j];
    }
  }
  return off <= 1e-30 * diag || off === 0;
}

/**
 * One Jacobi rotation in the (p, q) plane that zeroes m[p][q]. With
 * t = tan φ the smaller root of t² + 2θt − 1 = 0, θ = (m_qq − m_pp) / 2m_pq,
 * the rotation keeps |φ| ≤ π/4, which is what makes the method converge.
 */
function rotate(
    m: Float64Array, v: Float64Array, n: number, p: number, q: number) {
  const apq = m[p * n + q];
  if (apq === 0) {
    return;
  }
  const app = m[p * n + p];
  const aqq = m[q * n + q];
  const theta = (aqq - app) / (2 * apq);
  const t = Math.abs(theta) > 1e150 ?
      1 / (2 * theta) :
      Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;

  m[p * n + p] = app - t * apq;
  m[q * n + q] = aqq + t * apq;
  m[p * n + q] = 0;
  m[q * n + p] = 0;
  for (let r = 0; r < n; r++) {
    if (r === p || r === q) {
      continue;
    }
    const g = m[r * n + p];
    const h = m[r * n + q];
    const gp = c * g - s * h;
    const hq = s * g + c * h;
    m[r * n + p] = gp;
    m[p * n + r] = gp;
    m[r * n + q] = hq;
    m[q * n + r] = hq;
  }
  for (let r = 0; r < n; r++) {
    const g = v[r * n + p];
    const h = v[r * n + q];
    v[r * n + p] = c * g - s * h;
    v[r * n + q] = s * g + c * h;
  }
}

function sortedDescending(m: Float64Array, v: Float64Array, n: number):
    SymmetricEigen {
  const order = Array.from({length: n}, (_, i) => i)
      .sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((col, row) => {
    values[row] = m[col * n + col];
    for (let r = 0; r < n; r++) {
      vectors[row * n + r] = v[r * n + col];
    }
  });
  return {values, vectors};
}
