/**
 * The Fashion-MNIST models of the demo and the benchmarks, with seeded
 * initial weights so that every method starts from the same model.
 *
 * @packageDocumentation
 */

import * as tf from '@tensorflow/tfjs';

import {IMAGE_SIZE, NUM_CLASSES, NUM_PIXELS} from './fashion-mnist';

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
