/**
 * The readouts fit a bias; an output layer with useBias: false cannot hold
 * it, so fitByPCA refuses it up front (found by a breaking pass: dropping
 * the bias took a 70/20/10 problem from 82.7% to 54.3%).
 */
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

import '../src/register';

import {NotImplementedError} from '../src/errors';
import {fitByPCA} from '../src/fit/fit-by-pca';
import {SeededRandom} from '../src/linalg/random';

const d = 12;

function clusters(n: number, classes: number, seed: number) {
  const rng = new SeededRandom(seed);
  const rows = new Float32Array(n * d);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    // Unbalanced classes (70/20/10): the prior needs a bias.
    const u = (i * 7919) % 10;
    const c = u < 7 ? 0 : u < 9 ? 1 : 2;
    void classes;
    labels.push(c);
    for (let j = 0; j < d; j++) {
      rows[i * d + j] = 5 + (j % 3 === c ? 1 : 0) + 1.5 * rng.normal();
    }
  }
  return {x: tf.tensor2d(rows, [n, d]), y: tf.tensor1d(labels, 'float32'),
          labels};
}

function accuracy(model: tfl.LayersModel, x: tf.Tensor, labels: number[]) {
  const pred = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, 1));
  const p = pred.dataSync();
  pred.dispose();
  return labels.filter((c, i) => p[i] === c).length / labels.length;
}

describe('fitByPCA: output layer without a bias', () => {
  for (const topLayer of ['softmax', 'ridge'] as const) {
    it(`topLayer ${topLayer}: refused before any weight changes`,
       async () => {
         const {x, y, labels} = clusters(300, 3, 11);
         void labels;
         const model = tfl.sequential({layers: [
           tfl.layers.dense({inputShape: [d], units: 12, activation: 'relu'}),
           tfl.layers.dense({units: 3, activation: 'softmax', useBias: false}),
         ]});
         const before = model.getWeights().map(w => w.dataSync().slice());
         const tensors = tf.memory().numTensors;
         await expect(fitByPCA(model, x, y, {topLayer}))
             .rejects.toThrow(/has no bias \(useBias: false\)/);
         await expect(fitByPCA(model, x, y, {topLayer}))
             .rejects.toBeInstanceOf(NotImplementedError);
         expect(tf.memory().numTensors).toBe(tensors);
         model.getWeights().forEach(
             (w, i) => expect(w.dataSync()).toEqual(before[i]));
         void accuracy;
         model.dispose();
         tf.dispose([x, y]);
       });
  }
});
