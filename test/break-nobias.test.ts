/**
 * The softmax readout of topLayer 'softmax' fits a bias; an output layer
 * with useBias: false cannot hold it.
 */
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

import '../src/register';

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
    it(`topLayer ${topLayer}: the fitted model is as good as with a bias`,
       async () => {
         const {x, y, labels} = clusters(300, 3, 11);
         const accs: number[] = [];
         const losses: number[] = [];
         for (const useBias of [true, false]) {
           const model = tfl.sequential({layers: [
             tfl.layers.dense({inputShape: [d], units: 12,
                               activation: 'relu'}),
             tfl.layers.dense({units: 3, activation: 'softmax', useBias}),
           ]});
           const report = await fitByPCA(model, x, y, {topLayer});
           const acc = accuracy(model, x, labels);
           // The report's own training accuracy is of the model as set.
           expect(report.train.accuracy).toBeCloseTo(acc, 1);
           accs.push(acc);
           losses.push(report.train.loss);
           model.dispose();
         }
         console.log(topLayer, accs, losses);
         expect(accs[1]).toBeGreaterThan(accs[0] - 0.05);
         expect(losses[1]).toBeLessThan(losses[0] * 1.2);
         tf.dispose([x, y]);
       });
  }
});
