/**
 * Row-major float64 helpers for the small host-side matrices of the
 * eigensolver. Sizes are a few hundred at most; clarity beats blocking.
 */

/**
 * The product a·b of an r×n and an n×c matrix. Typed Float64Array
 * arguments keep this hot loop monomorphic (the eigensolver calls it a few
 * times per iteration).
 */
export function multiply(
    a: Float64Array, b: Float64Array, r: number, n: number,
    c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let l = 0; l < n; l++) {
      const ail = a[i * n + l];
      if (ail === 0) {
        continue;
      }
      for (let j = 0; j < c; j++) {
        out[i * c + j] += ail * b[l * c + j];
      }
    }
  }
  return out;
}

/** The transpose of an r×c matrix. */
export function transpose(a: Float64Array, r: number, c: number):
    Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      out[j * r + i] = a[i * c + j];
    }
  }
  return out;
}

/** The congruence t·g·tᵀ of an r×n matrix t and a symmetric n×n g. */
export function congruence(
    t: Float64Array, g: Float64Array, r: number, n: number):
    Float64Array {
  return multiply(multiply(t, g, r, n, n), transpose(t, r, n), r, n, r);
}

/** The n×n block at (row0, col0) of a row-major matrix with `width` columns. */
export function block(
    a: ArrayLike<number>, width: number, row0: number, col0: number,
    n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out[i * n + j] = a[(row0 + i) * width + col0 + j];
    }
  }
  return out;
}

/**
 * The lower-triangular Cholesky factor L of a symmetric matrix a = L·Lᵀ, or
 * null when a pivot falls below `relativePivot` times the largest diagonal
 * entry (a is then numerically singular or indefinite).
 */
export function cholesky(
    a: ArrayLike<number>, n: number, relativePivot: number): Float64Array|
    null {
  let largest = 0;
  for (let i = 0; i < n; i++) {
    largest = Math.max(largest, a[i * n + i]);
  }
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let pivot = a[j * n + j];
    for (let p = 0; p < j; p++) {
      pivot -= l[j * n + p] * l[j * n + p];
    }
    if (!(pivot > relativePivot * largest)) {
      return null;
    }
    const root = Math.sqrt(pivot);
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) {
        s -= l[i * n + p] * l[j * n + p];
      }
      l[i * n + j] = s / root;
    }
  }
  return l;
}

/** The inverse of a lower-triangular n×n matrix, by forward substitution. */
export function lowerInverse(l: ArrayLike<number>, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let col = 0; col < n; col++) {
    inv[col * n + col] = 1 / l[col * n + col];
    for (let i = col + 1; i < n; i++) {
      let s = 0;
      for (let p = col; p < i; p++) {
        s += l[i * n + p] * inv[p * n + col];
      }
      inv[i * n + col] = -s / l[i * n + i];
    }
  }
  return inv;
}

/**
 * Solves a·x = b for a symmetric positive definite n×n `a` and an n×c `b`,
 * by Cholesky. Returns null when `a` is not numerically positive definite.
 */
export function solvePositiveDefinite(
    a: ArrayLike<number>, b: ArrayLike<number>, n: number,
    c: number): Float64Array|null {
  const l = cholesky(a, n, 1e-14);
  if (l === null) {
    return null;
  }
  const x = new Float64Array(n * c);
  for (let col = 0; col < c; col++) {
    // Forward: L·z = b, then back: Lᵀ·x = z, in place in x.
    for (let i = 0; i < n; i++) {
      let s = b[i * c + col];
      for (let p = 0; p < i; p++) {
        s -= l[i * n + p] * x[p * c + col];
      }
      x[i * c + col] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * c + col];
      for (let p = i + 1; p < n; p++) {
        s -= l[p * n + i] * x[p * c + col];
      }
      x[i * c + col] = s / l[i * n + i];
    }
  }
  return x;
}
