import * as tf from '@tensorflow/tfjs-core';

import {PATCHES_PER_CLASS, PATCHES_PER_IMAGE} from '../conv/sampling';
import {describe, ValueError} from '../errors';
import {Allocation} from '../pca/options';
import {TopEigenOptions} from '../linalg/top-eigen';
import {LayerReport} from './report';

/** How fitByPCA finds the output layer; see FitByPcaOptions.topLayer. */
export type TopLayer = 'auto'|'ridge'|'softmax'|'train';

/** Options of {@link fitByPCA}. */
export interface FitByPcaOptions {
  /**
   * Use at most this many rows of each class, chosen with `seed` (for a
   * Dataset: the first rows of each class). Defaults to all rows.
   */
  samplesPerClass?: number;
  /**
   * How each hidden layer's units are shared among the classes: `'equal'`
   * or by `'eigenvalue'` rank across classes. Defaults to 'equal'.
   */
  allocation?: Allocation;
  /**
   * Decompose class covariances (true) or uncentered second moments
   * (false). Defaults to false. Worth trying with few images per class:
   * on Fashion-MNIST (MLP 784-256-256-10, fitByPCA alone, wasm; medians
   * of three seeds, docs/BENCHMARKS.md, "Variant runs") `true` gave 67.5%
   * against 63.7% from 10 images per class and 74.8% against 70.8% from
   * 30, but 78.1% against 78.4%, 81.1% against 81.4% and 83.1% against
   * 83.6% from 100, 300 and 1,000; on all 60,000 images 85.8% against
   * 85.6% (the CNN 89.2% against 89.0%). It is not the default because
   * covariances drop the class means, and where the classes differ
   * mostly in their means (the test suite's toy data) it fell well short:
   * 47% where the uncentered default passes the suite's bound of 60%.
   */
  centered?: boolean;
  /**
   * Take the classes' components in turns, each orthogonal to those taken
   * before (see classPca's `distinct`), so that no two units of a layer
   * share a direction. Defaults to true: on the full Fashion-MNIST (wasm,
   * docs/BENCHMARKS.md, docs/CONV.md) the MLP 784-256-256-10 reached
   * 85.6% without backpropagation against 84.9% without it, and 87.8%
   * against 86.9% after one fine-tuning epoch; the demo CNN, whose
   * classes' 5×5 patch components are nearly the same few directions,
   * 89.0% against 86.3% without backpropagation and 89.1–89.6% against
   * 86.8–88.3% after one fine-tuning epoch. The MLP's first layer then
   * took 5.1 s on wasm, 1.3× one xᵀx of its input (3.9 s); side by side
   * on 20,000 rows its 128 one-vector eigensolves added about 2.5 s.
   */
  distinct?: boolean;
  /**
   * Two units per component, +w and −w, so a ReLU keeps both sides of each
   * projection (half as many components per layer). Needs an even number
   * of units in each hidden layer. Defaults to true: on Fashion-MNIST
   * (784-256-256-10, all 60,000 rows, closed-form output) it measured
   * 82.7% test accuracy against 81.7% without (single runs; the table of
   * first measurements in docs/METHOD.md).
   */
  pairs?: boolean;
  /** Shrinkage toward the pooled class matrix; see classPca. Defaults to 0. */
  shrinkage?: number|'auto';
  /**
   * Rows per batch while streaming layer inputs; for a convolutional
   * layer, patches per batch (⌊batchSize / patchesPerImage⌋ images).
   * Defaults to 2048.
   */
  batchSize?: number;
  /**
   * For each Conv2D or Conv1D layer: patches drawn at random from each
   * image of its input. Defaults to {@link PATCHES_PER_IMAGE} (8).
   */
  patchesPerImage?: number;
  /**
   * For each Conv2D or Conv1D layer: the most patches taken from each
   * class (from ⌈patchesPerClass / patchesPerImage⌉ images chosen at
   * random), which bounds the layer's work whatever the data size.
   * Defaults to {@link PATCHES_PER_CLASS} (10,000).
   */
  patchesPerClass?: number;
  /**
   * How BatchNormalization layers are set: `'data'` sets their moving mean
   * and variance to the mean and variance of their input over the training
   * rows (per channel), with gamma 1 and beta 0, so they normalize it;
   * `'identity'` sets them to pass their input unchanged (mean 0, variance
   * 1 − ε, gamma 1, beta 0). Defaults to 'data': on the demo CNN with a
   * BatchNormalization layer after each convolution (Fashion-MNIST, 2,000
   * images per class) it gave 84.9% against 84.2% without
   * backpropagation, and 82.0% against 78.4% after one fine-tuning epoch,
   * where batch statistics take over in training (docs/CONV.md).
   */
  batchNormalization?: 'data'|'identity';
  /** Seed of every random choice. Defaults to 0. */
  seed?: number;
  /**
   * How the output layer is found: `'ridge'` solves it in closed form
   * (ridge regression onto one-hot targets, λ chosen on a held-out tenth of
   * the rows, and a softmax temperature fitted there); `'softmax'` starts
   * from that solution and fits a softmax output layer by multinomial
   * logistic regression (full-batch L-BFGS, at most `topIterations`
   * iterations, stopped by the held-out cross-entropy) on features of the
   * layers below computed once, with no optimizer or `compile` needed;
   * `'train'` starts from the ridge solution and trains the output layer
   * alone for `topEpochs` with a fresh optimizer of the model's compiled
   * class and settings and its loss, on features computed once. `'auto'`
   * is 'softmax' for a softmax output layer and 'ridge' otherwise.
   * Defaults to 'auto'. On Fashion-MNIST (784-256-256-10, full data,
   * wasm) 'softmax' reached 84.8% test accuracy against 82.7% for
   * 'ridge', for about 10 s more, and 'train' (5 epochs of Adam) 84.2%
   * for about 30 s more (single runs, docs/METHOD.md). Before one fine-tuning epoch (distinct
   * components, `fineTunePeak` 1) it gave the demo CNN 90.2% and 90.1%
   * against 89.4% from the ridge solution, and the MLP 87.7% against
   * 87.1% (docs/BENCHMARKS.md, "Variant runs"); it was 'ridge' before
   * fine-tuning until
   * then (86.0% against 86.1% on the MLP with plain components).
   */
  topLayer?: TopLayer;
  /**
   * Upper bound on the L-BFGS iterations of `topLayer: 'softmax'`.
   * Defaults to 100.
   */
  topIterations?: number;
  /**
   * The ridge λ of the closed-form output layer, in units of the mean
   * feature variance, or 'auto'. 'auto' chooses it from 1e-6…1 on a
   * held-out tenth of the rows (by cross-entropy for a softmax output),
   * unless end-to-end training follows (`fineTuneEpochs` > 0, or
   * FitByPcaCallback): then it is 0.1, because the held-out choice is
   * usually tiny and its large output weights make the first steps of
   * training blow the loss up (measured: 86.3% after one fine-tuning epoch
   * with 0.1, 82.7% with the held-out choice). Defaults to 'auto'.
   */
  ridge?: number|'auto';
  /**
   * Epochs of output-layer training with `topLayer: 'train'`. Defaults to 5.
   */
  topEpochs?: number;
  /**
   * Epochs of ordinary end-to-end `model.fit` afterwards, starting from the
   * computed weights. Needs a compiled model. Defaults to 0.
   */
  fineTuneEpochs?: number;
  /**
   * Learning rate over the fine-tuning batches: `'cosine'` decays it from
   * `fineTunePeak` times the optimizer's own rate to 0 along half a cosine,
   * batch by batch (the optimizer's rate is put back afterwards);
   * `'constant'` leaves it alone. With a Dataset `x`, or an optimizer
   * without a numeric `learningRate`, it is constant. Defaults to
   * 'cosine': one epoch of Adam (1e-3 base) after fitByPCA on the full
   * Fashion-MNIST reached 87.2% with it (peak 3×) against 85.8% at a
   * constant rate.
   */
  fineTuneSchedule?: 'cosine'|'constant';
  /**
   * Peak of the cosine schedule, as a multiple of the optimizer's learning
   * rate. Defaults to 1: after the softmax readout a gentler start kept
   * more of the computed network (one fine-tuning epoch of the demo CNN,
   * full Fashion-MNIST: 90.2% and 90.1% at 1 against 89.5% at 3; the
   * MLP 87.7% against 87.6%). With the ridge readout 3 did better
   * (the MLP 87.6% against 87.1%).
   */
  fineTunePeak?: number;
  /**
   * The share of the fine-tuning batches over which the cosine schedule's
   * rate first rises linearly from 0 to its peak, in [0, 1). Defaults to
   * 0 (no warm-up): on the demo CNN (full Fashion-MNIST, one epoch,
   * batches of 64) a warm-up over 10% of the batches gave 87.9% against
   * 87.7% without, and 88.1% against 88.2% without ± pairs: no gain
   * beyond run-to-run noise (bench/results/raw/).
   */
  fineTuneWarmup?: number;
  /** Batch size of output-layer training and fine-tuning. Defaults to 128. */
  fitBatchSize?: number;
  /** `[x, y]` held out for the report and fine-tuning. Defaults to none. */
  validationData?: [tf.Tensor, tf.Tensor|ArrayLike<number>];
  /**
   * 0: silent; 1: a progress bar per layer and a line per step on stderr.
   * Defaults to 0.
   */
  verbose?: 0|1;
  /** Called after each layer is set, with its report. Defaults to none. */
  onLayerEnd?: (layer: LayerReport) => void|Promise<void>;
  /** Eigensolver options; see topEigen. Defaults to its defaults. */
  solver?: Omit<TopEigenOptions, 'seed'>;
}

/** {@link FitByPcaOptions} with defaults filled in. */
export type ResolvedFitOptions = Required<Omit<
    FitByPcaOptions,
    'samplesPerClass'|'validationData'|'onLayerEnd'>>&
    Pick<FitByPcaOptions, 'samplesPerClass'|'validationData'|'onLayerEnd'>;

export const FIT_DEFAULTS = {
  allocation: 'equal' as Allocation,
  centered: false,
  distinct: true,
  pairs: true,
  shrinkage: 0 as number | 'auto',
  batchSize: 2048,
  patchesPerImage: PATCHES_PER_IMAGE,
  patchesPerClass: PATCHES_PER_CLASS,
  batchNormalization: 'data' as 'data' | 'identity',
  seed: 0,
  topLayer: 'auto' as TopLayer,
  topIterations: 100,
  ridge: 'auto' as number | 'auto',
  topEpochs: 5,
  fineTuneEpochs: 0,
  fineTuneSchedule: 'cosine' as 'cosine' | 'constant',
  fineTunePeak: 1,
  fineTuneWarmup: 0,
  fitBatchSize: 128,
  verbose: 0 as 0 | 1,
  solver: {},
};

/**
 * Checks the options and fills in defaults.
 * @throws ValueError naming the option, the value and what is expected.
 */
export function resolveFitOptions(options: FitByPcaOptions = {}):
    ResolvedFitOptions {
  if (options === null || typeof options !== 'object') {
    throw new ValueError(
        `fitByPCA: \`options\` must be an object, received ` +
        `${describe(options)}.`);
  }
  const known = new Set([
    ...Object.keys(FIT_DEFAULTS), 'samplesPerClass', 'validationData',
    'onLayerEnd',
  ]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new ValueError(
          `fitByPCA: unknown option ${describe(key)}; known options are ` +
          `${[...known].join(', ')}.`);
    }
  }
  const o = {...FIT_DEFAULTS, ...stripUndefined(options)};
  for (const key of ['batchSize', 'fitBatchSize', 'samplesPerClass',
                     'patchesPerImage', 'patchesPerClass'] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) > 0)) {
      throw new ValueError(
          `fitByPCA: \`${key}\` must be a positive integer, received ` +
          `${describe(v)}.`);
    }
  }
  for (const key of ['topEpochs', 'fineTuneEpochs', 'topIterations'] as
       const) {
    if (!(Number.isInteger(o[key]) && o[key] >= 0)) {
      throw new ValueError(
          `fitByPCA: \`${key}\` must be a non-negative integer, received ` +
          `${describe(o[key])}.`);
    }
  }
  if (!['auto', 'ridge', 'softmax', 'train'].includes(o.topLayer)) {
    throw new ValueError(
        `fitByPCA: \`topLayer\` must be 'auto', 'ridge', 'softmax' or ` +
        `'train', ` +
        `received ` +
        `${describe(o.topLayer)}.`);
  }
  if (o.fineTuneSchedule !== 'cosine' && o.fineTuneSchedule !== 'constant') {
    throw new ValueError(
        `fitByPCA: \`fineTuneSchedule\` must be 'cosine' or 'constant', ` +
        `received ${describe(o.fineTuneSchedule)}.`);
  }
  if (!(typeof o.fineTunePeak === 'number' && o.fineTunePeak > 0 &&
        Number.isFinite(o.fineTunePeak))) {
    throw new ValueError(
        `fitByPCA: \`fineTunePeak\` must be a positive number, received ` +
        `${describe(o.fineTunePeak)}.`);
  }
  if (!(typeof o.fineTuneWarmup === 'number' && o.fineTuneWarmup >= 0 &&
        o.fineTuneWarmup < 1)) {
    throw new ValueError(
        `fitByPCA: \`fineTuneWarmup\` must be a number in [0, 1), ` +
        `received ${describe(o.fineTuneWarmup)}.`);
  }
  if (o.ridge !== 'auto' &&
      !(typeof o.ridge === 'number' && o.ridge >= 0 &&
        Number.isFinite(o.ridge))) {
    throw new ValueError(
        `fitByPCA: \`ridge\` must be a non-negative number or 'auto', ` +
        `received ${describe(o.ridge)}.`);
  }
  if (o.verbose !== 0 && o.verbose !== 1) {
    throw new ValueError(
        `fitByPCA: \`verbose\` must be 0 or 1, received ` +
        `${describe(o.verbose)}.`);
  }
  if (o.batchNormalization !== 'data' &&
      o.batchNormalization !== 'identity') {
    throw new ValueError(
        `fitByPCA: \`batchNormalization\` must be 'data' or 'identity', ` +
        `received ${describe(o.batchNormalization)}.`);
  }
  for (const key of ['pairs', 'centered', 'distinct'] as const) {
    if (typeof o[key] !== 'boolean') {
      throw new ValueError(
          `fitByPCA: \`${key}\` must be a boolean, received ` +
          `${describe(o[key])}.`);
    }
  }
  if (o.distinct && o.allocation === 'eigenvalue') {
    throw new ValueError(
        `fitByPCA: \`distinct\` cannot be combined with \`allocation: ` +
        `'eigenvalue'\`; use 'equal'.`);
  }
  if (o.onLayerEnd !== undefined && typeof o.onLayerEnd !== 'function') {
    throw new ValueError(
        `fitByPCA: \`onLayerEnd\` must be a function, received ` +
        `${describe(o.onLayerEnd)}.`);
  }
  if (o.validationData !== undefined &&
      !(Array.isArray(o.validationData) && o.validationData.length === 2 &&
        o.validationData[0] instanceof tf.Tensor)) {
    throw new ValueError(
        `fitByPCA: \`validationData\` must be [x, y], received ` +
        `${describe(o.validationData)}.`);
  }
  return o as ResolvedFitOptions;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
             Object.entries(o).filter(([, v]) => v !== undefined)) as
      Partial<T>;
}

/**
 * The classPca options of a layer computed by fitByPCA: `components` in
 * all, shared by the classes as fitByPCA's options say.
 */
export function layerPcaOptions(components: number, o: ResolvedFitOptions) {
  return {
    totalComponents: components,
    allocation: o.allocation,
    centered: o.centered,
    distinct: o.distinct,
    shrinkage: o.shrinkage,
    seed: o.seed,
    solver: o.solver,
  };
}
