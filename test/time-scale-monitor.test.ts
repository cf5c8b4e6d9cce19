import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import {EigenvalueDecomposition, Matrix, QrDecomposition} from 'ml-matrix';

import {NotImplementedError, ValueError} from '../src/errors';
import {SeededRandom} from '../src/linalg/random';
import {TimeScaleMonitorArgs} from '../src/monitor/args';
import {OUTPUT_FILES} from '../src/monitor/files';
import {logKey} from '../src/monitor/records';
import {TimeScaleMonitor} from '../src/monitor/time-scale-monitor';
import {halfDisplacementStep, settledStep} from '../src/monitor/time-scales';

import {expectError, withoutLeaks} from './helpers';

/** A plain stack of Dense layers; ReLU between, softmax on top. */
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

/** Gaussian classes around distinct means: rows, float32 labels, labels. */
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
  return {
    x: tf.tensor2d(rows, [n, d]),
    y: tf.tensor1d(labels, 'float32'),
    rows,
    labels,
  };
}

function kernelOf(model: tfl.LayersModel, i: number): Float32Array {
  return model.layers[i].getWeights()[0].dataSync() as Float32Array;
}

/** Sets layer i's kernel to `values` (row-major [in, out]), bias kept. */
function setKernel(model: tfl.LayersModel, i: number, values: Float64Array) {
  const [kernel, bias] = model.layers[i].getWeights();
  const next = tf.tensor(Float32Array.from(values), kernel.shape);
  model.layers[i].setWeights([next, bias]);
  next.dispose();
}

/**
 * Drives a monitor by hand on a model that is not training: train begin,
 * then `steps` batch ends, calling `move(step)` before each.
 */
async function drive(
    monitor: TimeScaleMonitor, model: tfl.LayersModel, steps: number,
    move: (step: number) => void): Promise<void> {
  monitor.setModel(model);
  await monitor.onTrainBegin();
  for (let step = 1; step <= steps; step++) {
    move(step);
    await monitor.onBatchBegin(step - 1);
    await monitor.onBatchEnd(step - 1, {});
  }
  await monitor.onTrainEnd();
}

describe('TimeScaleMonitor: alignment', () => {
  const d = 8;
  const perClass = 40;

  /**
   * Two classes in separate planes of R⁸: class 0 in span(e0, e1), class 1
   * in span(e2, e3). With 2 components per class the class-PCA span is
   * exactly span(e0, …, e3).
   */
  function planes() {
    const rng = new SeededRandom(3);
    const rows = new Float32Array(2 * perClass * d);
    const labels: number[] = [];
    for (let i = 0; i < 2 * perClass; i++) {
      const c = i % 2;
      labels.push(c);
      rows[i * d + 2 * c] = 1 + rng.normal();
      rows[i * d + 2 * c + 1] = rng.normal();
    }
    return {x: tf.tensor2d(rows, [2 * perClass, d]), labels};
  }

  /** A d×3 update whose rows outside `inside` (or inside) are zero. */
  function update(rowsUsed: number[], seed: number): Float64Array {
    const rng = new SeededRandom(seed);
    const out = new Float64Array(d * 3);
    for (const r of rowsUsed) {
      for (let j = 0; j < 3; j++) {
        out[r * 3 + j] = rng.normal();
      }
    }
    return out;
  }

  function sumSquares(a: Float64Array): number {
    return a.reduce((s, v) => s + v * v, 0);
  }

  it('scores 1 inside the class-PCA span, 0 orthogonal to it, and the ' +
         'share in between',
     async () => {
       const {x, labels} = planes();
       const model = mlp([d, 3, 2]);
       const k0 = Float64Array.from(kernelOf(model, 0));
       const inside = update([0, 1, 2, 3], 5);
       const outside = update([4, 5, 6, 7], 6);
       const mixed = inside.map((v, i) => 0.5 * v + 2 * outside[i]);
       // Records at steps 1, 2 and 5.
       const moves = [inside, outside, mixed, mixed, mixed];
       const monitor = new TimeScaleMonitor(
           {probe: {x, y: labels}, components: 2, layers:
                [model.layers[0].name], every: 100});
       await withoutLeaks(() => drive(monitor, model, 5, step => setKernel(
           model, 0, k0.map((v, i) => v + moves[step - 1][i]))));

       const [a, b, c] = monitor.history.map(r => r.layers[0]);
       expect(a.spanDim).toBe(4);
       expect(a.alignment).toBeGreaterThan(1 - 1e-5);
       expect(b.alignment).toBeLessThan(1e-5);
       const share = 0.25 * sumSquares(inside) /
           (0.25 * sumSquares(inside) + 4 * sumSquares(outside));
       expect(Math.abs((c.alignment as number) - share)).toBeLessThan(1e-5);
       x.dispose();
     });

  /** Layer 1's ReLU output on rows [n, 6], in float64. */
  function hiddenOf(rows: Float32Array, n: number, k1: Float64Array,
                    b1: ArrayLike<number>): Float64Array {
    const hidden = new Float64Array(n * 5);
    for (let r = 0; r < n; r++) {
      for (let u = 0; u < 5; u++) {
        let s = b1[u];
        for (let j = 0; j < 6; j++) {
          s += rows[r * 6 + j] * k1[j * 5 + u];
        }
        hidden[r * 5 + u] = Math.max(0, s);
      }
    }
    return hidden;
  }

  for (const refresh of [false, true]) {
    it(`spans the class PCA of each layer's own input, ${refresh ?
           'recomputed once the layer below moved' :
           'as training began'} (float64 reference)`,
       async () => {
         const n = 240;
         const data = clusters(n, 6, 2, 11);
         const model = mlp([6, 5, 2], 4);
         // Layer 1 moves by about 10% of its size; a threshold of 0.05
         // recomputes layer 2's span before the record.
         const monitor = new TimeScaleMonitor({
           probe: {x: data.x, y: data.labels}, components: 2, every: 100,
           spanRefreshMovement: refresh ? 0.05 : Infinity,
         });
         const kernels =
             [0, 1].map(i => Float64Array.from(kernelOf(model, i)));
         const rng = new SeededRandom(21);
         const deltas = kernels.map(k => k.map(() => rng.normal()));
         const moved =
             kernels.map((k, i) => k.map((v, j) => v + 0.1 * deltas[i][j]));
         await withoutLeaks(() => drive(monitor, model, 1, () => {
           moved.forEach((k, i) => setKernel(model, i, k));
         }));

         const b1 = model.layers[0].getWeights()[1].dataSync();
         const hidden =
             hiddenOf(data.rows, n, refresh ? moved[0] : kernels[0], b1);
         const inputs = [Float64Array.from(data.rows), hidden];
         [6, 5].forEach((dim, i) => {
           const q = referenceSpan(inputs[i], data.labels, dim, 2);
           const delta = new Matrix(dim, i === 0 ? 5 : 2);
           deltas[i].forEach((v, j) => delta.set(
               Math.floor(j / delta.columns), j % delta.columns, v));
           const inSpan = q.transpose().mmul(delta).pow(2).sum();
           const expected = inSpan / delta.clone().pow(2).sum();
           const measured = monitor.history[0].layers[i].alignment as number;
           expect(Math.abs(measured - expected)).toBeLessThan(2e-3);
           expect(monitor.history[0].layers[i].spanDim).toBe(4);
         });
         expect(monitor.toJSON().cost.refreshes).toBe(refresh ? 1 : 0);
         tf.dispose([data.x, data.y]);
       });
  }
});

/**
 * An orthonormal basis (columns) of the union of each class's top k
 * eigenvectors of its uncentered second moment, in float64.
 */
function referenceSpan(
    rows: Float64Array, labels: number[], dim: number, k: number): Matrix {
  const classes = Math.max(...labels) + 1;
  const columns: number[][] = [];
  for (let c = 0; c < classes; c++) {
    const m = new Matrix(dim, dim);
    labels.forEach((label, r) => {
      if (label !== c) {
        return;
      }
      for (let a = 0; a < dim; a++) {
        for (let b = 0; b < dim; b++) {
          m.set(a, b, m.get(a, b) + rows[r * dim + a] * rows[r * dim + b]);
        }
      }
    });
    const evd = new EigenvalueDecomposition(m, {assumeSymmetric: true});
    const order = evd.realEigenvalues.map((v, i) => [v, i])
                      .sort((p, q) => q[0] - p[0]);
    for (let i = 0; i < k; i++) {
      columns.push(evd.eigenvectorMatrix.getColumn(order[i][1]));
    }
  }
  const b = new Matrix(dim, columns.length);
  columns.forEach((col, j) => col.forEach((v, i) => b.set(i, j, v)));
  const q = new QrDecomposition(b).orthogonalMatrix;
  return q.subMatrix(0, dim - 1, 0, Math.min(dim, columns.length) - 1);
}

describe('TimeScaleMonitor: rates and time scales', () => {
  it('gives a frozen layer rate 0 and displacement 0 during model.fit',
     async () => {
       const data = clusters(96, 6, 3, 2);
       const model = mlp([6, 5, 3]);
       model.layers[0].trainable = false;
       model.compile({optimizer: tfl.train.sgd(0.1),
                      loss: 'sparseCategoricalCrossentropy'});
       const monitor = new TimeScaleMonitor({every: 2});
       await model.fit(data.x, data.y, {epochs: 2, batchSize: 16, verbose: 0,
                                         callbacks: [monitor]});
       expect(monitor.history.length).toBeGreaterThan(4);
       for (const r of monitor.history) {
         expect(r.layers[0].rate).toBe(0);
         expect(r.layers[0].displacement).toBe(0);
         expect(r.layers[0].alignment).toBeNull();
         expect(r.layers[1].rate).toBeGreaterThan(0);
       }
       expect(monitor.monitoredLayers[0].trainable).toBe(false);
       tf.dispose([data.x, data.y]);
     });

  it('records at the 1-2-5 steps below `every`, then every `every`',
     async () => {
       const model = mlp([3, 2, 2]);
       const monitor = new TimeScaleMonitor({every: 40});
       await drive(monitor, model, 125, () => undefined);
       expect(monitor.history.map(r => r.step))
           .toEqual([1, 2, 5, 10, 20, 40, 80, 120]);
       expect(monitor.history.map(r => r.interval))
           .toEqual([1, 1, 3, 5, 10, 20, 40, 40]);
       const plain = new TimeScaleMonitor({every: 40, earlyRecords: false});
       await drive(plain, model, 125, () => undefined);
       expect(plain.history.map(r => r.step)).toEqual([40, 80, 120]);
     });

  it('orders layers that move on time scales 10, 40 and 160 steps',
     async () => {
       const model = mlp([4, 4, 4, 2], 7);
       const taus = [10, 40, 160];
       const rng = new SeededRandom(9);
       const k0 = taus.map((_, i) => Float64Array.from(kernelOf(model, i)));
       const dir = k0.map(k => k.map(() => rng.normal()));
       /** K_i(t) = K_i(0) + (1 − e^(−t/τ_i))·Δ_i. */
       const kernelAt = (i: number, t: number) => k0[i].map(
           (v, j) => v + (1 - Math.exp(-t / taus[i])) * dir[i][j]);
       const every = 10;
       const steps = 800;
       const monitor = new TimeScaleMonitor(
           {every, settleThreshold: 0.1, settlePatience: 3});
       await withoutLeaks(() => drive(
           monitor, model, steps,
           t => taus.forEach((_, i) => setKernel(model, i, kernelAt(i, t)))));

       const scales = monitor.timeScales();
       // τ½ in float64 from the same records: the first crossing of half
       // the last displacement, interpolated linearly.
       taus.forEach((_, i) => {
         const norm = (a: Float64Array) =>
             Math.sqrt(a.reduce((s, v) => s + v * v, 0));
         const disp = (t: number) => norm(kernelAt(i, t).map(
                                          (v, j) => v - k0[i][j])) /
             norm(k0[i]);
         const stepsRecorded = monitor.history.map(r => r.step);
         const half = disp(stepsRecorded[stepsRecorded.length - 1]) / 2;
         let before = 0;
         let expected = NaN;
         for (const t of stepsRecorded) {
           if (disp(t) >= half) {
             const lo = before === 0 ? 0 : disp(before);
             expected = before + (half - lo) / (disp(t) - lo) * (t - before);
             break;
           }
           before = t;
         }
         expect(scales[i].halfDisplacementStep).toBeCloseTo(expected, 1);
         // The settling rule on float64 rates of the regular records.
         const regular = monitor.history.filter(r => r.interval === every)
                             .map(r => r.step);
         const rate = (t: number) => {
           const before = kernelAt(i, t - every);
           const now = kernelAt(i, t);
           return norm(now.map((v, j) => v - before[j])) /
               (norm(now) * every);
         };
         const peak = Math.max(...regular.map(rate));
         let first = regular.length;
         while (first > 0 && rate(regular[first - 1]) <= 0.1 * peak) {
           first--;
         }
         expect(scales[i].settledStep).toBe(regular[first]);
       });
       expect(scales.map(s => s.settleOrder)).toEqual([1, 2, 3]);
       const [t1, t2, t3] = scales.map(s => s.halfDisplacementStep as number);
       expect(t1).toBeLessThan(t2);
       expect(t2).toBeLessThan(t3);
       // τ½ ≈ τ·ln 2 when training has run long past τ: ratios near 4.
       expect(scales[1].ratioToBelow).toBeGreaterThan(3);
       expect(scales[2].ratioToBelow).toBeGreaterThan(3);
       expect(monitor.summary()).toMatch(
           /settle order: dense_Dense\d+ \(step \d+\) < dense_Dense\d+ /);
     });

  it('estimates τ½ and the settled step on known points', () => {
    expect(halfDisplacementStep([{step: 10, value: 1}, {step: 20, value: 2},
                                 {step: 30, value: 4}]))
        .toBe(20);
    expect(halfDisplacementStep([{step: 10, value: 1}, {step: 20, value: 3}]))
        .toBe(12.5);
    expect(halfDisplacementStep([{step: 10, value: 0}])).toBeNull();
    const rule = {every: 10, threshold: 0.5, patience: 2};
    const points = [4, 10, 3, 8, 4, 5, 4].map(
        (rate, i) => ({step: 10 * (i + 1), interval: i === 0 ? 5 : 10,
                       rate}));
    // Peak 10 (the first point has a short interval and does not count):
    // the final run at or below 5 starts at step 50.
    expect(settledStep(points, rule)).toBe(50);
    expect(settledStep(points.slice(0, 6), {...rule, patience: 3}))
        .toBeNull();
  });
});

describe('TimeScaleMonitor: output', () => {
  it('keeps a history that survives JSON unchanged, with stable keys',
     async () => {
       const data = clusters(64, 6, 2, 5);
       const model = mlp([6, 4, 2]);
       model.compile({optimizer: tfl.train.sgd(0.1),
                      loss: 'sparseCategoricalCrossentropy'});
       const monitor = new TimeScaleMonitor(
           {every: 2, probe: {x: data.x, y: data.labels}, components: 2});
       const fitted = await model.fit(
           data.x, data.y,
           {epochs: 2, batchSize: 16, verbose: 0, callbacks: [monitor]});

       const copy = JSON.parse(JSON.stringify(monitor.history));
       expect(copy).toEqual(monitor.history);
       for (const r of monitor.history) {
         expect(Object.keys(r).sort()).toEqual(
             ['batch', 'epoch', 'interval', 'layers', 'seconds', 'step']);
         for (const l of r.layers) {
           expect(Object.keys(l).sort()).toEqual([
             'alignment', 'displacement', 'frozen', 'name', 'rate', 'spanDim',
           ]);
         }
       }
       const json = monitor.toJSON();
       expect(JSON.parse(JSON.stringify(json))).toEqual(json);
       expect(Object.keys(json).sort()).toEqual([
         'cost', 'format', 'freeze', 'layers', 'records', 'settings',
         'timeScales', 'version',
       ]);

       // The log keys reach model.fit's history, one value per epoch.
       const names = model.layers.map(l => l.name);
       for (const name of names) {
         for (const what of ['rate', 'displacement', 'alignment'] as const) {
           const values = fitted.history[logKey(name, what)] as number[];
           expect(values).toHaveLength(2);
           values.forEach(v => expect(Number.isFinite(v)).toBe(true));
         }
       }
       const last = monitor.history[monitor.history.length - 1].layers[0];
       expect(fitted.history[logKey(names[0], 'rate')][1]).toBe(last.rate);
       tf.dispose([data.x, data.y]);
     });

  it('holds the same tensors across epochs and none after training',
     async () => {
       const data = clusters(64, 6, 2, 6);
       const model = mlp([6, 4, 2]);
       model.compile({optimizer: tfl.train.sgd(0.1),
                      loss: 'sparseCategoricalCrossentropy'});
       const monitor = new TimeScaleMonitor(
           {every: 3, spanRefreshEvery: 2,
            probe: {x: data.x, y: data.labels}, components: 2});
       const perEpoch: number[] = [];
       const before = tf.memory().numTensors;
       await model.fit(data.x, data.y, {
         epochs: 4, batchSize: 8, verbose: 0, callbacks: [
           monitor, new tfl.CustomCallback({
             onEpochEnd: async () => {
               perEpoch.push(tf.memory().numTensors);
             },
           }),
         ]});
       expect(new Set(perEpoch).size).toBe(1);
       expect(monitor.toJSON().cost.refreshes).toBeGreaterThan(2);
       expect(tf.memory().numTensors).toBe(before);
       tf.dispose([data.x, data.y]);
     });

  it('prints a summary and writes JSON and HTML charts to outDir',
     async () => {
       const data = clusters(64, 6, 2, 7);
       const model = mlp([6, 4, 2]);
       model.compile({optimizer: tfl.train.sgd(0.1),
                      loss: 'sparseCategoricalCrossentropy'});
       const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-pca-ts-'));
       const monitor = new TimeScaleMonitor({
         every: 2, probe: {x: data.x, y: data.labels}, components: 2,
         outDir: dir,
       });
       await model.fit(data.x, data.y, {epochs: 1, batchSize: 8, verbose: 0,
                                         callbacks: [monitor]});
       const summary = monitor.summary();
       expect(summary).toMatch(/^time scales after 8 steps \(5 records\)/);
       model.layers.forEach(l => expect(summary).toContain(l.name));
       const saved = JSON.parse(
           fs.readFileSync(path.join(dir, OUTPUT_FILES.json), 'utf8'));
       expect(saved.records).toEqual(monitor.history);
       const html = fs.readFileSync(path.join(dir, OUTPUT_FILES.html),
                                    'utf8');
       expect(html).toMatch(/^<!DOCTYPE html>/);
       // Rate, displacement and alignment, one line per layer each, and a
       // dashed random level per layer.
       expect(html.match(/<svg /g)).toHaveLength(3);
       expect(html.match(/<polyline /g)).toHaveLength(3 * 2 + 2);
       expect(html).not.toMatch(/<script|NaN|undefined/);
       fs.rmSync(dir, {recursive: true});
       tf.dispose([data.x, data.y]);
     });
});

describe('TimeScaleMonitor: freeze', () => {
  /**
   * A monitor that freezes at the first record: every rate is at most the
   * peak, and one record is patience enough.
   */
  const freezeAtOnce: TimeScaleMonitorArgs = {
    freeze: true, every: 2, earlyRecords: false, settleThreshold: 1,
    settlePatience: 1,
  };

  for (const optimizer of ['sgd', 'adam'] as const) {
    it(`stops a frozen layer while the rest trains on (${optimizer})`,
       async () => {
         const data = clusters(96, 6, 3, 8);
         const model = mlp([6, 5, 5, 3]);
         model.compile({
           optimizer: optimizer === 'sgd' ? tfl.train.sgd(0.1) :
                                            tfl.train.adam(0.01),
           loss: 'sparseCategoricalCrossentropy',
         });
         const monitor = new TimeScaleMonitor(freezeAtOnce);
         const atFreeze: Float32Array[] = [];
         const fitted = await model.fit(data.x, data.y, {
           epochs: 2, batchSize: 16, verbose: 0, callbacks: [
             monitor, new tfl.CustomCallback({
               onBatchEnd: async (batch: number) => {
                 if (batch === 1) {
                   [0, 1, 2].forEach(i => atFreeze.push(
                       Float32Array.from(kernelOf(model, i))));
                   expect(model.layers.map(l => l.trainable))
                       .toEqual([false, false, true]);
                 }
               },
             }),
           ]});

         // Layers 1 and 2 froze after step 2, bottom-up; the top layer is
         // never frozen (nothing would be left to train).
         expect(monitor.freezeReport()?.layers).toEqual([
           {name: model.layers[0].name, step: 2},
           {name: model.layers[1].name, step: 2},
         ]);
         expect(kernelOf(model, 0)).toEqual(atFreeze[0]);
         expect(kernelOf(model, 1)).toEqual(atFreeze[1]);
         expect(kernelOf(model, 2)).not.toEqual(atFreeze[2]);
         const later = monitor.history.filter(r => r.step > 2);
         expect(later.length).toBeGreaterThan(3);
         later.forEach(r => {
           expect(r.layers[0]).toMatchObject({rate: 0, frozen: true});
           expect(r.layers[2].rate).toBeGreaterThan(0);
         });
         (fitted.history.loss as number[]).forEach(
             v => expect(Number.isFinite(v)).toBe(true));
         expect(model.layers.map(l => l.trainable)).toEqual([true, true, true]);
         expect(monitor.summary())
             .toMatch(/frozen: dense_Dense\d+ after step 2/);
         tf.dispose([data.x, data.y]);
       });
  }

  it('restores trainable flags when training stops early', async () => {
    const data = clusters(96, 6, 3, 9);
    /** Tensors a fit stopped at step 4 leaves, with `monitor`. */
    const leftBehind = async (monitor: TimeScaleMonitor|null) => {
      const model = mlp([6, 5, 3]);
      model.compile({optimizer: tfl.train.adam(0.01),
                     loss: 'sparseCategoricalCrossentropy'});
      let frozenWhileTraining = false;
      const stop = new tfl.CustomCallback({
        onBatchEnd: async (batch: number) => {
          if (batch === 3) {
            frozenWhileTraining = !model.layers[0].trainable;
            model.stopTraining = true;
          }
        },
      });
      const before = tf.memory().numTensors;
      await model.fit(data.x, data.y, {
        epochs: 3, batchSize: 16, verbose: 0,
        callbacks: monitor === null ? [stop] : [monitor, stop],
      });
      expect(frozenWhileTraining).toBe(monitor !== null);
      expect(model.layers.map(l => l.trainable)).toEqual([true, true]);
      return tf.memory().numTensors - before;
    };
    const monitor = new TimeScaleMonitor(freezeAtOnce);
    const withMonitor = await leftBehind(monitor);
    expect(monitor.history[monitor.history.length - 1].step).toBe(4);
    // Adam's moments, created on the first step, are the only new tensors.
    expect(withMonitor).toBe(await leftBehind(null));
    tf.dispose([data.x, data.y]);
  });

  it('restores flags and frees its tensors when another callback throws',
     async () => {
       const data = clusters(96, 6, 3, 10);
       const failing = () => new tfl.CustomCallback({
         onBatchEnd: async (batch: number) => {
           if (batch === 3) {
             throw new Error('callback failed');
           }
         },
       });
       /** Tensors left behind by a fit that throws, with `monitor`. */
       const leftBehind = async (monitor: TimeScaleMonitor|null) => {
         const model = mlp([6, 5, 3]);
         model.compile({optimizer: tfl.train.sgd(0.1),
                        loss: 'sparseCategoricalCrossentropy'});
         const before = tf.memory().numTensors;
         const callbacks = monitor === null ? [failing()] :
                                              [monitor, failing()];
         await expect(model.fit(data.x, data.y, {
           epochs: 2, batchSize: 16, verbose: 0, callbacks,
         })).rejects.toThrow('callback failed');
         expect(model.layers.map(l => l.trainable)).toEqual([true, true]);
         return tf.memory().numTensors - before;
       };
       const monitor = new TimeScaleMonitor(
           {...freezeAtOnce, probe: {x: data.x, y: data.labels},
            components: 2});
       const withMonitor = await leftBehind(monitor);
       // tfjs itself leaves the failed batch's logs behind; the monitor
       // adds nothing to that.
       expect(withMonitor).toBe(await leftBehind(null));
       expect(monitor.freezeReport()?.layers).toHaveLength(1);
       tf.dispose([data.x, data.y]);
     });
});

describe('TimeScaleMonitor: bad arguments', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['every 0', {every: 0}, /`every` must be a positive integer, received 0/],
    ['every 1.5', {every: 1.5}, /`every` must be a positive integer/],
    ['components "3"', {components: '3'},
     /`components` must be a positive integer, received "3"/],
    ['spanRefreshEvery -1', {spanRefreshEvery: -1},
     /`spanRefreshEvery` must be a positive integer, received -1/],
    ['spanRefreshMovement 0', {spanRefreshMovement: 0},
     /`spanRefreshMovement` must be a positive number \(Infinity: .*0/],
    ['probeBatchSize 0', {probeBatchSize: 0},
     /`probeBatchSize` must be a positive integer/],
    ['settlePatience 0', {settlePatience: 0},
     /`settlePatience` must be a positive integer/],
    ['settleThreshold 0', {settleThreshold: 0},
     /`settleThreshold` must be a number in \(0, 1\], received 0/],
    ['settleThreshold 1.5', {settleThreshold: 1.5},
     /`settleThreshold` must be a number in \(0, 1\]/],
    ['settleThreshold NaN', {settleThreshold: NaN},
     /`settleThreshold` must be a number in \(0, 1\], received NaN/],
    ['earlyRecords 1', {earlyRecords: 1},
     /`earlyRecords` must be a boolean, received 1/],
    ['freeze "yes"', {freeze: 'yes'}, /`freeze` must be a boolean/],
    ['logs null-ish', {logs: 0}, /`logs` must be a boolean/],
    ['layers []', {layers: []}, /`layers` must be a non-empty array/],
    ['layers "dense"', {layers: 'dense'},
     /`layers` must be a non-empty array of layer names, received "dense"/],
    ['outDir ""', {outDir: ''}, /`outDir` must be a non-empty folder path/],
    ['probe without y', {probe: {x: null}}, /`probe` must be \{x, y\}/],
    ['probe.x an array', {probe: {x: [[1]], y: [0]}},
     /`probe` must be \{x, y\}/],
    ['unknown argument', {evry: 3},
     /unknown argument "evry"; known arguments are every, /],
    ['args an array', [1], /`args` must be an object/],
  ];
  for (const [name, args, message] of cases) {
    it(`rejects ${name}`, () => expectError(
        () => new TimeScaleMonitor(args as TimeScaleMonitorArgs), ValueError,
        message));
  }

  it('rejects a probe.x of rank 1 and a disposed probe.x', async () => {
    const flat = tf.tensor1d([1, 2]);
    await expectError(
        () => new TimeScaleMonitor({probe: {x: flat, y: [0, 1]}}), ValueError,
        /`probe.x` must be a tensor of rank 2 or more .* shape \[2\]/);
    flat.dispose();
    await expectError(
        () => new TimeScaleMonitor({probe: {x: flat, y: [0, 1]}}), ValueError,
        /`probe.x` was disposed/);
  });

  let small: tfl.Sequential;
  beforeAll(() => {
    small = mlp([4, 3, 2]);
  });

  /** Train begin with these arguments, on `small` unless told. */
  async function beginWith(args: TimeScaleMonitorArgs,
                           model: tfl.LayersModel = small) {
    const monitor = new TimeScaleMonitor(args);
    monitor.setModel(model);
    await monitor.onTrainBegin();
  }

  it('rejects, when training begins, layers it cannot monitor', async () => {
    await expectError(() => beginWith({layers: ['nope']}), ValueError,
                      new RegExp('`layers` names "nope", which is not a ' +
                                 'layer of the model; layers with a ' +
                                 'kernel: dense_Dense\\d+, dense_Dense\\d+'));
    const withDropout = tfl.sequential({layers: [
      tfl.layers.dense({inputShape: [4], units: 3}),
      tfl.layers.dropout({rate: 0.5, name: 'drop'}),
      tfl.layers.dense({units: 2}),
    ]});
    await expectError(() => beginWith({layers: ['drop']}, withDropout),
                      ValueError, /"drop", which is a layer without a kernel/);
    const weightless = tfl.sequential(
        {layers: [tfl.layers.flatten({inputShape: [2, 2]})]});
    await expectError(() => beginWith({}, weightless), ValueError,
                      /the model has no layer with a kernel/);
  });

  it('rejects, when training begins, a probe that does not fit', async () => {
    const x = tf.zeros([6, 5]);
    await expectError(() => beginWith({probe: {x, y: [0, 1, 0, 1, 0, 1]}}),
                      ValueError,
                      new RegExp('`probe.x` must have rows of the ' +
                                 'model\'s input shape \\[4\\], received ' +
                                 'a tensor of shape \\[6, 5\\]'));
    x.dispose();
    const fits = tf.zeros([6, 4]);
    await expectError(() => beginWith({probe: {x: fits, y: [0, 1]}}),
                      ValueError,
                      /Monitor: `probe.y` has 2 entries but `x` has 6 rows/);
    await expectError(() => beginWith({probe: {x: fits,
                                               y: [0, 2, 0, 2, 0, 2]}}),
                      ValueError,
                      /`probe.y` has no rows of class 1; every class in/);
    fits.dispose();
  });

  it('refuses a probe set for a model with two inputs', async () => {
    const a = tfl.input({shape: [2]});
    const b = tfl.input({shape: [2]});
    const joined = tfl.layers.concatenate().apply([a, b]) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({units: 2}).apply(joined) as
        tfl.SymbolicTensor;
    const model = tfl.model({inputs: [a, b], outputs: out});
    const x = tf.zeros([4, 2]);
    await expectError(() => beginWith({probe: {x, y: [0, 1, 0, 1]}}, model),
                      NotImplementedError, /a model with 2 inputs/);
    x.dispose();
  });

  it('surfaces a train-begin error through model.fit', async () => {
    const data = clusters(32, 4, 2, 12);
    const model = mlp([4, 3, 2]);
    model.compile({optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy'});
    await expect(model.fit(data.x, data.y, {
      epochs: 1, verbose: 0,
      callbacks: [new TimeScaleMonitor({layers: ['nope']})],
    })).rejects.toThrow(ValueError);
    expect(model.layers.map(l => l.trainable)).toEqual([true, true]);
    tf.dispose([data.x, data.y]);
  });
});
