import * as tf from '@tensorflow/tfjs-core';

/**
 * A symmetric d×d matrix kept as the blocks on and above its block
 * diagonal. Columns are cut at `bounds` (b + 1 increasing offsets from 0 to
 * d); block (i, j), i ≤ j, holds rows bounds[i]..bounds[i+1] and columns
 * bounds[j]..bounds[j+1]. Blocks are listed row by row.
 *
 * A Gram matrix CᵀC built this way costs about (b + 1) / 2b of the full
 * product: 4/7 for b = 7. On wasm the smaller products are also faster per
 * flop, so a class Gram of 2,048×784 rows takes about half the time of one
 * 784×784 product (bench/class-pca.ts).
 */
export type SymmetricBlocks = tf.Tensor2D[];

/**
 * Block width aimed at. Measured on wasm for 2,048×784 chunks: widths of
 * about 110 columns (7 blocks) ran the blocked Gram in 0.5–0.65 of the time
 * of the single product; much narrower blocks add per-op overhead.
 */
const BLOCK_WIDTH = 112;

/** Column cuts for a d×d matrix: nearly equal blocks of ~BLOCK_WIDTH. */
export function blockBounds(d: number): number[] {
  const count = Math.max(1, Math.round(d / BLOCK_WIDTH));
  return Array.from(
      {length: count + 1}, (_, k) => Math.round(k * d / count));
}

/** The (i, j) block indices, i ≤ j, in the order blocks are listed. */
export function blockPairs(bounds: number[]): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    for (let j = i; j + 1 < bounds.length; j++) {
      pairs.push([i, j]);
    }
  }
  return pairs;
}

/**
 * The blocks of CᵀC for n centred rows held on the host: `rowsT` is Cᵀ
 * (d×n, row-major, so its row blocks are contiguous) and `rows` is C (n×d,
 * row-major). Every product is a plain matMul, the layout wasm runs fast.
 */
export function gramBlocksFromHost(
    rowsT: Float32Array, rows: Float32Array, n: number,
    bounds: number[]): SymmetricBlocks {
  const d = bounds[bounds.length - 1];
  return tf.tidy(() => {
    const lefts = widths(bounds).map((w, i) => tf.tensor2d(
        rowsT.subarray(bounds[i] * n, bounds[i + 1] * n), [w, n]));
    const rights = widths(bounds).map(
        (w, j) => tf.tensor2d(columns(rows, n, d, bounds[j], w), [n, w]));
    return blockPairs(bounds).map(
        ([i, j]) => tf.matMul<tf.Tensor2D>(lefts[i], rights[j]));
  });
}

/** The blocks of CᵀC for centred rows C in a tensor, with backend ops. */
export function gramBlocksFromTensor(
    centred: tf.Tensor2D, bounds: number[]): SymmetricBlocks {
  const n = centred.shape[0];
  return tf.tidy(() => {
    const centredT = tf.transpose(centred);
    const lefts = widths(bounds).map(
        (w, i) => tf.slice(centredT, [bounds[i], 0], [w, n]));
    const rights = widths(bounds).map(
        (w, j) => tf.slice(centred, [0, bounds[j]], [n, w]));
    return blockPairs(bounds).map(
        ([i, j]) => tf.matMul<tf.Tensor2D>(lefts[i], rights[j]));
  });
}

/** The full symmetric matrix from its blocks. */
export function assembleBlocks(
    blocks: SymmetricBlocks, bounds: number[]): tf.Tensor2D {
  const count = bounds.length - 1;
  if (count === 1) {
    return tf.clone(blocks[0]);
  }
  const index = new Map(blockPairs(bounds).map(([i, j], k) => [i * count + j,
                                                              k]));
  const at = (i: number, j: number) => i <= j ?
      blocks[index.get(i * count + j) as number] :
      tf.transpose(blocks[index.get(j * count + i) as number]);
  return tf.tidy(() => tf.concat2d(
      Array.from({length: count}, (_, i) => tf.concat2d(
          Array.from({length: count}, (_, j) => at(i, j)), 1)),
      0));
}

/** The blocks on and above the block diagonal of a symmetric matrix. */
export function splitBlocks(
    full: tf.Tensor2D, bounds: number[]): SymmetricBlocks {
  const w = widths(bounds);
  return tf.tidy(() => blockPairs(bounds).map(
      ([i, j]) => tf.slice(full, [bounds[i], bounds[j]], [w[i], w[j]])));
}

function widths(bounds: number[]): number[] {
  return bounds.slice(1).map((b, k) => b - bounds[k]);
}

/** Columns start..start+w of an n×d row-major matrix, as n×w. */
function columns(
    values: Float32Array, n: number, d: number, start: number,
    w: number): Float32Array {
  if (w === d) {
    return values;
  }
  const out = new Float32Array(n * w);
  for (let i = 0; i < n; i++) {
    out.set(values.subarray(i * d + start, i * d + start + w), i * w);
  }
  return out;
}
