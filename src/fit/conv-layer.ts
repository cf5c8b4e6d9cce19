import * as tf from '@tensorflow/tfjs-core';

import {ConvGeometry, geometryOfLayer, patchGrid, PatchGrid}
    from '../conv/geometry';
import {addPatches, imagesPerBatch} from '../conv/patch-statistics';
import {hostValues} from '../conv/patches';
import {imagesForBudget, PatchSampler, PatchSampling} from '../conv/sampling';
import {NotImplementedError, ValueError} from '../errors';
import {ClassPcaResult, classPcaFromStatistics} from '../pca/class-pca';
import {ClassStatistics} from '../stats/class-statistics';
import {readLabels} from '../stats/labels';
import {forEachInputBatch, TrainingRows} from './feature-stream';
import {PlannedLayer} from './layer-plan';
import {layerPcaOptions, ResolvedFitOptions} from './options';
import {ProgressLine} from './progress';

/** A convolutional layer's class-based PCA and the patches it took. */
export interface ConvPca {
  pca: ClassPcaResult;
  /** Patches read, all classes together. */
  patches: number;
}

/**
 * The class-based PCA of the patches a Conv2D or Conv1D layer reads from
 * its input (the output of the layers below it): `patchesPerImage` from
 * each image, at most `patchesPerClass` per class, streamed batch by
 * batch into per-class statistics.
 *
 * @param components - Components in all, shared among the classes.
 */
export async function convLayerPca(
    plan: PlannedLayer[], step: PlannedLayer, data: TrainingRows,
    numClasses: number, components: number, o: ResolvedFitOptions,
    progress: ProgressLine): Promise<ConvPca> {
  const layer = step.layer;
  const {g, grid} = convLayerGeometry(layer);
  const imageShape = (layer.input as {shape: number[]}).shape.slice(1);
  const sampling: PatchSampling = {
    patchesPerImage: o.patchesPerImage,
    patchesPerClass: o.patchesPerClass,
  };
  // Each layer draws its own patches; the seed tells layers apart.
  const seed = o.seed + step.index;
  const sampler = new PatchSampler(grid, sampling, numClasses, seed);
  const source: TrainingRows = data.kind === 'tensor' ?
      {...data, rows: imagesForBudget(data.rows, grid, sampling, seed)} :
      data;
  const total = source.kind === 'tensor' ?
      source.rows.reduce(
          (sum, rows) => sum + Math.min(sampling.patchesPerClass,
                                        rows.length * grid.positions),
          0) :
      -1;
  const stats = new ClassStatistics(grid.patchSize, numClasses);
  let patches = 0;
  try {
    await forEachInputBatch(
        source, plan, step.index, imagesPerBatch(o.batchSize, sampling, grid),
        batch => {
          const n = batch.input.shape[0];
          checkImageShape(batch.input.shape.slice(1), imageShape, layer.name);
          const classOf = batch.classIndex !== null ?
              new Int32Array(n).fill(batch.classIndex) :
              readLabels(batch.labels as tf.Tensor1D, n, numClasses, 'ys');
          patches += addPatches(
              stats, hostValues(batch.input), classOf, grid, g, sampler,
              `the input of layer '${layer.name}'`);
          progress.update(`fitByPCA: ${layer.name}`, patches, total);
          return !sampler.full;
        });
    if (patches === 0) {
      throw new ValueError('fitByPCA: there are no training rows.');
    }
    const pca = classPcaFromStatistics(stats, layerPcaOptions(components, o));
    return {pca, patches};
  } finally {
    stats.dispose();
  }
}

/**
 * The patch grid of a convolutional layer's input, from the shape the
 * layer was built with.
 * @throws NotImplementedError for an input whose size is not fixed.
 */
/**
 * The geometry and patch grid of a Conv2D or Conv1D layer of a built model.
 * fitByPCA calls it for every convolution before any weight changes, so an
 * unsupported layer fails first.
 *
 * @throws NotImplementedError for a layer whose input size is not fixed,
 *   or a channels-first Conv1D.
 */
export function convLayerGeometry(layer: PlannedLayer['layer']):
    {g: ConvGeometry, grid: PatchGrid} {
  const who = `fitByPCA ('${layer.name}')`;
  const config = layer.getConfig() as Record<string, unknown>;
  // tfjs's Conv1D leaves dataFormat out of its config; the layer has it.
  const dataFormat =
      (layer as unknown as {dataFormat?: unknown}).dataFormat ??
      config.dataFormat;
  const g = geometryOfLayer(
      {...config, dataFormat}, layer.getClassName() === 'Conv1D' ? 1 : 2,
      who);
  return {g, grid: inputGrid(layer, g, who)};
}

/**
 * Throws when the images a convolution receives do not have the shape its
 * patches are read for (a Dataset whose batches differ from the model's
 * input, for instance): the patches would come from the wrong places.
 */
function checkImageShape(
    received: number[], expected: number[], name: string) {
  if (received.length !== expected.length ||
      received.some((n, i) => n !== expected[i])) {
    throw new ValueError(
        `fitByPCA: layer '${name}' reads images of shape ` +
        `[${expected.join(', ')}], but its input has shape ` +
        `[${received.join(', ')}] per row; \`x\` must match the model's ` +
        `input shape.`);
  }
}

function inputGrid(
    layer: PlannedLayer['layer'], g: ConvGeometry, who: string): PatchGrid {
  const shape = (layer.input as {shape: Array<number|null>}).shape;
  const image = shape.slice(1);
  if (image.some(n => n === null)) {
    throw new NotImplementedError(
        `${who}: the layer's input shape [${shape.join(', ')}] is not ` +
        `fully known; fitByPCA needs a fixed image size (give the model ` +
        `an inputShape).`);
  }
  return patchGrid(image as number[], g, who);
}
