import * as tf from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors';
import {SeededRandom} from '../linalg/random';
import {ConvGeometry, PatchGeometryArgs, patchGrid, PatchGrid,
        resolveGeometry} from './geometry';

/** Options of {@link extractPatches}. */
export interface ExtractPatchesOptions extends PatchGeometryArgs {
  /**
   * Take this many patches of each image, at distinct positions drawn at
   * random with `seed` (all of them when the image has no more). Defaults
   * to every patch.
   */
  patchesPerImage?: number;
  /** Seed of the draw of positions. Defaults to 0. */
  seed?: number;
}

/**
 * Throws unless `x` is a live Tensor4D of images or Tensor3D of
 * sequences, the inputs patches are read from.
 */
export function checkImages(x: unknown, who: string): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor) || x.isDisposed ||
      (x.rank !== 3 && x.rank !== 4)) {
    throw new ValueError(
        `${who}: \`x\` must be a Tensor4D of images (or a Tensor3D of ` +
        `sequences), received ${x instanceof tf.Tensor && x.isDisposed ?
            'a disposed tensor' : describe(x)}.`);
  }
}

/**
 * The patches a convolution reads from each image, one row per patch, each
 * row in the order of the kernel's input dimension.
 *
 * A Conv2D kernel has shape [kh, kw, inChannels, filters]; the row of a
 * patch lists its values with the channel fastest, then the kernel column,
 * then the kernel row, so that `row · kernel[:, :, :, f]` (the kernel
 * flattened row-major) is filter f's response at that position. Strides,
 * padding (zeros), dilation and both data formats are those of tfjs's
 * Conv2D layer. A rank-3 `x` is read as Conv1D input [N, length, channels]
 * with `kernelSize` a length, kernel [k, inChannels, filters].
 *
 * Rows come image by image, and within an image by output position (row by
 * row of the layer's output; with `patchesPerImage`, only the positions
 * drawn). The patches are copied on the host from `x`'s values, which are
 * read once: on the `wasm` backend that measured several times faster than
 * `tf.gather` and than a convolution with an identity kernel
 * (docs/CONV.md).
 *
 * @param x - Images: Tensor4D [N, height, width, channels] (or
 *   [N, channels, height, width] with `dataFormat: 'channelsFirst'`), or
 *   Tensor3D [N, length, channels].
 * @param options - The geometry (`kernelSize` required) and the draw.
 * @returns A Tensor2D [patches, kh·kw·channels]; the caller disposes it.
 * @throws ValueError for a bad geometry, an input smaller than the kernel,
 *   or a bad `patchesPerImage` or `seed`.
 *
 * @example
 * ```js
 * import * as tf from '@tensorflow/tfjs';
 * import {extractPatches} from 'tfjs-pca';
 *
 * const images = tf.randomUniform([2, 28, 28, 1]);
 * const patches = extractPatches(images, {kernelSize: 5});
 * console.log(patches.shape); // [1152, 25]: 24 × 24 patches per image
 * ```
 */
export function extractPatches(
    x: tf.Tensor, options: ExtractPatchesOptions): tf.Tensor2D {
  const who = 'extractPatches';
  checkImages(x, who);
  if (options === null || typeof options !== 'object') {
    throw new ValueError(
        `${who}: \`options\` must be an object with at least ` +
        `\`kernelSize\`, received ${describe(options)}.`);
  }
  const {patchesPerImage, seed, ...geometryArgs} = options;
  const g = resolveGeometry(geometryArgs, x.rank === 4 ? 2 : 1, who);
  const grid = patchGrid(x.shape.slice(1), g, who);
  if (patchesPerImage !== undefined &&
      !(Number.isInteger(patchesPerImage) && patchesPerImage > 0)) {
    throw new ValueError(
        `${who}: \`patchesPerImage\` must be a positive integer, received ` +
        `${describe(patchesPerImage)}.`);
  }
  if (seed !== undefined && !Number.isFinite(seed)) {
    throw new ValueError(
        `${who}: \`seed\` must be a finite number, received ` +
        `${describe(seed)}.`);
  }
  const n = x.shape[0];
  const rng = new SeededRandom(seed ?? 0);
  const perImage = Math.min(patchesPerImage ?? grid.positions,
                            grid.positions);
  const picks = new Int32Array(n * perImage);
  for (let image = 0; image < n; image++) {
    const positions = perImage === grid.positions ?
        allPositions(grid.positions) :
        drawPositions(rng, grid.positions, perImage);
    positions.forEach(
        (p, i) => picks[image * perImage + i] = image * grid.positions + p);
  }
  const values = hostValues(x);
  return tf.tensor2d(copyPatches(values, grid, g, picks),
                     [picks.length, grid.patchSize]);
}

/**
 * The values of `x` as float32 on the host (one read from the backend).
 */
export function hostValues(x: tf.Tensor): Float32Array {
  const values = x.dataSync();
  return values instanceof Float32Array ? values : Float32Array.from(
      values as ArrayLike<number>);
}

/**
 * Copies patches out of a batch of images held on the host.
 *
 * Each pick is `image · grid.positions + oy · grid.outWidth + ox`: the
 * patch that output position (oy, ox) of image `image` reads. Its row is
 * the kernel order of {@link extractPatches}; taps that fall in the padding
 * read zero.
 *
 * @param values - The batch, row-major in the layout of `g.dataFormat`
 *   (Conv1D input [N, length, channels] is channels-last of height 1).
 * @returns Row-major [picks.length, grid.patchSize].
 */
export function copyPatches(
    values: Float32Array, grid: PatchGrid, g: ConvGeometry,
    picks: Int32Array): Float32Array {
  const {height: h, width: w, channels: ch, patchSize} = grid;
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  const imageSize = h * w * ch;
  const last = g.dataFormat === 'channelsLast';
  const out = new Float32Array(picks.length * patchSize);
  for (let p = 0; p < picks.length; p++) {
    const image = Math.floor(picks[p] / grid.positions);
    const position = picks[p] - image * grid.positions;
    const top = Math.floor(position / grid.outWidth) * sh - grid.padTop;
    const left = (position % grid.outWidth) * sw - grid.padLeft;
    const start = image * imageSize;
    for (let i = 0; i < kh; i++) {
      const y = top + i * dh;
      if (y < 0 || y >= h) {
        continue;
      }
      for (let j = 0; j < kw; j++) {
        const x = left + j * dw;
        if (x < 0 || x >= w) {
          continue;
        }
        const to = p * patchSize + (i * kw + j) * ch;
        if (last) {
          const from = start + (y * w + x) * ch;
          for (let q = 0; q < ch; q++) {
            out[to + q] = values[from + q];
          }
        } else {
          const from = start + y * w + x;
          for (let q = 0; q < ch; q++) {
            out[to + q] = values[from + q * h * w];
          }
        }
      }
    }
  }
  return out;
}

/** 0, 1, …, count − 1. */
function allPositions(count: number): Int32Array {
  return Int32Array.from({length: count}, (_, i) => i);
}

/**
 * `count` distinct positions of [0, positions), uniformly at random, in
 * increasing order.
 */
export function drawPositions(
    rng: SeededRandom, positions: number, count: number): Int32Array {
  if (count >= positions) {
    return allPositions(positions);
  }
  let chosen: Int32Array;
  if (4 * count < positions) {
    // Few of many: draw and redraw repeats (expected < 4/3 draws each).
    const seen = new Set<number>();
    while (seen.size < count) {
      seen.add(Math.floor(rng.uniform() * positions));
    }
    chosen = Int32Array.from(seen);
  } else {
    chosen = rng.shuffle(allPositions(positions)).slice(0, count);
  }
  return chosen.sort();
}
