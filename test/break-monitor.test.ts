/**
 * Attempts to break TimeScaleMonitor.
 */
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../src/errors';
import {SeededRandom} from '../src/linalg/random';
import {TimeScaleMonitor} from '../src/monitor/time-scale-monitor';

function mlp(widths: number[], seed = 1): tfl.Sequential {
  return tfl.sequential({
    layers: widths.slice(1).map((units, i) => tfl.layers.dense({
      ...(i === 0 ? {inputShape: [widths[0]]} : {}),
      units,
      activation: i === widths.length - 2 ? 'softmax' : 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({seed: seed + i}),
    })),
  });
}

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

describe('TimeScaleMonitor: breaking', () => {
  it('summary() and toJSON() before any training', () => {
    const m = new TimeScaleMonitor();
    expect(typeof m.summary()).toBe('string');
    expect(m.toJSON().records).toEqual([]);
  });

  it('history stays plain JSON when training diverges', async () => {
    const model = tfl.sequential({layers: [
      tfl.layers.dense({inputShape: [4], units: 4, activation: 'relu'}),
      tfl.layers.dense({units: 1}),
    ]});
    model.compile({optimizer: tf.train.sgd(1e12), loss: 'meanSquaredError'});
    const x = tf.randomNormal([32, 4], 0, 100, 'float32', 1) as tf.Tensor2D;
    const y = tf.randomNormal([32, 1], 0, 100, 'float32', 2);
    const monitor = new TimeScaleMonitor({every: 1});
    await model.fit(x, y, {epochs: 3, batchSize: 8, callbacks: [monitor],
                           verbose: 0});
    const history = monitor.history;
    // Documented: JSON.parse(JSON.stringify(history)) gives it back
    // unchanged. NaN (non-null) values turn into null in JSON.
    expect(JSON.parse(JSON.stringify(history))).toEqual(history);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('no tensor leaks across epochs: probe, freeze, validationSplit',
     async () => {
       const model = mlp([8, 12, 12, 3]);
       model.compile({optimizer: tf.train.sgd(0.1),
                      loss: 'sparseCategoricalCrossentropy'});
       const {x, y} = clusters(120, 8, 3, 4);
       await model.fit(x, y, {epochs: 1, batchSize: 30, verbose: 0});
       const before = tf.memory().numTensors;
       const monitor = new TimeScaleMonitor({
         every: 1, probe: {x, y}, freeze: true, settleThreshold: 1,
         settlePatience: 1,
       });
       await model.fit(x, y, {epochs: 3, batchSize: 16, verbose: 0,
                              validationSplit: 0.2, callbacks: [monitor]});
       expect(tf.memory().numTensors).toBe(before);
       expect(model.layers.map(l => l.trainable)).toEqual([true, true, true]);
       tf.dispose([x, y]);
       model.dispose();
     });

  it('another callback throwing mid-epoch: flags restored, no leaks',
     async () => {
       const model = mlp([8, 12, 12, 3]);
       model.layers[1].trainable = false;
       model.compile({optimizer: tf.train.adam(0.01),
                      loss: 'sparseCategoricalCrossentropy'});
       const {x, y} = clusters(120, 8, 3, 5);
       await model.fit(x, y, {epochs: 1, batchSize: 30, verbose: 0});
       const before = tf.memory().numTensors;
       const monitor = new TimeScaleMonitor({
         every: 1, probe: {x, y}, freeze: true, settleThreshold: 1,
         settlePatience: 1,
       });
       let steps = 0;
       const thrower = new tfl.CustomCallback({onBatchEnd: async () => {
         if (++steps === 5) {
           throw new Error('boom');
         }
       }});
       await expect(model.fit(x, y, {
         epochs: 3, batchSize: 16, verbose: 0, callbacks: [monitor, thrower],
       })).rejects.toThrow('boom');
       expect(monitor.freezeReport()!.layers.length).toBeGreaterThan(0);
       expect(model.layers.map(l => l.trainable)).toEqual([true, false, true]);
       const leakedWith = tf.memory().numTensors - before;
       // Control: the same throw without the monitor.
       steps = 0;
       const before2 = tf.memory().numTensors;
       await expect(model.fit(x, y, {
         epochs: 3, batchSize: 16, verbose: 0, callbacks: [thrower],
       })).rejects.toThrow('boom');
       const leakedWithout = tf.memory().numTensors - before2;
       expect(leakedWith).toBe(leakedWithout);
       // The model trains afterwards.
       await model.fit(x, y, {epochs: 1, batchSize: 30, verbose: 0});
       tf.dispose([x, y]);
       model.dispose();
     });

  it('fitDataset, epochs 0, stopTraining mid-epoch', async () => {
    const model = mlp([8, 12, 3]);
    model.compile({optimizer: tf.train.sgd(0.1),
                   loss: 'sparseCategoricalCrossentropy'});
    const {x, y} = clusters(96, 8, 3, 6);
    await model.fit(x, y, {epochs: 1, batchSize: 32, verbose: 0});
    const monitor = new TimeScaleMonitor({every: 1, probe: {x, y}});
    await model.fit(x, y, {epochs: 0, callbacks: [monitor], verbose: 0});
    expect(monitor.history).toEqual([]);
    const ds = tfl.data.zip({xs: tfl.data.array(
        Array.from({length: 96}, (_, i) => x.slice([i, 0], [1, 8]).reshape([8]))),
                             ys: tfl.data.array(Array.from(y.dataSync()))})
        .batch(16);
    await model.fitDataset(ds as any, {epochs: 2, callbacks: [monitor],
                                       verbose: 0});
    expect(monitor.history.length).toBeGreaterThan(5);
    const stopper = new tfl.CustomCallback({onBatchEnd: async (b) => {
      if (b === 1) {
        model.stopTraining = true;
      }
    }});
    await model.fit(x, y, {epochs: 2, batchSize: 16, verbose: 0,
                           callbacks: [monitor, stopper]});
    expect(monitor.history[monitor.history.length - 1].step).toBe(2);
    expect(monitor.summary()).toMatch(/after 2 steps/);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('probe with wrong label count, NaN rows, 1-D labels of wrong length',
     async () => {
       const model = mlp([4, 5, 2]);
       model.compile({optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy'});
       const x = tf.ones([6, 4]);
       const y = tf.tensor1d([0, 1, 0, 1, 0, 1], 'float32');
       const xNaN = tf.tensor2d([[NaN, 1, 1, 1], [1, 1, 1, 1]]);
       const yShort = tf.tensor1d([0, 1, 0], 'float32');
       for (const probe of [{x: xNaN, y: [0, 1]}, {x, y: yShort}]) {
         const before = tf.memory().numTensors;
         const monitor = new TimeScaleMonitor({probe});
         await expect(model.fit(x, y, {epochs: 1, callbacks: [monitor],
                                       verbose: 0}))
             .rejects.toBeInstanceOf(ValueError);
         expect(tf.memory().numTensors).toBe(before);
       }
       tf.dispose([x, y, xNaN, yShort]);
       model.dispose();
     });

  it('conv model, nested model and a shared layer, with a probe',
     async () => {
       if (tf.getBackend() === 'wasm') {
         // tfjs-backend-wasm has no Conv2DBackpropFilter kernel: a tfjs
         // limit, not the monitor's. Runs on cpu only.
         return;
       }
       const inner = tfl.sequential({layers: [
         tfl.layers.dense({inputShape: [6], units: 6, activation: 'relu'}),
       ]});
       const input = tfl.input({shape: [4, 4, 1]});
       const conv = tfl.layers.conv2d({filters: 2, kernelSize: 3})
                        .apply(input) as tfl.SymbolicTensor;
       const flat = tfl.layers.flatten().apply(conv) as tfl.SymbolicTensor;
       const d1 = tfl.layers.dense({units: 6, activation: 'relu'})
                      .apply(flat) as tfl.SymbolicTensor;
       const shared = tfl.layers.dense({units: 6, activation: 'relu'});
       const s1 = shared.apply(d1) as tfl.SymbolicTensor;
       const s2 = shared.apply(s1) as tfl.SymbolicTensor;
       const n = inner.apply(s2) as tfl.SymbolicTensor;
       const out = tfl.layers.dense({units: 3, activation: 'softmax'})
                       .apply(n) as tfl.SymbolicTensor;
       const model = tfl.model({inputs: input, outputs: out});
       model.compile({optimizer: tf.train.sgd(0.05),
                      loss: 'sparseCategoricalCrossentropy'});
       const x = tf.randomNormal([60, 4, 4, 1], 0, 1, 'float32', 3);
       const y = tf.tensor1d(Array.from({length: 60}, (_, i) => i % 3),
                             'float32');
       await model.fit(x, y, {epochs: 1, batchSize: 30, verbose: 0});
       const before = tf.memory().numTensors;
       const monitor = new TimeScaleMonitor({every: 1, probe: {x, y},
                                             freeze: true,
                                             settleThreshold: 1,
                                             settlePatience: 1});
       await model.fit(x, y, {epochs: 2, batchSize: 20, verbose: 0,
                              callbacks: [monitor]});
       expect(tf.memory().numTensors).toBe(before);
       const aligned = monitor.monitoredLayers.map(l => l.aligned);
       expect(monitor.monitoredLayers.length).toBeGreaterThanOrEqual(4);
       expect(aligned).toContain(true);
       expect(model.layers.filter(l => l.weights.length > 0 && !l.trainable).map(l => l.name))
           .toEqual([]);
       expect(JSON.parse(JSON.stringify(monitor.history)))
           .toEqual(monitor.history);
       tf.dispose([x, y]);
       model.dispose();
     });
});
