import * as tf from '@tensorflow/tfjs-core';

import {fitSoftmaxReadout, KeptFeatures} from '../src/fit/softmax-readout';
import {SeededRandom} from '../src/linalg/random';

import {withoutLeaks} from './helpers';

/** n rows of h features in C overlapping Gaussian classes. */
function problem(n: number, h: number, C: number, seed: number) {
  const rng = new SeededRandom(seed);
  const values = new Float32Array(n * h);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % C;
    for (let j = 0; j < h; j++) {
      values[i * h + j] = (j % C === labels[i] ? 1 : 0) + rng.normal();
    }
  }
  return {values, labels};
}

/**
 * The gradient of the mean cross-entropy plus (l2 / 2)·‖kernel‖², in
 * float64 on the host, at kernel [h, C] and bias [C].
 */
function referenceGradient(
    values: Float32Array, labels: Int32Array, h: number, C: number,
    kernel: Float32Array, bias: Float32Array, l2: number): Float64Array {
  const n = labels.length;
  const grad = new Float64Array((h + 1) * C);
  for (let i = 0; i < n; i++) {
    const z = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      z[c] = bias[c];
      for (let j = 0; j < h; j++) {
        z[c] += values[i * h + j] * kernel[j * C + c];
      }
    }
    const top = Math.max(...z);
    const e = z.map(v => Math.exp(v - top));
    const sum = e.reduce((a, b) => a + b, 0);
    for (let c = 0; c < C; c++) {
      const r = (e[c] / sum - (labels[i] === c ? 1 : 0)) / n;
      for (let j = 0; j < h; j++) {
        grad[j * C + c] += values[i * h + j] * r;
      }
      grad[h * C + c] += r;
    }
  }
  for (let k = 0; k < h * C; k++) {
    grad[k] += l2 * kernel[k];
  }
  return grad;
}

describe('fitSoftmaxReadout', () => {
  const h = 5;
  const C = 3;

  it('reaches the minimum of the regularized cross-entropy (float64 check)',
     () => withoutLeaks(() => {
       const {values, labels} = problem(600, h, C, 1);
       const features = tf.tensor2d(values, [600, h]);
       const l2 = 0.05;
       const start = {kernel: new Float32Array(h * C),
                      bias: new Float32Array(C)};
       const atStart = referenceGradient(
           values, labels, h, C, start.kernel, start.bias, l2);
       const fit = fitSoftmaxReadout(
           {features, labels}, null, C, start,
           {l2, maxIterations: 200, patience: 200});
       const g = referenceGradient(
           values, labels, h, C, fit.kernel, fit.bias, l2);
       const norm = (v: Float64Array) => Math.hypot(...v);
       // Strictly convex with l2 > 0: a near-zero float64 gradient means
       // the unique minimum, to float32 accuracy.
       expect(norm(g)).toBeLessThan(1e-3 * norm(atStart));
       expect(fit.iterations).toBeGreaterThan(2);
       expect(Number.isNaN(fit.heldLoss)).toBe(true);
       features.dispose();
     }));

  it('stops on the held-out loss and returns its best iterate', () =>
     withoutLeaks(() => {
       // Few rows, many features: training alone would overfit.
       const train = problem(30, 20, C, 2);
       const held = problem(300, 20, C, 3);
       const trainF = tf.tensor2d(train.values, [30, 20]);
       const heldF = tf.tensor2d(held.values, [300, 20]);
       const losses: number[] = [];
       const fit = fitSoftmaxReadout(
           {features: trainF, labels: train.labels},
           {features: heldF, labels: held.labels}, C,
           {kernel: new Float32Array(20 * C), bias: new Float32Array(C)},
           {l2: 0, maxIterations: 100, patience: 3,
            onIteration: (_, loss) => losses.push(loss)});
       expect(fit.heldLoss).toBeCloseTo(Math.min(...losses), 6);
       // Stopped by patience: the last 3 held-out losses are no better.
       expect(losses.length).toBeLessThan(100);
       expect(Math.min(...losses.slice(-3))).toBeGreaterThan(fit.heldLoss);
       tf.dispose([trainF, heldF]);
     }));

  it('KeptFeatures splits rows into training and held-out sets', () =>
     withoutLeaks(() => {
       const kept = new KeptFeatures();
       const x = tf.tensor2d([[1, 1], [2, 2], [3, 3], [4, 4]]);
       kept.add(x, Int32Array.from([0, 1, 2, 0]), [false, true, false, true]);
       kept.add(x, Int32Array.from([1, 1, 1, 1]), [true, false, false, false]);
       const [train, held] = kept.take();
       expect(Array.from(train.features.dataSync()))
           .toEqual([1, 1, 3, 3, 2, 2, 3, 3, 4, 4]);
       expect(Array.from(train.labels)).toEqual([0, 2, 1, 1, 1]);
       expect(Array.from(held.features.dataSync())).toEqual([2, 2, 4, 4, 1, 1]);
       expect(Array.from(held.labels)).toEqual([1, 0, 1]);
       tf.dispose([x, train.features, held.features]);
     }));
});
