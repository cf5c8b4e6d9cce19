import {cholesky, lowerInverse} from './dense';
import {symmetricEigen} from './symmetric-eigen';

/**
 * Rows that no longer carry an independent direction are dropped when the
 * eigenvalue of their scaled Gram matrix falls below this fraction of the
 * largest one. The Gram matrices come from float32 products, whose own
 * relative error is about 1e-7, so smaller eigenvalues are noise.
 */
const RANK_TOLERANCE = 1e-6;

/** A map from n vectors to an orthonormal basis of their span. */
export interface OrthonormalTransform {
  /** Row-major rank×n matrix t with t·g·tᵀ = I for the input Gram g. */
  t: Float64Array;
  /** How many independent directions the vectors span (numerically). */
  rank: number;
}

/**
 * Given the Gram matrix g = B·Bᵀ (n×n) of n row vectors B, returns the
 * transform t such that the rows of t·B are orthonormal and span the same
 * space as B, dropping directions that are numerically dependent.
 *
 * Both routes first scale to unit diagonal, D = diag(g)^-½. Clearly
 * independent vectors take the Cholesky route, t = L⁻¹·D with D·g·D = L·Lᵀ.
 * Otherwise SVQB: the eigenpairs (s, U) of D·g·D give t = s^-½·Uᵀ·D, keeping
 * only the directions whose s is not negligible. Only the small n×n problem
 * runs on the host; the product t·B stays on the backend.
 */
export function orthonormalTransform(g: ArrayLike<number>, n: number):
    OrthonormalTransform {
  return choleskyTransform(g, n) ?? eigenTransform(g, n);
}

/**
 * Pivots of the scaled Cholesky factor below this (a condition number of
 * the scaled Gram above about 1e4) hand the work to the eigen route: the
 * Gram comes from float32 products, and past that the factor would leave
 * the new basis visibly non-orthonormal.
 */
const CHOLESKY_PIVOT = 1e-4;

/**
 * The cheap route, t = L⁻¹·D with D·g·D = L·Lᵀ: about n³/3 flops against
 * the eigen route's tens of n³. Works whenever the vectors are clearly
 * independent, which is the rule once the iteration has started to converge.
 */
function choleskyTransform(g: ArrayLike<number>, n: number):
    OrthonormalTransform|null {
  const scale = unitDiagonalScale(g, n);
  if (scale.some(s => s === 0)) {
    return null;
  }
  const l = cholesky(scaleSymmetric(g, scale, n), n, CHOLESKY_PIVOT);
  if (l === null) {
    return null;
  }
  const t = lowerInverse(l, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      t[i * n + j] *= scale[j];
    }
  }
  return {t, rank: n};
}

function unitDiagonalScale(g: ArrayLike<number>, n: number): Float64Array {
  const scale = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = g[i * n + i];
    scale[i] = d > 0 && Number.isFinite(d) ? 1 / Math.sqrt(d) : 0;
  }
  return scale;
}

function scaleSymmetric(
    g: ArrayLike<number>, scale: Float64Array, n: number): Float64Array {
  const scaled = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      scaled[i * n + j] = scale[i] * g[i * n + j] * scale[j];
    }
  }
  return scaled;
}

/** The robust route, which also finds and drops dependent directions. */
function eigenTransform(g: ArrayLike<number>, n: number):
    OrthonormalTransform {
  const scale = unitDiagonalScale(g, n);
  const {values, vectors} = symmetricEigen(scaleSymmetric(g, scale, n), n);
  const largest = values[0];
  let rank = 0;
  while (rank < n && largest > 0 &&
         values[rank] > RANK_TOLERANCE * largest) {
    rank++;
  }

  const t = new Float64Array(rank * n);
  for (let r = 0; r < rank; r++) {
    const inv = 1 / Math.sqrt(values[r]);
    for (let i = 0; i < n; i++) {
      t[r * n + i] = inv * vectors[r * n + i] * scale[i];
    }
  }
  return {t, rank};
}
