/**
 * The MLP of the demo and the benchmarks (784-units-10, ReLU, softmax),
 * its compilation for `model.fit`, and test accuracy. Shared by
 * examples/demo.ts and bench/fit-mlp.ts so that both train the same model
 * the same way.
 *
 * @packageDocumentation
 */

import * as tf from '@tensorflow/tfjs';

import {NUM_CLASSES, NUM_PIXELS} from './fashion-mnist';

/** Batch size of model.fit: the same as fitByPCA's `fitBatchSize`. */
export const BATCH_SIZE = 128;

/** Adam's learning rate in the demo and the benchmarks. */
export const LEARNING_RATE = 1e-3;

/**
 * Rows per `model.predict` call when measuring test accuracy. Its default
 * batch of 32 is very slow on `wasm`, where every batch has a fixed cost.
 */
export const EVALUATION_BATCH = 4096;

/**
 * A fresh MLP 784-units-10 (ReLU, softmax). Layer i's kernel is
 * Glorot-uniform with seed `seed + i`, its bias zero, so every call with
 * the same seed gives the same initial weights.
 *
 * @example
 * ```ts
 * const model = buildModel([256, 256], 0);
 * ```
 */
export function buildModel(units: number[], seed: number): tf.Sequential {
  const widths = [...units, NUM_CLASSES];
  return tf.sequential({
    layers: widths.map((n, i) => tf.layers.dense({
      ...(i === 0 ? {inputShape: [NUM_PIXELS]} : {}),
      units: n,
      activation: i === widths.length - 1 ? 'softmax' : 'relu',
      kernelInitializer: tf.initializers.glorotUniform({seed: seed + i}),
    })),
  });
}

/** Adam with `learningRate`, sparse categorical cross-entropy. */
export function compile(model: tf.LayersModel, learningRate: number): void {
  model.compile({
    optimizer: tf.train.adam(learningRate),
    loss: 'sparseCategoricalCrossentropy',
  });
}

/** Disposes the model and its optimizer. */
export function disposeModel(model: tf.LayersModel): void {
  const optimizer = model.optimizer;
  model.dispose();
  optimizer?.dispose();
}

/** The fraction of rows of `x` whose largest output is their class. */
export function testAccuracy(
    model: tf.LayersModel, x: tf.Tensor2D, labels: Int32Array): number {
  const n = x.shape[0];
  let correct = 0;
  for (let start = 0; start < n; start += EVALUATION_BATCH) {
    const size = Math.min(EVALUATION_BATCH, n - start);
    const predicted = tf.tidy(() => tf.argMax(model.predict(
        tf.slice(x, start, size), {batchSize: size}) as tf.Tensor2D,
        1).dataSync());
    for (let i = 0; i < size; i++) {
      correct += predicted[i] === labels[start + i] ? 1 : 0;
    }
  }
  return correct / n;
}
