import * as tf from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors';
import {ClassPcaResult, classPcaFromStatistics, rowsPerClass}
    from '../pca/class-pca';
import {ClassPcaOptions, resolvePcaOptions, ResolvedPcaOptions}
    from '../pca/options';
import {ClassStatistics} from '../stats/class-statistics';
import {gatherRows} from '../stats/gather-rows';
import {impliedClassCount, LabelsInput, readLabels} from '../stats/labels';
import {ConvGeometry, PatchGeometryArgs, patchGrid, PatchGrid,
        resolveGeometry} from './geometry';
import {checkImages, copyPatches, hostValues} from './patches';
import {imagesForBudget, PatchSampler, PatchSampling, PatchSamplingArgs,
        resolveSampling} from './sampling';

/**
 * Options of {@link classPcaOfPatches}: the convolution's geometry, how
 * its patches are sampled, and the class-based PCA's own options
 * (`samplesPerClass` counts images, `batchSize` patches).
 */
export interface PatchPcaOptions extends ClassPcaOptions, PatchGeometryArgs,
                                         PatchSamplingArgs {}

/**
 * Class-based PCA of the patches a convolution reads: per class, the top
 * principal components of the patches of that class's images, each of
 * length kh·kw·channels in the kernel order of {@link extractPatches}, so
 * that a component reshaped to [kh, kw, channels] is a filter.
 *
 * Patches are sampled (`patchesPerImage` from each image, at most
 * `patchesPerClass` per class, seeded) and streamed into per-class
 * statistics batch by batch; the whole patch matrix is never formed. The
 * statistics then give the components as in {@link classPca}, and the
 * `dataVariance` of each component is its response's variance over the
 * sampled positions of all classes.
 *
 * @param x - Images: Tensor4D (or Tensor3D of sequences for a Conv1D
 *   geometry), laid out as `dataFormat` says.
 * @param labels - The class of each image: indices or one-hot rows.
 * @param options - See {@link PatchPcaOptions}; `kernelSize` is required.
 * @returns A {@link ClassPcaResult} over patches: `count` of each class is
 *   its number of patches.
 * @throws ValueError for a bad geometry, sampling or PCA option, bad
 *   labels, NaN or Inf in `x`, or a class without images.
 *
 * @example
 * ```js
 * import * as tf from '@tensorflow/tfjs';
 * import {classPcaOfPatches} from 'tfjs-pca';
 *
 * // images: Tensor4D [N, 28, 28, 1]; labels: N class indices.
 * const pca = await classPcaOfPatches(images, labels,
 *                                     {kernelSize: 5, components: 3});
 * const filter = pca.classes[0].components.subarray(0, 25); // 5×5, class 0
 * ```
 */
export async function classPcaOfPatches(
    x: tf.Tensor, labels: LabelsInput,
    options: PatchPcaOptions): Promise<ClassPcaResult> {
  const {pca, steps} = prepare(x, labels, options);
  let step = steps.next();
  while (!step.done) {
    await tf.nextFrame();
    step = steps.next();
  }
  return solve(step.value, pca);
}

/**
 * The blocking form of {@link classPcaOfPatches}, for PcaInitializer
 * (tfjs-layers calls initializers synchronously).
 */
export function classPcaOfPatchesSync(
    x: tf.Tensor, labels: LabelsInput,
    options: PatchPcaOptions): ClassPcaResult {
  const {pca, steps} = prepare(x, labels, options);
  let step = steps.next();
  while (!step.done) {
    step = steps.next();
  }
  return solve(step.value, pca);
}

function solve(stats: ClassStatistics, pca: ClassPcaOptions):
    ClassPcaResult {
  try {
    return classPcaFromStatistics(stats, pca);
  } finally {
    stats.dispose();
  }
}

/** Splits and checks the options and sets up the accumulation. */
function prepare(
    x: tf.Tensor, labels: LabelsInput, options: PatchPcaOptions) {
  const who = 'classPcaOfPatches';
  if (options === null || typeof options !== 'object') {
    throw new ValueError(
        `${who}: \`options\` must be an object with at least ` +
        `\`kernelSize\`, received ${describe(options)}.`);
  }
  const {kernelSize, strides, padding, dilationRate, dataFormat,
         patchesPerImage, patchesPerClass, ...pca} = options;
  checkImages(x, who);
  const g = resolveGeometry(
      {kernelSize, strides, padding, dilationRate, dataFormat},
      x.rank === 4 ? 2 : 1, who);
  const sampling = resolveSampling({patchesPerImage, patchesPerClass}, who);
  const resolved = resolvePcaOptions(pca);
  return {pca, steps: accumulationSteps(x, labels, g, sampling, resolved)};
}

/**
 * The accumulation as a generator that pauses after each batch: the
 * images of each class chosen for the budget, in batches, their sampled
 * patches added to the class's statistics.
 */
function* accumulationSteps(
    x: tf.Tensor, labels: LabelsInput, g: ConvGeometry,
    sampling: PatchSampling,
    o: ResolvedPcaOptions): Generator<void, ClassStatistics, void> {
  const who = 'classPcaOfPatches';
  const grid = patchGrid(x.shape.slice(1), g, who);
  const classOf = readLabels(labels, x.shape[0], o.numClasses);
  const numClasses = o.numClasses ?? impliedClassCount(labels, classOf);
  const images = imagesForBudget(
      rowsPerClass(classOf, numClasses, o), grid, sampling, o.seed);
  const sampler = new PatchSampler(grid, sampling, numClasses, o.seed);
  const perBatch = imagesPerBatch(o.batchSize, sampling, grid);
  const total = images.reduce(
      (sum, rows) => sum + Math.min(sampling.patchesPerClass,
                                    rows.length * grid.positions),
      0);
  const stats = new ClassStatistics(grid.patchSize, numClasses);
  const flat = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  let done = 0;
  try {
    for (let c = 0; c < numClasses; c++) {
      for (let start = 0; start < images[c].length; start += perBatch) {
        const chunk = images[c].subarray(start, start + perBatch);
        const batch = gatherRows(flat, chunk);
        try {
          done += addPatches(
              stats, hostValues(batch), new Int32Array(chunk.length).fill(c),
              grid, g, sampler, 'x');
        } finally {
          batch.dispose();
        }
        o.onProgress?.({stage: 'statistics', done, total});
        yield;
      }
    }
  } catch (e) {
    stats.dispose();
    throw e;
  } finally {
    flat.dispose();
  }
  return stats;
}

/**
 * Images per batch so that a batch gives about `batchSize` patches.
 */
export function imagesPerBatch(
    batchSize: number, sampling: PatchSampling, grid: PatchGrid): number {
  const perImage = Math.min(sampling.patchesPerImage, grid.positions);
  return Math.max(1, Math.floor(batchSize / perImage));
}

/**
 * Adds the sampled patches of a batch of images (held on the host) to
 * class statistics.
 *
 * @param values - The batch's values, row-major.
 * @param imageClass - The class of each image of the batch.
 * @param argName - The name errors give the images.
 * @returns The number of patches added.
 * @throws ValueError if a patch holds NaN or Inf.
 */
export function addPatches(
    stats: ClassStatistics, values: Float32Array, imageClass: Int32Array,
    grid: PatchGrid, g: ConvGeometry, sampler: PatchSampler,
    argName: string): number {
  const {picks, classOf} = sampler.draw(imageClass);
  if (picks.length === 0) {
    return 0;
  }
  const rows = tf.tensor2d(copyPatches(values, grid, g, picks),
                           [picks.length, grid.patchSize]);
  try {
    if (classOf.every(c => c === classOf[0])) {
      stats.updateClass(classOf[0], rows, argName);
    } else {
      stats.update(rows, classOf);
    }
  } finally {
    rows.dispose();
  }
  return picks.length;
}
