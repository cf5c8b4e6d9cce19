/**
 * Second round of attempts: merge with itself, absent classes, zero
 * kernels, bad monitor arguments.
 */
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

import '../src/register';

import {ValueError} from '../src/errors';
import {fitByPCA} from '../src/fit/fit-by-pca';
import {SeededRandom} from '../src/linalg/random';
import {TimeScaleMonitor} from '../src/monitor/time-scale-monitor';
import {ClassStatistics} from '../src/stats/class-statistics';
import {gaussianRows, maxAbsDiff, referenceMoments} from './helpers';

const d = 12;

function clusters(n: number, classes: number, seed: number) {
  const rng = new SeededRandom(seed);
  const rows = new Float32Array(n * d);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels.push(c);
    for (let j = 0; j < d; j++) {
      rows[i * d + j] = (j % classes === c ? 2 : 0) + 0.7 * rng.normal();
    }
  }
  return {x: tf.tensor2d(rows, [n, d]), y: tf.tensor1d(labels, 'float32')};
}

describe('round 2', () => {
  it('merge with itself doubles the counts, keeps mean and covariance',
     () => {
       const n = 30;
       const dim = 113;
       const v = gaussianRows(n, dim, 9);
       const x = tf.tensor2d(v, [n, dim]);
       const ref = referenceMoments(v, n, dim);
       const s = new ClassStatistics(dim);
       s.updateRows(0, x, Int32Array.from({length: n}, (_, i) => i));
       const before = tf.memory().numTensors;
       s.merge(s);
       expect(tf.memory().numTensors).toBe(before);
       expect(s.count(0)).toBe(2 * n);
       const cov = s.covariance(0);
       expect(maxAbsDiff(cov.dataSync(), ref.covariance)).toBeLessThan(1e-4);
       cov.dispose();
       x.dispose();
       s.dispose();
     });

  it('topLayer softmax with a class absent from the labels', async () => {
    const {x} = clusters(60, 2, 3);
    const y = tf.tensor1d(Array.from({length: 60}, (_, i) => i % 2),
                          'float32');
    const model = tfl.sequential({layers: [
      tfl.layers.dense({inputShape: [d], units: 12, activation: 'relu'}),
      tfl.layers.dense({units: 3, activation: 'softmax'}),
    ]});
    const w0 = model.getWeights().map(w => Array.from(w.dataSync()));
    const before = tf.memory().numTensors;
    let error: unknown = null;
    try {
      await fitByPCA(model, x, y, {topLayer: 'softmax'});
    } catch (e) {
      error = e;
    }
    expect(tf.memory().numTensors).toBe(before);
    const w1 = model.getWeights().map(w => Array.from(w.dataSync()));
    if (error !== null) {
      expect(error).toBeInstanceOf(ValueError);
      expect(w1).toEqual(w0);
    } else {
      expect(w1.every(w => w.every(Number.isFinite))).toBe(true);
    }
    tf.dispose([x, y]);
    model.dispose();
  });

  it('monitor on zero-initialised kernels: no throw, no NaN', async () => {
    const model = tfl.sequential({layers: [
      tfl.layers.dense({inputShape: [d], units: 6, activation: 'relu',
                        kernelInitializer: 'zeros'}),
      tfl.layers.dense({units: 3, activation: 'softmax',
                        kernelInitializer: 'zeros'}),
    ]});
    model.compile({optimizer: tf.train.sgd(0.1),
                   loss: 'sparseCategoricalCrossentropy'});
    const {x, y} = clusters(60, 3, 4);
    const monitor = new TimeScaleMonitor(
        {every: 1, probe: {x, y}, freeze: true, settlePatience: 1});
    await model.fit(x, y, {epochs: 2, batchSize: 20, verbose: 0,
                           callbacks: [monitor]});
    expect(typeof monitor.summary()).toBe('string');
    expect(JSON.parse(JSON.stringify(monitor.toJSON().records)))
        .toEqual(monitor.history);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('no record at all during a fit: summary, toJSON, chartsHtml',
     async () => {
       const model = tfl.sequential({layers: [
         tfl.layers.dense({inputShape: [d], units: 6, activation: 'relu'}),
         tfl.layers.dense({units: 3, activation: 'softmax'}),
       ]});
       model.compile({optimizer: tf.train.sgd(0.1),
                      loss: 'sparseCategoricalCrossentropy'});
       const {x, y} = clusters(60, 3, 4);
       const monitor = new TimeScaleMonitor(
           {every: 1000000, earlyRecords: false, freeze: true});
       const h = await model.fit(x, y, {epochs: 2, batchSize: 20, verbose: 0,
                                        callbacks: [monitor]});
       expect(monitor.history).toEqual([]);
       expect(monitor.summary()).toMatch(/after 0 steps/);
       expect(monitor.chartsHtml()).toMatch(/<svg|<html/i);
       expect(monitor.timeScales().length).toBe(2);
       expect(h.history.loss.length).toBe(2);
       tf.dispose([x, y]);
       model.dispose();
     });

  it('bad monitor arguments throw typed errors naming them', () => {
    const x = tf.ones([4, 3]);
    const disposed = tf.ones([4, 3]);
    disposed.dispose();
    const bad: Array<[unknown, RegExp]> = [
      [null, /args/], [5, /args/], [[], /args/], [{evrey: 1}, /evrey/],
      [{every: 0}, /every/], [{every: 1.5}, /every/],
      [{every: '20'}, /every/], [{components: -1}, /components/],
      [{probeBatchSize: NaN}, /probeBatchSize/],
      [{settlePatience: Infinity}, /settlePatience/],
      [{spanRefreshEvery: 0}, /spanRefreshEvery/],
      [{spanRefreshMovement: NaN}, /spanRefreshMovement/],
      [{spanRefreshMovement: -1}, /spanRefreshMovement/],
      [{settleThreshold: 0}, /settleThreshold/],
      [{settleThreshold: 1.01}, /settleThreshold/],
      [{settleThreshold: NaN}, /settleThreshold/],
      [{freeze: 1}, /freeze/], [{logs: 'no'}, /logs/],
      [{earlyRecords: null as never}, /never/],
      [{layers: []}, /layers/], [{layers: 'dense'}, /layers/],
      [{layers: [1]}, /layers/], [{outDir: ''}, /outDir/],
      [{outDir: 3}, /outDir/], [{probe: x}, /probe/],
      [{probe: {x: [[1]], y: [0]}}, /probe/],
      [{probe: {x: tf.ones([3]), y: [0, 0, 0]}}, /probe/],
      [{probe: {x: disposed, y: [0, 0, 0, 0]}}, /probe/],
      [{probe: {x, y: null}}, /probe/],
    ];
    const failures: string[] = [];
    for (const [args, message] of bad) {
      try {
        new TimeScaleMonitor(args as never);
        if (!(args as {earlyRecords?: unknown})?.hasOwnProperty?.(
                'earlyRecords')) {
          failures.push(`no error for ${JSON.stringify(args)}`);
        }
      } catch (e) {
        if (!(e instanceof ValueError) || !message.test((e as Error).message)) {
          failures.push(`${JSON.stringify(args)}: ${(e as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
    x.dispose();
  });
});
