import * as tf from '@tensorflow/tfjs-core';
import {LayersModel} from '@tensorflow/tfjs-layers';
import type {LayerVariable} from '@tensorflow/tfjs-layers/dist/variables';

import {squaredNormInSpan} from './class-span';

type Layer = LayersModel['layers'][number];

/** The kernel of a layer: its weight named 'kernel', or null. */
export function findKernel(layer: Layer): LayerVariable|null {
  return layer.weights.find(
             w => w.originalName.split('/').pop() === 'kernel') ??
      null;
}

/** Squared norms of one kernel at one record, read back from the backend. */
export interface KernelNorms {
  /** ‖W_t − W_s‖², s the previous record. */
  step: number;
  /** ‖W_t‖². */
  current: number;
  /** ‖W_t − W_0‖². */
  displacement: number;
  /** ‖W_0‖². */
  initial: number;
  /** ‖Q(W_t − W_0)‖², the part of it in the span; null without a span. */
  inSpan: number|null;
}

/** Values each tracker contributes to the stacked read-back. */
const PARTS = 4;

/**
 * Keeps a kernel's value when training began (W_0) and at the previous
 * record (W_s), and measures how far it has moved from both.
 *
 * The kept copies are clones: they share the variable's data until the
 * optimizer assigns a new value, so keeping them costs no copy.
 */
export class KernelTracker {
  private readonly initial: tf.Tensor;
  private previous: tf.Tensor;
  private readonly initialNorm2: number;

  constructor(private readonly kernel: LayerVariable) {
    this.initial = tf.keep(tf.clone(kernel.read()));
    this.previous = tf.keep(tf.clone(kernel.read()));
    const norm2 = tf.tidy(() => tf.sum(tf.square(this.initial)));
    this.initialNorm2 = norm2.dataSync()[0];
    norm2.dispose();
  }

  /**
   * Measures every tracker against its span basis (null: no alignment)
   * with one read from the backend, and makes the current kernels the
   * previous ones.
   */
  static async measure(
      trackers: KernelTracker[], bases: Array<tf.Tensor2D|null>):
      Promise<KernelNorms[]> {
    const stacked = tf.tidy(() => tf.concat(
        trackers.map((t, i) => t.squaredNorms(bases[i]))));
    trackers.forEach(t => t.advance());
    let values: Float32Array;
    try {
      values = await stacked.data() as Float32Array;
    } finally {
      stacked.dispose();
    }
    return trackers.map((t, i) => {
      const v = values.subarray(PARTS * i, PARTS * (i + 1));
      return {
        step: v[0],
        current: v[1],
        displacement: v[2],
        initial: t.initialNorm2,
        inSpan: bases[i] === null ? null : v[3],
      };
    });
  }

  /** Frees the kept copies. */
  dispose(): void {
    tf.dispose([this.initial, this.previous]);
  }

  /** [‖W − W_s‖², ‖W‖², ‖W − W_0‖², ‖Q(W − W_0)‖² or 0]. */
  private squaredNorms(q: tf.Tensor2D|null): tf.Tensor1D {
    const w = this.kernel.read();
    const moved = tf.sub(w, this.initial);
    const sumSquares = (t: tf.Tensor) => tf.sum(tf.square(t));
    const inSpan =
        q === null ? tf.scalar(0) : squaredNormInSpan(q, moved as tf.Tensor2D);
    return tf.stack([
      sumSquares(tf.sub(w, this.previous)), sumSquares(w),
      sumSquares(moved), inSpan,
    ]) as tf.Tensor1D;
  }

  private advance() {
    this.previous.dispose();
    this.previous = tf.keep(tf.clone(this.kernel.read()));
  }
}
