import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../errors';
import {PcaDataset} from '../stats/dataset';
import {gatherRows} from '../stats/gather-rows';
import {PlannedLayer} from './layer-plan';

/**
 * The training rows of fitByPCA: a tensor with its rows chosen per class,
 * or a Dataset of `{xs, ys}` batches.
 */
export type TrainingRows = {
  kind: 'tensor',
  x: tf.Tensor,
  /** Per class, the indices of the rows used (after `samplesPerClass`). */
  rows: Int32Array[],
}|{
  kind: 'dataset',
  dataset: PcaDataset,
};

/**
 * Runs layers [0, upTo) of the plan on `x` in inference mode and returns
 * the input of layer `upTo`, as rows [batch, features].
 */
export function forward(
    plan: PlannedLayer[], upTo: number, x: tf.Tensor): tf.Tensor2D {
  return forwardAny(plan, upTo, x, true) as tf.Tensor2D;
}

/**
 * The input of layer `upTo` as the layers below give it; with `asRows`,
 * throws unless it is rows [batch, features] (a Dense layer's input).
 */
function forwardAny(
    plan: PlannedLayer[], upTo: number, x: tf.Tensor,
    asRows: boolean): tf.Tensor {
  return tf.tidy(() => {
    let out = x;
    for (let i = 0; i < upTo; i++) {
      // A model's own InputLayer (present in the inner model of a
      // Sequential, which callbacks see) takes no input to apply.
      if (plan[i].layer.getClassName() !== 'InputLayer') {
        out = plan[i].layer.apply(out, {training: false}) as tf.Tensor;
      }
    }
    if (asRows && out.rank !== 2) {
      throw new ValueError(
          `fitByPCA: layer '${plan[upTo].layer.name}' receives input of ` +
          `shape [${out.shape.join(', ')}]; Dense layers computed by ` +
          `fitByPCA need [batch, features] (add a Flatten layer).`);
    }
    return out;
  });
}

/** Rows `rows` of a tensor of any rank, as a new tensor. */
export function gatherBatch(x: tf.Tensor, rows: Int32Array): tf.Tensor {
  const flat = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  try {
    const picked = gatherRows(flat, rows);
    if (x.rank === 2) {
      return picked;
    }
    const shaped = tf.reshape(picked, [rows.length, ...x.shape.slice(1)]);
    picked.dispose();
    return shaped;
  } finally {
    flat.dispose();
  }
}

/** One batch of layer input: features, and the class of each row. */
export interface FeatureBatch {
  features: tf.Tensor2D;
  /** The class of every row, or of all rows when `classIndex` is set. */
  labels: tf.Tensor|null;
  /** Set when every row of the batch belongs to this class. */
  classIndex: number|null;
}

/** One batch of a layer's input in its own shape (e.g. images). */
export interface InputBatch {
  input: tf.Tensor;
  /** The class of every row, or of all rows when `classIndex` is set. */
  labels: tf.Tensor|null;
  /** Set when every row of the batch belongs to this class. */
  classIndex: number|null;
}

/**
 * Calls `visit` with the input of layer `upTo` for every training batch;
 * tensors are disposed after each call. Tensor rows come grouped by class.
 */
export async function forEachFeatureBatch(
    data: TrainingRows, plan: PlannedLayer[], upTo: number, batchSize: number,
    visit: (batch: FeatureBatch) => void): Promise<void> {
  await streamInputs(data, plan, upTo, batchSize, true, batch => {
    visit({
      features: batch.input as tf.Tensor2D,
      labels: batch.labels,
      classIndex: batch.classIndex,
    });
    return true;
  });
}

/**
 * As {@link forEachFeatureBatch}, with the input in the shape the layers
 * below give it (images for a convolution), and stopping early when
 * `visit` returns false.
 */
export async function forEachInputBatch(
    data: TrainingRows, plan: PlannedLayer[], upTo: number, batchSize: number,
    visit: (batch: InputBatch) => boolean): Promise<void> {
  await streamInputs(data, plan, upTo, batchSize, false, visit);
}

async function streamInputs(
    data: TrainingRows, plan: PlannedLayer[], upTo: number, batchSize: number,
    asRows: boolean, visit: (batch: InputBatch) => boolean): Promise<void> {
  if (data.kind === 'tensor') {
    for (let c = 0; c < data.rows.length; c++) {
      const rows = data.rows[c];
      for (let start = 0; start < rows.length; start += batchSize) {
        const batch =
            gatherBatch(data.x, rows.subarray(start, start + batchSize));
        let input: tf.Tensor|undefined;
        let more = true;
        try {
          input = forwardAny(plan, upTo, batch, asRows);
          more = visit({input, labels: null, classIndex: c});
        } finally {
          batch.dispose();
          input?.dispose();
        }
        if (!more) {
          return;
        }
        // Lets a browser repaint and timers run between batches.
        await tf.nextFrame();
      }
    }
    return;
  }
  const it = await data.dataset.iterator();
  for (let step = await it.next(); !step.done; step = await it.next()) {
    const {xs, ys} = step.value as {xs: tf.Tensor, ys: tf.Tensor};
    let input: tf.Tensor|undefined;
    let more = true;
    try {
      if (!(xs instanceof tf.Tensor) || !(ys instanceof tf.Tensor)) {
        throw new ValueError(
            'fitByPCA: each dataset element must be {xs, ys} tensors.');
      }
      input = forwardAny(plan, upTo, xs, asRows);
      more = visit({input, labels: ys, classIndex: null});
    } finally {
      tf.dispose([xs, ys]);
      input?.dispose();
    }
    if (!more) {
      return;
    }
  }
}
