/**
 * Two monitors on one fit (as bench/monitor-span-refresh.ts runs five),
 * when training throws: each must free its tensors and restore flags.
 */
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

import {SeededRandom} from '../src/linalg/random';
import {TimeScaleMonitor} from '../src/monitor/time-scale-monitor';

function clusters(n: number, d: number, classes: number, seed: number) {
  const rng = new SeededRandom(seed);
  const rows = new Float32Array(n * d);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels.push(c);
    for (let j = 0; j < d; j++) {
      rows[i * d + j] = (j % classes === c ? 1.5 : 0) + rng.normal();
    }
  }
  return {x: tf.tensor2d(rows, [n, d]), y: tf.tensor1d(labels, 'float32')};
}

it('two monitors, a callback throws: no leaks, flags restored', async () => {
  const model = tfl.sequential({layers: [
    tfl.layers.dense({inputShape: [8], units: 12, activation: 'relu'}),
    tfl.layers.dense({units: 12, activation: 'relu'}),
    tfl.layers.dense({units: 3, activation: 'softmax'}),
  ]});
  model.compile({optimizer: tf.train.sgd(0.1),
                 loss: 'sparseCategoricalCrossentropy'});
  const {x, y} = clusters(120, 8, 3, 5);
  let steps = 0;
  const thrower = new tfl.CustomCallback({onBatchEnd: async () => {
    if (++steps === 6) {
      throw new Error('boom');
    }
  }});
  // Control: the leak tfjs itself has when a callback throws.
  await model.fit(x, y, {epochs: 1, batchSize: 30, verbose: 0});
  let before = tf.memory().numTensors;
  await expect(model.fit(x, y, {epochs: 3, batchSize: 16, verbose: 0,
                                callbacks: [thrower]}))
      .rejects.toThrow('boom');
  const tfjsLeak = tf.memory().numTensors - before;

  const args = {every: 1, probe: {x, y}, freeze: true, settleThreshold: 1,
                settlePatience: 1};
  const a = new TimeScaleMonitor(args);
  const b = new TimeScaleMonitor({every: 1});
  steps = 0;
  before = tf.memory().numTensors;
  await expect(model.fit(x, y, {epochs: 3, batchSize: 16, verbose: 0,
                                callbacks: [a, b, thrower]}))
      .rejects.toThrow('boom');
  expect(a.freezeReport()!.layers.length).toBeGreaterThan(0);
  expect(model.layers.map(l => l.trainable)).toEqual([true, true, true]);
  expect(tf.memory().numTensors - before).toBe(tfjsLeak);
  tf.dispose([x, y]);
  model.dispose();
});
