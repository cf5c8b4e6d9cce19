import * as tf from '@tensorflow/tfjs-core';
import {Callback, Logs} from '@tensorflow/tfjs-layers';
import type {Layer} from '@tensorflow/tfjs-layers/dist/engine/topology';

import {describe, ValueError} from '../errors';
import {PcaDataset} from '../stats/dataset';
import {LabelsInput} from '../stats/labels';
import {FINE_TUNE_RIDGE, fitByPCA} from './fit-by-pca';
import {FitByPcaOptions} from './options';
import {FitByPcaReport} from './report';

/** Arguments of {@link FitByPcaCallback}. */
export interface FitByPcaCallbackArgs extends
    Omit<FitByPcaOptions, 'fineTuneEpochs'> {
  /** The rows to compute the weights from (a tensor or a Dataset). */
  x: tf.Tensor|PcaDataset;
  /** Their labels; omitted for a Dataset. */
  y?: LabelsInput;
  /**
   * Keep the layers computed by PCA frozen for this many epochs of the
   * training that follows, then release them. Defaults to 0 (train all
   * layers from the first epoch).
   */
  freezeEpochs?: number;
}

/**
 * fitByPCA as a `model.fit` callback: when training begins it computes the
 * weights (as {@link fitByPCA} does, without fine-tuning: the training that
 * follows is the fine-tuning), and optionally keeps the PCA layers at their
 * computed weights for the first `freezeEpochs` epochs.
 *
 * One default differs from fitByPCA's: the output layer is the ridge
 * solution with λ = 0.1 (`topLayer: 'ridge'`, `ridge: 0.1`), the start
 * fitByPCA itself used before fine-tuning until the softmax readout
 * measured better there with its own cosine schedule; under the user's
 * own optimizer and rate that has not been measured. Pass
 * `topLayer: 'auto'` for the softmax readout.
 *
 * Frozen layers are put back to their computed weights after every batch;
 * their gradients are still computed. (tfjs optimizers keep per-weight state
 * by position in the list of trained weights, so taking weights out of that
 * list in the middle of `fit` would mix up the state of Adam and the like.)
 * The trainable flags are never changed.
 *
 * @example
 * ```js
 * model.compile({optimizer: 'adam', loss: 'sparseCategoricalCrossentropy',
 *                metrics: ['accuracy']});
 * await model.fit(xTrain, yTrain, {
 *   epochs: 3,
 *   callbacks: [new FitByPcaCallback({x: xTrain, y: yTrain,
 *                                     freezeEpochs: 1})],
 * });
 * ```
 */
export class FitByPcaCallback extends Callback {
  /** The report of the computation, once training has begun. */
  report: FitByPcaReport|null = null;
  private readonly args: FitByPcaCallbackArgs;
  private frozen: Array<{layer: Layer, weights: tf.Tensor[]}> = [];

  /** @throws ValueError for bad arguments. */
  constructor(args: FitByPcaCallbackArgs) {
    super();
    if (args == null || typeof args !== 'object' || args.x == null) {
      throw new ValueError(
          `FitByPcaCallback: expected {x, y, ...options}, received ` +
          `${describe(args)}.`);
    }
    if ('fineTuneEpochs' in args) {
      throw new ValueError(
          'FitByPcaCallback: `fineTuneEpochs` does not apply: the training ' +
          'the callback runs in is the fine-tuning.');
    }
    const freeze = args.freezeEpochs ?? 0;
    if (!Number.isInteger(freeze) || freeze < 0) {
      throw new ValueError(
          `FitByPcaCallback: \`freezeEpochs\` must be a non-negative ` +
          `integer, received ${describe(args.freezeEpochs)}.`);
    }
    this.args = args;
  }

  async onTrainBegin(logs?: Logs): Promise<void> {
    void logs;
    const {x, y, freezeEpochs, ...options} = this.args;
    // Training follows: the output λ that suits fine-tuning (see `ridge`),
    // and the ridge start (see the class doc).
    this.report = await fitByPCA(
        this.model, x, y,
        {ridge: FINE_TUNE_RIDGE, topLayer: 'ridge', ...options});
    if ((freezeEpochs ?? 0) > 0) {
      const computed = new Set(
          this.report.layers.filter(l => l.role === 'pca').map(l => l.name));
      this.frozen = this.model.layers.filter(l => computed.has(l.name))
                        .map(layer => ({
                               layer,
                               weights: layer.getWeights().map(
                                   w => tf.keep(tf.clone(w))),
                             }));
    }
  }

  async onBatchEnd(batch: number, logs?: Logs): Promise<void> {
    void batch;
    void logs;
    this.frozen.forEach(f => f.layer.setWeights(f.weights));
  }

  async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    void logs;
    if (epoch + 1 === (this.args.freezeEpochs ?? 0)) {
      this.release();
    }
  }

  async onTrainEnd(logs?: Logs): Promise<void> {
    void logs;
    this.release();
  }

  private release() {
    this.frozen.forEach(f => tf.dispose(f.weights));
    this.frozen = [];
  }
}
