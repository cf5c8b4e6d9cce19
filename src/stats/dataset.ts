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
 * order). The batches are disposed after use.
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
  try {
    for (let step = await it.next(); !step.done; step = await it.next()) {
      const {xs, ys} = checkBatch(step.value, done);
      try {
        stats = stats ?? new ClassStatistics(xs.shape[1], o.numClasses);
        addBatch(stats, xs, ys, o.samplesPerClass);
      } finally {
        xs.dispose();
        ys.dispose();
      }
      done += xs.shape[0];
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

function checkBatch(value: unknown, row: number):
    {xs: tf.Tensor2D, ys: tf.Tensor} {
  const batch = value as {xs?: unknown, ys?: unknown};
  if (batch == null || !(batch.xs instanceof tf.Tensor) ||
      !(batch.ys instanceof tf.Tensor) || batch.xs.rank !== 2) {
    throw new ValueError(
        `classPca: each dataset element must be {xs: Tensor2D, ys: labels}; ` +
        `the one at row ${row} is ${describe(value)}` +
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
    return {x: tf.gather(xs, idx) as tf.Tensor2D, labels: idx};
  });
  try {
    stats.update(kept.x, Int32Array.from(keep, i => classOf[i]));
  } finally {
    kept.x.dispose();
    kept.labels.dispose();
  }
}
