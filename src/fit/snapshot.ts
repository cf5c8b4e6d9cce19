import * as tf from '@tensorflow/tfjs-core';
import {LayersModel} from '@tensorflow/tfjs-layers';

/**
 * The weights and trainable flags of a model's layers, kept so that a
 * failed computation can leave the model exactly as it was.
 */
export class ModelSnapshot {
  private readonly weights: tf.Tensor[][];
  private readonly trainable: boolean[];

  constructor(private readonly model: LayersModel) {
    // Clones share the variables' current data, which assign() then leaves
    // in place: the copy costs no memory until a weight changes.
    this.weights = model.layers.map(
        l => l.getWeights().map(w => tf.keep(tf.clone(w))));
    this.trainable = model.layers.map(l => l.trainable);
  }

  /** Puts the weights and flags back and frees the snapshot. */
  restore(): void {
    this.model.layers.forEach((layer, i) => {
      if (this.weights[i].length > 0) {
        layer.setWeights(this.weights[i]);
      }
      layer.trainable = this.trainable[i];
    });
    this.dispose();
  }

  /** Frees the snapshot. */
  dispose(): void {
    this.weights.forEach(ws => tf.dispose(ws));
    this.weights.length = 0;
  }
}

