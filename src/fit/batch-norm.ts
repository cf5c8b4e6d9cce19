import * as tf from '@tensorflow/tfjs-core';

import {NotImplementedError, ValueError} from '../errors';
import {forEachInputBatch, TrainingRows} from './feature-stream';
import {PlannedLayer} from './layer-plan';
import {ResolvedFitOptions} from './options';
import {ProgressLine} from './progress';
import {LayerReport} from './report';

/** Per-channel mean and (population) variance, merged batch by batch. */
interface ChannelMoments {
  count: number;
  mean: Float64Array;
  /** Σ (x − mean)² per channel. */
  squares: Float64Array;
}

/**
 * Sets a BatchNormalization layer. With `batchNormalization: 'data'` its
 * moving mean and variance become the mean and variance of its input over
 * the training rows (per channel, over the batch and every other axis),
 * with gamma 1 and beta 0, so in inference it normalizes its input to mean
 * 0 and variance 1. With `'identity'` it passes its input unchanged: mean
 * 0, variance 1 − ε (ε the layer's epsilon), gamma 1, beta 0.
 */
export async function setBatchNormalization(
    plan: PlannedLayer[], step: PlannedLayer, data: TrainingRows,
    o: ResolvedFitOptions, progress: ProgressLine): Promise<LayerReport> {
  const layer = step.layer;
  const config = layer.getConfig();
  const epsilon = config.epsilon as number;
  const channels = layer.getWeights()[0].shape[0];
  let moments: ChannelMoments|null = null;
  let rows = 0;
  if (o.batchNormalization === 'data') {
    ({moments, rows} = await inputMoments(plan, step, data, o, progress));
  }
  const values: Record<string, Float32Array> = {
    gamma: new Float32Array(channels).fill(
        moments === null ? Math.sqrt(Math.max(1, epsilon)) : 1),
    beta: new Float32Array(channels),
    moving_mean: moments === null ? new Float32Array(channels) :
                                    Float32Array.from(moments.mean),
    moving_variance: moments === null ?
        new Float32Array(channels).fill(Math.max(0, 1 - epsilon)) :
        Float32Array.from(moments.squares, s => s / moments!.count),
  };
  const names = layer.weights.map(
      w => w.originalName.split('/').pop() as string);
  const unknown = names.find(name => !(name in values));
  if (unknown !== undefined) {
    throw new NotImplementedError(
        `fitByPCA: layer '${layer.name}' has a weight '${unknown}' that a ` +
        `BatchNormalization layer is not expected to have.`);
  }
  const weights = names.map(name => tf.tensor1d(values[name]));
  try {
    layer.setWeights(weights);
  } finally {
    tf.dispose(weights);
  }
  return {
    name: layer.name,
    className: layer.getClassName(),
    index: step.index,
    role: 'normalize',
    units: channels,
    samples: rows,
    unitsPerClass: [],
    explainedVariance: null,
    lambda: null,
    temperature: null,
    seconds: 0,
  };
}

/**
 * The mean and variance of each channel of the layer's input, over the
 * training rows and every axis but the layer's `axis`. Each batch's
 * moments are merged on the host in float64 (Chan et al.'s pairwise
 * update), so large counts lose no precision.
 */
async function inputMoments(
    plan: PlannedLayer[], step: PlannedLayer, data: TrainingRows,
    o: ResolvedFitOptions, progress: ProgressLine):
    Promise<{moments: ChannelMoments, rows: number}> {
  const layer = step.layer;
  const axisOption = layer.getConfig().axis as number;
  let total: ChannelMoments|null = null;
  let rows = 0;
  await forEachInputBatch(data, plan, step.index, o.batchSize, batch => {
    const x = batch.input;
    const axis = axisOption < 0 ? x.rank + axisOption : axisOption;
    const reduce = x.shape.map((_, i) => i).filter(i => i !== axis);
    const [mean, variance] = tf.tidy(() => {
      const m = tf.moments(x, reduce);
      return [m.mean.dataSync(), m.variance.dataSync()];
    });
    const count = x.size / x.shape[axis];
    total = merge(total, count, mean, variance);
    rows += x.shape[0];
    progress.update(`fitByPCA: ${layer.name}`, rows, -1);
    return true;
  });
  if (total === null) {
    throw new ValueError('fitByPCA: there are no training rows.');
  }
  const {mean, squares} = total as ChannelMoments;
  if (!mean.every(Number.isFinite) || !squares.every(Number.isFinite)) {
    throw new ValueError(
        `fitByPCA: the input of layer '${layer.name}' contains NaN or Inf ` +
        `(or values too large for float32); every value of \`x\` must be ` +
        `finite.`);
  }
  return {moments: total, rows};
}

function merge(
    total: ChannelMoments|null, count: number, mean: ArrayLike<number>,
    variance: ArrayLike<number>): ChannelMoments {
  if (total === null) {
    return {
      count,
      mean: Float64Array.from(mean),
      squares: Float64Array.from(variance, v => v * count),
    };
  }
  const n = total.count + count;
  for (let j = 0; j < total.mean.length; j++) {
    const delta = mean[j] - total.mean[j];
    total.mean[j] += delta * count / n;
    total.squares[j] += variance[j] * count +
        delta * delta * total.count * count / n;
  }
  total.count = n;
  return total;
}
