import * as tf from '@tensorflow/tfjs-core';
import {LayersModel} from '@tensorflow/tfjs-layers';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';

import {findKernel} from './kernel-tracker';

type Layer = LayersModel['layers'][number];

/** A kernel and its value when a span was last computed. */
interface Anchor {
  kernel: LayerVariable;
  value: tf.Tensor;
}

/**
 * How far the kernels below each layer have moved since that layer's span
 * was last computed: the input of a layer changes only when they move.
 *
 * "Below" means before the layer in the model's layer list, which for a
 * plain stack is exactly the layers its input passes through (for other
 * graphs it may include a few that do not feed it). The kept values are
 * clones, sharing the variables' data until the optimizer replaces it.
 */
export class SpanAnchors {
  /** Per layer, the kernels below it. */
  private readonly below: LayerVariable[][];
  private readonly anchors: Anchor[][];

  /** @param layers - The layers with a span, each in `model.layers`. */
  constructor(model: LayersModel, layers: Layer[]) {
    this.anchors = layers.map(() => []);
    this.below = layers.map(layer => model.layers
        .slice(0, model.layers.indexOf(layer))
        .map(findKernel)
        .filter((k): k is LayerVariable => k !== null));
    layers.forEach((_, i) => this.anchor(i));
  }

  /** Takes the kernels below layer `i` as they are now. */
  anchor(i: number): void {
    tf.dispose(this.anchors[i].map(a => a.value));
    this.anchors[i] = this.below[i].map(
        kernel => ({kernel, value: tf.keep(tf.clone(kernel.read()))}));
  }

  /**
   * For each layer, the largest ‖K − A‖ / ‖A‖ over the kernels K below it
   * and their anchored values A (0 when no kernel is below), read back in
   * one go.
   */
  async movement(): Promise<number[]> {
    const all = this.anchors.flat();
    if (all.length === 0) {
      return this.anchors.map(() => 0);
    }
    const squares = tf.tidy(() => tf.stack(all.flatMap(a => [
      tf.sum(tf.square(tf.sub(a.kernel.read(), a.value))),
      tf.sum(tf.square(a.value)),
    ])));
    const values = await squares.data();
    squares.dispose();
    let next = 0;
    return this.anchors.map(list => list.reduce((largest) => {
      const moved = values[next++];
      const size = values[next++];
      return Math.max(largest, size > 0 ? Math.sqrt(moved / size) : 0);
    }, 0));
  }

  /** Frees the kept values. */
  dispose(): void {
    this.anchors.forEach(list => tf.dispose(list.map(a => a.value)));
    this.anchors.forEach(list => list.length = 0);
  }
}
