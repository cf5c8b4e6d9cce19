import * as tf from '@tensorflow/tfjs-core';

import {solvePositiveDefinite} from '../linalg/dense';

/**
 * Closed-form output layer: ridge regression of one-hot targets on the
 * features of the layers below, with the regularization chosen on held-out
 * rows, then (for a softmax output) a temperature that makes the
 * probabilities calibrated on those rows.
 *
 * Features are augmented with a constant 1 for the bias, F = [H, 1]; the
 * solution of (FᵀF + λ·s·I′)·W = FᵀT, with s the mean diagonal of HᵀH and
 * I′ the identity without the bias entry, gives kernel and bias.
 */
export class RidgeReadout {
  private readonly width: number;
  private readonly numClasses: number;
  private trainGram: tf.Tensor2D|null = null;
  private trainCross: tf.Tensor2D|null = null;
  private heldGram: tf.Tensor2D|null = null;
  private heldCross: tf.Tensor2D|null = null;
  private readonly heldFeatures: Float32Array[] = [];
  private readonly heldLabels: number[] = [];
  private readonly maxHeld: number;
  private heldRows = 0;

  /**
   * @param features - Width h of the features.
   * @param numClasses - Outputs C.
   * @param maxHeld - Held-out rows kept on the host for calibration.
   */
  constructor(features: number, numClasses: number, maxHeld = 5000) {
    this.width = features + 1;
    this.numClasses = numClasses;
    this.maxHeld = maxHeld;
  }

  /**
   * Adds a batch: features [n, h] and class indices; rows where `held` is
   * true go to the held-out set.
   */
  add(features: tf.Tensor2D, classOf: Int32Array, held: boolean[]) {
    const split = [false, true].map(
        side => held.flatMap((h, i) => (h === side ? [i] : [])));
    split.forEach((rows, side) => {
      if (rows.length === 0) {
        return;
      }
      const {gram, cross, augmented} = tf.tidy(() => {
        const idx = tf.tensor1d(rows, 'int32');
        const f = tf.gather(features, idx);
        const a = tf.concat([f, tf.ones([rows.length, 1])], 1);
        const at = tf.transpose(a);
        const targets = tf.cast(tf.oneHot(
            tf.tensor1d(rows.map(i => classOf[i]), 'int32'),
            this.numClasses), 'float32');
        return {
          gram: tf.matMul(at, a) as tf.Tensor2D,
          cross: tf.matMul(at, targets) as tf.Tensor2D,
          augmented: a as tf.Tensor2D,
        };
      });
      if (side === 0) {
        this.trainGram = accumulate(this.trainGram, gram);
        this.trainCross = accumulate(this.trainCross, cross);
        augmented.dispose();
      } else {
        this.heldGram = accumulate(this.heldGram, gram);
        this.heldCross = accumulate(this.heldCross, cross);
        this.keepHeld(augmented, rows.map(i => classOf[i]));
      }
    });
  }

  /**
   * Solves for the kernel [h, C] and bias [C]. λ is chosen from a grid on
   * the held-out rows (ties to the larger λ), by cross-entropy for a
   * softmax output and by accuracy otherwise, then the system is solved on
   * all rows. With `softmax`, outputs are scaled by the temperature that
   * minimizes held-out cross-entropy.
   */
  solve(softmax: boolean, fixedLambda?: number):
      {kernel: Float32Array, bias: Float32Array, lambda: number,
       temperature: number} {
    const h = this.width;
    const C = this.numClasses;
    const train = this.read(this.trainGram, this.trainCross);
    const held = this.read(this.heldGram, this.heldCross);
    const scale = meanFeatureDiagonal(train.gram, h);

    // λ by held-out cross-entropy (after the temperature fit) when the
    // output is a softmax, else by held-out accuracy. Cross-entropy
    // penalizes the large, overconfident weights a tiny λ gives, which
    // make the first steps of fine-tuning blow the loss up.
    let best = {lambda: fixedLambda ?? 1e-3, score: -Infinity};
    if (this.heldRows > 0 && fixedLambda === undefined) {
      for (const lambda of LAMBDAS) {
        const w = ridge(train.gram, train.cross, h, C, lambda * scale);
        if (w === null) {
          continue;
        }
        const score = softmax ? -this.calibrated(w).loss :
                                this.heldAccuracy(w);
        if (score >= best.score) {
          best = {lambda, score};
        }
      }
    }
    const gram = train.gram.map((v, i) => v + (held.gram[i] ?? 0));
    const cross = train.cross.map((v, i) => v + (held.cross[i] ?? 0));
    const w = ridge(gram, cross, h, C, best.lambda * scale) ??
        new Float64Array(h * C);
    const temperature =
        softmax && this.heldRows > 0 ? this.calibrated(w).temperature : 1;
    const kernel = new Float32Array((h - 1) * C);
    const bias = new Float32Array(C);
    for (let i = 0; i < h; i++) {
      for (let c = 0; c < C; c++) {
        const v = temperature * w[i * C + c];
        if (i < h - 1) {
          kernel[i * C + c] = v;
        } else {
          bias[c] = v;
        }
      }
    }
    return {kernel, bias, lambda: best.lambda, temperature};
  }

  dispose() {
    tf.dispose([this.trainGram, this.trainCross, this.heldGram,
                this.heldCross].filter(t => t !== null) as tf.Tensor[]);
    this.trainGram = this.trainCross = this.heldGram = this.heldCross = null;
  }

  private keepHeld(augmented: tf.Tensor2D, labels: number[]) {
    const room = this.maxHeld - this.heldLabels.length;
    if (room > 0) {
      const values = augmented.dataSync() as Float32Array;
      const rows = Math.min(room, labels.length);
      this.heldFeatures.push(values.slice(0, rows * this.width));
      this.heldLabels.push(...labels.slice(0, rows));
    }
    this.heldRows += labels.length;
    augmented.dispose();
  }

  private read(gram: tf.Tensor2D|null, cross: tf.Tensor2D|null) {
    return {
      gram: gram === null ? new Float64Array(this.width * this.width) :
                            Float64Array.from(gram.dataSync()),
      cross: cross === null ?
          new Float64Array(this.width * this.numClasses) :
          Float64Array.from(cross.dataSync()),
    };
  }

  /** Scores (logits before temperature) of the held-out rows. */
  private heldScores(w: Float64Array): Float64Array[] {
    const h = this.width;
    const C = this.numClasses;
    const out: Float64Array[] = [];
    for (const block of this.heldFeatures) {
      for (let r = 0; r < block.length / h; r++) {
        const s = new Float64Array(C);
        for (let i = 0; i < h; i++) {
          const f = block[r * h + i];
          if (f !== 0) {
            for (let c = 0; c < C; c++) {
              s[c] += f * w[i * C + c];
            }
          }
        }
        out.push(s);
      }
    }
    return out;
  }

  private heldAccuracy(w: Float64Array): number {
    const scores = this.heldScores(w);
    let right = 0;
    scores.forEach((s, i) => {
      let top = 0;
      s.forEach((v, c) => top = v > s[top] ? c : top);
      right += top === this.heldLabels[i] ? 1 : 0;
    });
    return right / Math.max(1, scores.length);
  }

  /**
   * The temperature τ minimizing the mean cross-entropy of softmax(τ·s) on
   * the held-out rows (a one-dimensional search over log τ), and that
   * cross-entropy.
   */
  private calibrated(w: Float64Array): {temperature: number, loss: number} {
    // Scores once per solution: the search only rescales them.
    const scores = this.heldScores(w);
    const loss = (t: number) =>
        meanCrossEntropy(scores, this.heldLabels, t);
    // Golden-section search on log τ in [log 0.1, log 1000].
    let lo = Math.log(0.1);
    let hi = Math.log(1000);
    const g = (Math.sqrt(5) - 1) / 2;
    for (let it = 0; it < 40; it++) {
      const a = hi - g * (hi - lo);
      const b = lo + g * (hi - lo);
      if (loss(Math.exp(a)) < loss(Math.exp(b))) {
        hi = b;
      } else {
        lo = a;
      }
    }
    const temperature = Math.exp((lo + hi) / 2);
    return {temperature, loss: loss(temperature)};
  }
}

/** The λ grid, in units of the mean diagonal of HᵀH. */
const LAMBDAS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

/** Mean cross-entropy of softmax(τ·s) against the labels. */
function meanCrossEntropy(
    scores: Float64Array[], labels: number[], t: number): number {
  let total = 0;
  scores.forEach((s, i) => {
    let top = -Infinity;
    s.forEach(v => top = Math.max(top, t * v));
    let sum = 0;
    s.forEach(v => sum += Math.exp(t * v - top));
    total += top + Math.log(sum) - t * s[labels[i]];
  });
  return total / Math.max(1, scores.length);
}

function accumulate(total: tf.Tensor2D|null, add: tf.Tensor2D): tf.Tensor2D {
  if (total === null) {
    return tf.keep(add);
  }
  const sum = tf.keep(tf.add(total, add) as tf.Tensor2D);
  total.dispose();
  add.dispose();
  return sum;
}

function meanFeatureDiagonal(gram: Float64Array, h: number): number {
  let sum = 0;
  for (let i = 0; i < h - 1; i++) {
    sum += gram[i * h + i];
  }
  return h > 1 && sum > 0 ? sum / (h - 1) : 1;
}

/** Ridge solution with λ on every entry but the bias. */
function ridge(
    gram: Float64Array, cross: Float64Array, h: number, C: number,
    lambda: number): Float64Array|null {
  const a = gram.slice();
  for (let i = 0; i < h - 1; i++) {
    a[i * h + i] += lambda;
  }
  // A tiny ridge on the bias too, for a feature set with no rows.
  a[(h - 1) * h + h - 1] += 1e-9 * (lambda + 1);
  return solvePositiveDefinite(a, cross, h, C);
}
