import * as tf from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors';
import {ClassStatistics, groupByClass} from './class-statistics';
import {readLabels} from './labels';

/**
 * The part of a `tf.data.Dataset` of `{xs, ys}` batches that tfjs-pca
 * uses: an async iterator. Declared structurally so that tfjs-data is not
 * a dependency.
 */
export interface PcaDataset {
  iterator(): Promise<{
    next(): Promise<IteratorResult<unknown>>;
  }>;
}

interface DatasetOptions {
  samplesPerClass: number|undefined;
  numClasses: number|undefined;
  onProgress?: (p: {stage: 'statistics', done: number, total: number}) =>
      void;
}

/**
 * Reads every `{xs, ys}` batch of `dataset` into class statistics, keeping
 * at most `samplesPerClass` rows of each class (the first ones in stream
 * order). Each element's tensors are disposed after use.
 *
 * @throws ValueError for a batch that is not `{xs, ys}` with a Tensor2D
 *   `xs`, for bad labels or NaN/Inf rows, or for an empty dataset.
 */
export async function accumulateDataset(
    dataset: PcaDataset, o: DatasetOptions): Promise<ClassStatistics> {
  if (dataset == null || typeof dataset.iterator !== 'function') {
    throw new ValueError(
        `classPca: \`x\` must be a Tensor2D or a tf.data.Dataset of ` +
        `{xs, ys} batches, received ${describe(dataset)}.`);
  }
  const it = await dataset.iterator();
  let stats: ClassStatistics|undefined;
  let done = 0;
  let batch = 0;
  try {
    for (let step = await it.next(); !step.done; step = await it.next()) {
      try {
        const {xs, ys} = checkBatch(step.value);
        stats = stats ?? new ClassStatistics(xs.shape[1], o.numClasses);
        addBatch(stats, xs, ys, o.samplesPerClass);
        done += xs.shape[0];
      } catch (e) {
        throw e instanceof ValueError ?
            new ValueError(`classPca: dataset batch ${batch} (rows from ` +
                           `${done}): ${e.message}`) :
            e;
      } finally {
        disposeTensors(step.value);
      }
      batch++;
      o.onProgress?.({stage: 'statistics', done, total: -1});
    }
  } catch (e) {
    stats?.dispose();
    throw e;
  }
  if (stats === undefined) {
    throw new ValueError('classPca: the dataset yielded no batches.');
  }
  return stats;
}

/** Disposes every tensor of a dataset element, whatever its shape. */
function disposeTensors(value: unknown) {
  if (value instanceof tf.Tensor) {
    value.dispose();
  } else if (Array.isArray(value)) {
    value.forEach(disposeTensors);
  } else if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(disposeTensors);
  }
}

function checkBatch(value: unknown): {xs: tf.Tensor2D, ys: tf.Tensor} {
  const batch = value as {xs?: unknown, ys?: unknown};
  if (batch == null || !(batch.xs instanceof tf.Tensor) ||
      !(batch.ys instanceof tf.Tensor) || batch.xs.rank !== 2) {
    throw new ValueError(
        `each element must be {xs: Tensor2D, ys: labels}, received ` +
        `${describe(value)}` +
        `${batch?.xs instanceof tf.Tensor ? ` with xs ${describe(batch.xs)}` :
                                              ''}.`);
  }
  return {xs: batch.xs as tf.Tensor2D, ys: batch.ys};
}

/** Adds the rows of one batch, skipping classes already at their cap. */
function addBatch(
    stats: ClassStatistics, xs: tf.Tensor2D, ys: tf.Tensor,
    cap: number|undefined) {
  if (cap === undefined) {
    stats.update(xs, ys as tf.Tensor1D);
    return;
  }
  // The class count is checked again by `update`; here only the grouping.
  const classOf = readLabels(ys as tf.Tensor1D, xs.shape[0], undefined);
  const keep: number[] = [];
  groupByClass(classOf).forEach((rows, c) => {
    const room = Math.max(0, cap - stats.count(c));
    keep.push(...rows.slice(0, room));
  });
  if (keep.length === 0) {
    return;
  }
  keep.sort((a, b) => a - b);
  const kept = tf.tidy(() => {
    const idx = tf.tensor1d(keep, 'int32');
    return {x: tf.gather(xs, idx) as tf.Tensor2D, y: tf.gather(ys, idx)};
  });
  try {
    stats.update(kept.x, kept.y as tf.Tensor1D);
  } finally {
    kept.x.dispose();
    kept.y.dispose();
  }
}
