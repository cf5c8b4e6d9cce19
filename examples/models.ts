/**
 * The Fashion-MNIST models of the demo and the benchmarks (the MLP
 * 784-units-10 and the small CNN), with seeded initial weights so that every
 * method starts from the same model, their compilation for `model.fit`, and
 * test accuracy. Shared by examples/demo.ts, bench/fit-mlp.ts and
 * bench/fit-cnn.ts so that all train the same models the same way.
 *
 * @packageDocumentation
 */

import * as tf from '@tensorflow/tfjs';

import {IMAGE_SIZE, NUM_CLASSES, NUM_PIXELS} from './fashion-mnist';

/** Batch size of model.fit: the same as fitByPCA's `fitBatchSize`. */
export const BATCH_SIZE = 128;

/** Adam's learning rate in the demo and the benchmarks. */
export const LEARNING_RATE = 1e-3;

/**
 * Rows per `model.predict` call when measuring test accuracy. Its default
 * batch of 32 is very slow on `wasm`, where every batch has a fixed cost.
 */
export const EVALUATION_BATCH = 4096;

/** The CNN's shape, as reports and tables give it. */
export const CNN_ARCHITECTURE =
    'conv 5x5x32 - max-pool 2 - conv 5x5x64 - max-pool 2 - dense 10';

/** The CNN's kernel size (both convolutions). */
export const CNN_KERNEL = 5;

/**
 * A fresh CNN: conv 5×5×32 (ReLU) → max-pool 2 → conv 5×5×64 (ReLU) →
 * max-pool 2 → flatten → dense 10 (softmax), 'valid' padding, so 28×28 →
 * 24×24 → 12×12 → 8×8 → 4×4×64 = 1024 features. With `batchNormalization`
 * a BatchNormalization layer follows each convolution (after its ReLU).
 * Each kernel is Glorot-uniform with seed `seed + i` (i counts the layers
 * with a kernel), biases zero.
 */
export function buildCnn(seed: number, batchNormalization = false):
    tf.Sequential {
  const norm = () => batchNormalization ? [tf.layers.batchNormalization()] :
                                          [];
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1], filters: 32,
        kernelSize: CNN_KERNEL, activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed}),
      }),
      ...norm(),
      tf.layers.maxPooling2d({poolSize: 2}),
      tf.layers.conv2d({
        filters: 64, kernelSize: CNN_KERNEL, activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({seed: seed + 1}),
      }),
      ...norm(),
      tf.layers.maxPooling2d({poolSize: 2}),
      tf.layers.flatten(),
      tf.layers.dense({
        units: NUM_CLASSES, activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({seed: seed + 2}),
      }),
    ],
  });
}

/**
 * A fresh MLP 784-units-10 (ReLU, softmax). Layer i's kernel is
 * Glorot-uniform with seed `seed + i`, its bias zero, so every call with
 * the same seed gives the same initial weights.
 */
export function buildMlp(units: number[], seed: number): tf.Sequential {
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
    model: tf.LayersModel, x: tf.Tensor, labels: Int32Array): number {
  const n = x.shape[0];
  let correct = 0;
  for (let start = 0; start < n; start += EVALUATION_BATCH) {
    const size = Math.min(EVALUATION_BATCH, n - start);
    const predicted = tf.tidy(() => tf.argMax(model.predict(
        tf.slice(x, start, size), {batchSize: size}) as tf.Tensor,
        -1).dataSync());
    for (let i = 0; i < size; i++) {
      correct += predicted[i] === labels[start + i] ? 1 : 0;
    }
  }
  return correct / n;
}
