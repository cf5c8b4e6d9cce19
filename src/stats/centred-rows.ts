import {copyRows, RangeReader} from './gather-rows';

/**
 * Rows of one class, centred about a shift s and laid out for the Gram
 * product on the host: `rows` is n×d row-major and `rowsT` its transpose,
 * d×n row-major, so that S = rowsT·rows is a plain matMul (the layout the
 * wasm backend runs fastest, without a transpose kernel).
 */
export interface CentredRows {
  /** n×d, row-major: x_i − s. */
  rows: Float32Array;
  /** d×n, row-major: the transpose of `rows`. */
  rowsT: Float32Array;
  /** Σ_i (x_i − s), accumulated in float64. */
  sum: Float64Array;
  /** The shift s: the one given, or the mean of these rows if none was. */
  shift: Float32Array;
  /** Whether every value read was finite; if not, the rest is partial. */
  finite: boolean;
  /**
   * Whether the centred values are too large for float32 statistics: n of
   * their squares, summed in the Gram product, would leave its range.
   */
  overflow: boolean;
}

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Reads rows `rows` of a d-column matrix through `read` and centres them
 * about `shift` (or about their own mean when `shift` is null), in one pass
 * that also checks every value is finite and sums the centred rows.
 *
 * Doing this on the host replaces a gather, a NaN check with a read-back, a
 * subtraction, a transpose and a column-sum product on the backend, which
 * together cost as much as a fifth of the Gram product on wasm.
 */
export function centredRows(
    read: RangeReader, rows: Int32Array, d: number,
    shift: Float32Array|null): CentredRows {
  const n = rows.length;
  const out = new Float32Array(n * d);
  copyRows(read, rows, d, out);
  const s = shift ?? columnMeans(out, n, d);
  const sum = new Float64Array(d);
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const base = i * d;
    for (let j = 0; j < d; j++) {
      const v = out[base + j] - s[j];
      out[base + j] = v;
      sum[j] += v;
      largest = Math.max(largest, v < 0 ? -v : v);
    }
  }
  // A NaN or ±Inf anywhere makes its column's float64 sum non-finite (the
  // sum of float32 values cannot overflow float64), so this is the check.
  // A difference of two finite float32 values can still leave the float32
  // range (3e38 − (−3e38)), and so can the sums of their squares.
  const finite = sum.every(Number.isFinite);
  // The Gram sums n squares of these values: they must fit float32 too.
  const overflow = finite && largest * largest * n > FLOAT32_MAX;
  const rowsT = finite && !overflow ?
      transpose(out, n, d) : new Float32Array(0);
  return {rows: out, rowsT, sum, shift: s, finite, overflow};
}

/** The mean of each column of an n×d row-major matrix, in float32. */
function columnMeans(values: Float32Array, n: number, d: number) {
  const sum = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    for (let j = 0; j < d; j++) {
      sum[j] += values[base + j];
    }
  }
  return Float32Array.from(sum, v => v / n);
}

/**
 * The transpose of an n×d row-major matrix, in tiles so that reads and
 * writes both stay within a few cache lines at a time.
 */
function transpose(values: Float32Array, n: number, d: number) {
  const out = new Float32Array(n * d);
  // Tiles of 8: measured fastest for 2,048-row chunks, whose power-of-two
  // row stride makes wider tiles collide in the cache.
  const tile = 8;
  for (let i0 = 0; i0 < n; i0 += tile) {
    const i1 = Math.min(i0 + tile, n);
    for (let j0 = 0; j0 < d; j0 += tile) {
      const j1 = Math.min(j0 + tile, d);
      for (let i = i0; i < i1; i++) {
        const base = i * d;
        for (let j = j0; j < j1; j++) {
          out[j * n + i] = values[base + j];
        }
      }
    }
  }
  return out;
}
