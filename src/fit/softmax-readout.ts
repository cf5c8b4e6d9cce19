import * as tf from '@tensorflow/tfjs-core';

import {gatherRows} from '../stats/gather-rows';

/**
 * Output layer by multinomial logistic regression on features computed
 * once: full-batch L-BFGS from a starting solution (the ridge readout),
 * stopped by the cross-entropy of held-out rows.
 *
 * With F the features augmented by a constant 1 and W the kernel stacked
 * on the bias, the objective is
 *   L(W) = −(1/N) Σ_i log softmax(F_i·W)[y_i] + (l2 / 2)·‖kernel‖²,
 * whose gradient is Fᵀ(softmax(F·W) − Y) / N + l2·kernel. Both are backend
 * products in the layout that is fast on wasm (Fᵀ is kept transposed);
 * the L-BFGS vectors, (h + 1)·C numbers, live on the host in float64.
 */

/** Rows of features with their classes. */
export interface LabelledFeatures {
  /** [n, h] features. */
  features: tf.Tensor2D;
  /** The class of each row. */
  labels: Int32Array;
}

export interface SoftmaxReadoutOptions {
  /** L2 penalty on the kernel, per unit of mean cross-entropy. */
  l2: number;
  /** Upper bound on L-BFGS iterations. */
  maxIterations: number;
  /** Iterations without a better held-out loss before stopping. */
  patience: number;
  /** Called after each iteration with its number and the held-out loss. */
  onIteration?: (iteration: number, heldLoss: number) => void;
}

export interface SoftmaxReadoutResult {
  /** Kernel [h, C], row-major. */
  kernel: Float32Array;
  /** Bias [C]. */
  bias: Float32Array;
  /** L-BFGS iterations run. */
  iterations: number;
  /** Held-out cross-entropy of the solution returned (NaN without rows). */
  heldLoss: number;
}

/** Pairs of steps and gradient changes L-BFGS remembers. */
const HISTORY = 10;

/**
 * Fits the softmax output layer, starting from `start` (kernel [h, C] and
 * bias [C]), and returns the iterate with the lowest held-out
 * cross-entropy (the training objective's, when there are no held-out
 * rows).
 */
export function fitSoftmaxReadout(
    train: LabelledFeatures, held: LabelledFeatures|null, numClasses: number,
    start: {kernel: Float32Array, bias: Float32Array},
    o: SoftmaxReadoutOptions): SoftmaxReadoutResult {
  const h = train.features.shape[1];
  const C = numClasses;
  const trainRows = augment(train, C);
  const heldRows = held !== null && held.labels.length > 0 ?
      augment(held, C) : null;
  try {
    const objective = (w: Float64Array) =>
        lossAndGradient(trainRows, w, h, C, o.l2);
    const heldLoss = (w: Float64Array) => heldRows === null ?
        objective(w).loss : lossAndGradient(heldRows, w, h, C, 0).loss;

    let w = stack(start.kernel, start.bias, h, C);
    let current = objective(w);
    let best = {w, loss: heldLoss(w)};
    let sinceBest = 0;
    const steps: Float64Array[] = [];
    const changes: Float64Array[] = [];
    let iterations = 0;
    while (iterations < o.maxIterations && sinceBest < o.patience) {
      const direction = twoLoop(current.gradient, steps, changes);
      const next = lineSearch(objective, w, current, direction);
      if (next === null) {
        break;
      }
      iterations++;
      steps.push(sub(next.w, w));
      changes.push(sub(next.value.gradient, current.gradient));
      if (steps.length > HISTORY) {
        steps.shift();
        changes.shift();
      }
      w = next.w;
      current = next.value;
      const loss = heldLoss(w);
      o.onIteration?.(iterations, loss);
      if (loss < best.loss) {
        best = {w, loss};
        sinceBest = 0;
      } else {
        sinceBest++;
      }
    }
    const {kernel, bias} = unstack(best.w, h, C);
    return {kernel, bias, iterations,
            heldLoss: heldRows === null ? NaN : best.loss};
  } finally {
    trainRows.dispose();
    heldRows?.dispose();
  }
}

/** Features augmented with a 1 column, their transpose, one-hot targets. */
interface AugmentedRows {
  rows: tf.Tensor2D;
  rowsT: tf.Tensor2D;
  targets: tf.Tensor2D;
  dispose(): void;
}

function augment(data: LabelledFeatures, C: number): AugmentedRows {
  const n = data.features.shape[0];
  const [rows, rowsT, targets] = tf.tidy(() => {
    const a = tf.concat2d([data.features, tf.ones([n, 1])], 1);
    const targets = tf.cast(
        tf.oneHot(tf.tensor1d(data.labels, 'int32'), C), 'float32');
    return [a, tf.transpose(a), targets] as tf.Tensor2D[];
  });
  return {rows, rowsT, targets,
          dispose: () => tf.dispose([rows, rowsT, targets])};
}

interface Evaluation {
  loss: number;
  gradient: Float64Array;
}

/** L(W) and ∇L(W) on `data`, W stacked (h + 1)×C. */
function lossAndGradient(
    data: AugmentedRows, w: Float64Array, h: number, C: number,
    l2: number): Evaluation {
  const n = data.rows.shape[0];
  const [lossT, gradT] = tf.tidy(() => {
    const weights = tf.tensor2d(Float32Array.from(w), [h + 1, C]);
    const logits = tf.matMul(data.rows, weights);
    const logP = tf.logSoftmax(logits);
    const loss = tf.neg(tf.div(tf.sum(tf.mul(data.targets, logP)), n));
    const residual = tf.sub(tf.exp(logP), data.targets);
    return [loss, tf.div(tf.matMul(data.rowsT, residual), n)];
  });
  const loss = lossT.dataSync()[0];
  const gradient = Float64Array.from(gradT.dataSync());
  tf.dispose([lossT, gradT]);
  let penalty = 0;
  for (let i = 0; i < h * C; i++) {
    penalty += w[i] * w[i];
    gradient[i] += l2 * w[i];
  }
  return {loss: loss + 0.5 * l2 * penalty, gradient};
}

/**
 * −H·g for the L-BFGS inverse-Hessian estimate H built from the remembered
 * steps s and gradient changes y (the two-loop recursion), scaled by
 * sᵀy / yᵀy of the latest pair.
 */
function twoLoop(
    g: Float64Array, steps: Float64Array[],
    changes: Float64Array[]): Float64Array {
  const q = Float64Array.from(g);
  const k = steps.length;
  const alpha = new Float64Array(k);
  const rho = steps.map((s, i) => 1 / dot(changes[i], s));
  for (let i = k - 1; i >= 0; i--) {
    alpha[i] = rho[i] * dot(steps[i], q);
    axpy(-alpha[i], changes[i], q);
  }
  const gamma = k > 0 ?
      dot(steps[k - 1], changes[k - 1]) / dot(changes[k - 1], changes[k - 1]) :
      1 / Math.max(Math.sqrt(dot(g, g)), 1e-12);
  q.forEach((v, i) => q[i] = gamma * v);
  for (let i = 0; i < k; i++) {
    const beta = rho[i] * dot(changes[i], q);
    axpy(alpha[i] - beta, steps[i], q);
  }
  return q.map(v => -v);
}

/**
 * Backtracking from a unit step until the loss falls by the Armijo margin
 * and the curvature sᵀy stays positive (so the L-BFGS estimate stays
 * positive definite); null when no step of at least 2⁻²⁰ does.
 */
function lineSearch(
    objective: (w: Float64Array) => Evaluation, w: Float64Array,
    at: Evaluation, direction: Float64Array):
    {w: Float64Array, value: Evaluation}|null {
  const slope = dot(at.gradient, direction);
  if (!(slope < 0)) {
    return null;
  }
  for (let t = 1; t >= 2 ** -20; t /= 2) {
    const candidate = w.map((v, i) => v + t * direction[i]);
    const value = objective(candidate);
    if (value.loss <= at.loss + 1e-4 * t * slope &&
        dot(sub(value.gradient, at.gradient), direction) > 0) {
      return {w: candidate, value};
    }
  }
  return null;
}

function stack(
    kernel: Float32Array, bias: Float32Array, h: number,
    C: number): Float64Array {
  const w = new Float64Array((h + 1) * C);
  w.set(kernel);
  w.set(bias, h * C);
  return w;
}

function unstack(w: Float64Array, h: number, C: number) {
  return {kernel: Float32Array.from(w.subarray(0, h * C)),
          bias: Float32Array.from(w.subarray(h * C))};
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i];
  }
  return s;
}

/** y ← y + a·x. */
function axpy(a: number, x: Float64Array, y: Float64Array) {
  for (let i = 0; i < y.length; i++) {
    y[i] += a * x[i];
  }
}

function sub(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v - b[i]);
}

/**
 * Features of the output layer's input kept batch by batch, split into
 * training and held-out rows, for {@link fitSoftmaxReadout}.
 */
export class KeptFeatures {
  private readonly parts: Array<{train: tf.Tensor2D, held: tf.Tensor2D}> =
      [];
  private readonly trainLabels: number[] = [];
  private readonly heldLabels: number[] = [];

  /** Keeps copies of the rows of `features`, held out where `held`. */
  add(features: tf.Tensor2D, classOf: Int32Array, held: boolean[]) {
    const pick = (side: boolean) =>
        Int32Array.from(held.flatMap((h, i) => (h === side ? [i] : [])));
    const [trainRows, heldRows] = [pick(false), pick(true)];
    const x = features.dtype === 'float32' ?
        features : tf.cast(features, 'float32') as tf.Tensor2D;
    try {
      // Not kept: if the second gather throws, tidy frees the first.
      this.parts.push(tf.tidy(() => ({
        train: gatherRows(x, trainRows),
        held: gatherRows(x, heldRows),
      })));
    } finally {
      if (x !== features) {
        x.dispose();
      }
    }
    trainRows.forEach(i => this.trainLabels.push(classOf[i]));
    heldRows.forEach(i => this.heldLabels.push(classOf[i]));
  }

  /**
   * The kept rows as [train, held]; the caller disposes their features.
   * The parts kept so far are released.
   */
  take(): [LabelledFeatures, LabelledFeatures] {
    const join = (side: 'train'|'held') =>
        tf.concat2d(this.parts.map(p => p[side]), 0);
    const train = join('train');
    let held: tf.Tensor2D;
    try {
      held = join('held');
    } catch (e) {
      train.dispose();
      throw e;
    }
    this.dispose();
    return [
      {features: train, labels: Int32Array.from(this.trainLabels)},
      {features: held, labels: Int32Array.from(this.heldLabels)},
    ];
  }

  dispose() {
    this.parts.forEach(p => tf.dispose([p.train, p.held]));
    this.parts.length = 0;
  }
}
