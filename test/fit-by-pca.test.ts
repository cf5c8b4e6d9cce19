import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

import '../src/register';

import {loadCommittedSplit} from '../examples/fashion-mnist';
import {NotImplementedError, ValueError} from '../src/errors';
import {FitByPcaCallback} from '../src/fit/callback';
import {FINE_TUNE_RIDGE, fitByPCA} from '../src/fit/fit-by-pca';
import {cosineRate} from '../src/fit/schedule';
import {kernelFromPca} from '../src/layers/kernel';
import {SeededRandom} from '../src/linalg/random';
import {classPcaSync} from '../src/pca/class-pca';

import {expectError, maxAbsDiff, withoutLeaks} from './helpers';

const d = 12;
const C = 3;

/** Three Gaussian classes with well-separated means in 12 dimensions. */
function clusters(n: number, seed: number, noise = 0.7):
    {x: tf.Tensor2D, y: tf.Tensor1D, labels: number[]} {
  const rng = new SeededRandom(seed);
  const rows = new Float32Array(n * d);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % C;
    labels.push(c);
    for (let j = 0; j < d; j++) {
      rows[i * d + j] = (j % C === c ? 2 : 0) + noise * rng.normal();
    }
  }
  return {
    x: tf.tensor2d(rows, [n, d]),
    // float32 class indices: what tfjs's sparse losses take in model.fit.
    y: tf.tensor1d(labels, 'float32'),
    labels,
  };
}

function mlp(hidden: number[], compile = false): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      ...hidden.map((units, i) => tfl.layers.dense({
        ...(i === 0 ? {inputShape: [d]} : {}), units, activation: 'relu',
      })),
      tfl.layers.dense({units: C, activation: 'softmax'}),
    ],
  });
  if (compile) {
    model.compile({
      optimizer: tfl.train.adam(1e-2),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
  }
  return model;
}

/** The kernel fitByPCA's defaults (± pairs) give a layer of `units`. */
function pcaKernel(x: tf.Tensor2D, labels: number[], units: number) {
  return kernelFromPca(
      classPcaSync(
          x, labels, {totalComponents: units / 2, distinct: true}),
      [x.shape[1], units], {pairs: true});
}

function weightsOf(model: tfl.LayersModel): Float32Array[] {
  return model.layers.flatMap(
      l => l.getWeights().map(w => w.dataSync() as Float32Array));
}

describe('fitByPCA', () => {
  it('sets each hidden layer from the class PCA of its input', async () => {
    const {x, y, labels} = clusters(600, 1);
    const model = mlp([6, 6]);
    await withoutLeaks(() => fitByPCA(model, x, y));

    // Layer 1: the class PCA of x itself.
    const first = pcaKernel(x, labels, 6);
    const [k1, b1] = model.layers[0].getWeights();
    expect(maxAbsDiff(k1.dataSync(), first.kernel)).toBeLessThan(1e-4);
    expect(maxAbsDiff(b1.dataSync(), first.bias)).toBeLessThan(1e-4);

    // Layer 2: the class PCA of layer 1's ReLU output.
    const h = model.layers[0].apply(x) as tf.Tensor2D;
    const second = pcaKernel(h, labels, 6);
    expect(maxAbsDiff(model.layers[1].getWeights()[0].dataSync(),
                      second.kernel))
        .toBeLessThan(1e-3);
    tf.dispose([x, y, h]);
  });

  it('passes distinct to the class PCA of each layer', async () => {
    const {x, y, labels} = clusters(600, 1);
    const model = mlp([12]);
    await withoutLeaks(
        () => fitByPCA(model, x, y, {distinct: true, pairs: false}));
    const expected = kernelFromPca(
        classPcaSync(x, labels, {totalComponents: 12, distinct: true}),
        [d, 12], {pairs: false});
    const [kernel] = model.layers[0].getWeights();
    expect(maxAbsDiff(kernel.dataSync(), expected.kernel)).toBeLessThan(1e-4);
    // Twelve components in 12 features, taken in turns: a full basis, so
    // the kernel's columns are orthogonal (a plain class PCA repeats the
    // shared directions).
    const gram = tf.tidy(() => {
      const unit = tf.div(kernel, tf.norm(kernel, 2, 0, true));
      return tf.matMul(unit, unit, true, false).arraySync() as number[][];
    });
    gram.forEach((row, i) => row.forEach(
        (v, j) => expect(Math.abs(v)).toBeCloseTo(i === j ? 1 : 0, 3)));
    tf.dispose([x, y]);
  });

  it('classifies well-separated classes (held-out accuracy > 95%)',
     async () => {
       const train = clusters(900, 2);
       const test = clusters(300, 3);
       const model = mlp([12]);
       const report = await fitByPCA(
           model, train.x, train.y, {validationData: [test.x, test.y]});
       expect(report.validation?.accuracy).toBeGreaterThan(0.95);
       expect(report.layers.map(l => l.role)).toEqual(['pca', 'output']);
       // 6 components, ± pairs: 4 units per class.
       expect(report.layers[0].unitsPerClass).toEqual([4, 4, 4]);
       expect(report.layers[1].temperature).toBeGreaterThan(0);
       expect(report.toString()).toMatch(/validation: accuracy \d+\.\d\d%/);
       tf.dispose([train.x, train.y, test.x, test.y]);
     });

  it('reaches 72% on held-out Fashion-MNIST from 2,000 images, no backprop',
     async () => {
       const {train, test} = loadCommittedSplit();
       const n = 2000;
       const x = tf.tensor2d(train.images.subarray(0, n * 784), [n, 784]);
       const y = tf.tensor1d(train.labels.subarray(0, n), 'int32');
       const xt = tf.tensor2d(test.images, [test.count, 784]);
       const yt = tf.tensor1d(test.labels, 'int32');
       const model = tfl.sequential({layers: [
         tfl.layers.dense({inputShape: [784], units: 60, activation: 'relu'}),
         tfl.layers.dense({units: 60, activation: 'relu'}),
         tfl.layers.dense({units: 10, activation: 'softmax'}),
       ]});
       const report = await withoutLeaks(
           () => model.fitByPCA(x, y, {validationData: [xt, yt]}));
       // Measured 74.1% (cpu).
       expect(report.validation?.accuracy).toBeGreaterThan(0.72);
       // The default softmax readout against the ridge solution it starts
       // from: measured held-out loss 0.759 against 0.852.
       const ridge = await model.fitByPCA(
           x, y, {topLayer: 'ridge', validationData: [xt, yt]});
       expect(report.validation?.loss as number)
           .toBeLessThan(0.95 * (ridge.validation?.loss as number));
       tf.dispose([x, y, xt, yt]);
     }, 600000);

  it('keeps the ridge solution for a linear output under topLayer auto',
     async () => {
       const {x, y} = clusters(300, 21);
       const linear = tfl.sequential({layers: [
         tfl.layers.dense({inputShape: [d], units: 6, activation: 'relu'}),
         tfl.layers.dense({units: 3}),
       ]});
       const report = await fitByPCA(linear, x, y);
       expect(report.layers[1].lambda).toBeGreaterThan(0);
       expect(report.layers[1].temperature).toBeNull();
       tf.dispose([x, y]);
     });

  it('uses a fixed ridge λ when given, with smaller output weights',
     async () => {
       const {x, y} = clusters(600, 12, 3);
       const auto = mlp([6]);
       const fixed = mlp([6]);
       const a = await fitByPCA(auto, x, y, {topLayer: 'ridge'});
       const b = await fitByPCA(fixed, x, y, {topLayer: 'ridge', ridge: 10});
       expect(b.layers[1].lambda).toBe(10);
       expect(a.layers[1].lambda).toBeLessThan(10);
       // The ridge solution's norm falls as λ grows; the layer holds it
       // times the fitted softmax temperature.
       const norm = (m: tfl.Sequential, temperature: number|null) =>
           tf.tidy(() => tf.norm(m.layers[1].getWeights()[0]).dataSync()[0]) /
           (temperature as number);
       expect(norm(fixed, b.layers[1].temperature))
           .toBeLessThan(norm(auto, a.layers[1].temperature));
       tf.dispose([x, y]);
     });

  it('trains the top layer alone and fine-tunes when asked', async () => {
    // Overlapping classes, so that gradients do not vanish.
    const train = clusters(600, 4, 3);
    const model = mlp([6], true);
    const hiddenBefore = () => model.layers[0].getWeights()[0].dataSync();
    const report = await fitByPCA(
        model, train.x, train.y, {topLayer: 'train', topEpochs: 2});
    const afterTop = Float32Array.from(hiddenBefore());
    expect(report.train.accuracy).toBeGreaterThan(0.6);
    const tuned = await fitByPCA(model, train.x, train.y, {fineTuneEpochs: 1});
    expect(tuned.layers[1].lambda).toBe(FINE_TUNE_RIDGE);
    // Fine-tuning moves the hidden layer; top-layer training does not.
    const pca = pcaKernel(train.x, train.labels, 6);
    expect(maxAbsDiff(afterTop, pca.kernel)).toBeLessThan(1e-4);
    expect(maxAbsDiff(hiddenBefore(), pca.kernel)).toBeGreaterThan(1e-4);
    tf.dispose([train.x, train.y]);
  });

  it('fine-tunes along a cosine learning-rate schedule, then restores it',
     async () => {
       expect(cosineRate(3, 0, 10)).toBe(3);
       expect(cosineRate(3, 5, 10)).toBeCloseTo(1.5, 12);
       expect(cosineRate(3, 10, 10)).toBeCloseTo(0, 12);
       // A warm-up of 4 steps ramps the rate by (step + 1) / 4.
       expect(cosineRate(3, 0, 10, 4)).toBeCloseTo(
           0.25 * 1.5 * (1 + Math.cos(0)), 12);
       expect(cosineRate(3, 2, 10, 4)).toBeCloseTo(
           0.75 * 1.5 * (1 + Math.cos(Math.PI * 0.2)), 12);
       expect(cosineRate(3, 4, 10, 4)).toBeCloseTo(cosineRate(3, 4, 10), 12);
       const train = clusters(300, 31, 1.2);
       const model = mlp([6]);
       const sgd = tfl.train.sgd(0.01);
       model.compile({optimizer: sgd, loss: 'sparseCategoricalCrossentropy'});
       // Its rate is protected in the typings, public at run time.
       const optimizer = sgd as unknown as {learningRate: number};
       // Records every rate the schedule sets.
       const seen: number[] = [];
       let rate = optimizer.learningRate;
       Object.defineProperty(optimizer, 'learningRate', {
         get: () => rate,
         set: (v: number) => {
           seen.push(v);
           rate = v;
         },
       });
       await fitByPCA(model, train.x, train.y,
                      {fineTuneEpochs: 2, fitBatchSize: 100, fineTunePeak: 2});
       // 2 epochs of 3 batches, then the original rate put back.
       const steps = 6;
       expect(seen.length).toBe(steps + 1);
       seen.slice(0, steps).forEach(
           (v, i) => expect(v).toBeCloseTo(cosineRate(0.02, i, steps), 12));
       expect(optimizer.learningRate).toBe(0.01);
       seen.length = 0;
       await fitByPCA(model, train.x, train.y,
                      {fineTuneEpochs: 1, fineTuneSchedule: 'constant'});
       expect(seen).toEqual([]);
       tf.dispose([train.x, train.y]);
     });

  it.each([
    ['categoricalCrossentropy', 'class indices'],
    ['sparseCategoricalCrossentropy', 'one-hot rows'],
  ])('fine-tunes with validation labels in any form (%s loss, %s)',
     async (loss, form) => {
       const train = clusters(300, 41, 1.2);
       const held = clusters(90, 42, 1.2);
       const model = mlp([6]);
       model.compile({optimizer: tfl.train.adam(1e-2), loss});
       const validationY = form === 'one-hot rows' ?
           tf.oneHot(tf.tensor1d(held.labels, 'int32'), C) as tf.Tensor2D :
           tf.tensor1d(held.labels, 'int32');
       const options = {fineTuneEpochs: 1,
                        validationData: [held.x, validationY] as
                            [tf.Tensor, tf.Tensor]};
       // The first call makes Adam's moment tensors, which stay with the
       // optimizer; the second must leave nothing behind.
       await fitByPCA(model, train.x, train.y, options);
       const seen: number[] = [];
       await withoutLeaks(async () => {
         const report = await fitByPCA(model, train.x, train.y, options);
         // The report's validation accuracy is that of the held-out rows.
         const predicted = tf.tidy(() => tf.argMax(
             model.predict(held.x) as tf.Tensor2D, 1).dataSync());
         const right = held.labels.filter((c, i) => predicted[i] === c);
         expect(report.validation?.accuracy)
             .toBeCloseTo(right.length / held.labels.length, 6);
         expect(report.validation?.accuracy).toBeGreaterThan(0.9);
         seen.push(report.layers.length);
       });
       expect(seen).toEqual([2]);
       tf.dispose([train.x, train.y, held.x, held.y, validationY]);
     });

  it('refuses bad validation labels before any weight changes', async () => {
    const train = clusters(60, 43);
    const model = mlp([6], true);
    const before = model.getWeights().map(w => w.dataSync().slice());
    const xv = tf.zeros([5, d]);
    await expectError(
        () => fitByPCA(model, train.x, train.y, {
          fineTuneEpochs: 1,
          validationData: [xv, [0, 1, 2]],
          onLayerEnd: () => {
            throw new Error('a layer was computed');
          },
        }),
        ValueError, /validationData\[1\].*3 entries.*5 rows/);
    model.getWeights().forEach(
        (w, i) => expect(maxAbsDiff(w.dataSync(), before[i])).toBe(0));
    tf.dispose([train.x, train.y, xv]);
  });

  it('takes a tf.data.Dataset of {xs, ys}', async () => {
    const {x, y, labels} = clusters(600, 5);
    const model = mlp([6]);
    const ds = tfl.data.zip({
                 xs: tfl.data.array(x.arraySync() as number[][]),
                 ys: tfl.data.array(labels),
               }).batch(100);
    const report = await withoutLeaks(() => fitByPCA(model, ds as never));
    const direct = pcaKernel(x, labels, 6);
    expect(maxAbsDiff(model.layers[0].getWeights()[0].dataSync(),
                      direct.kernel))
        .toBeLessThan(1e-3);
    expect(report.layers).toHaveLength(2);
    tf.dispose([x, y]);
  });

  it('as a callback gives the weights of the function form', async () => {
    const {x, y} = clusters(300, 6);
    const direct = mlp([6]);
    // Training follows in the callback, so its output λ is the fine-tuning
    // one; the function form with that λ must give the same weights.
    await fitByPCA(direct, x, y, {seed: 7, ridge: FINE_TUNE_RIDGE});
    const viaFit = mlp([6]);
    // A zero learning rate: training leaves the computed weights as set.
    viaFit.compile(
        {optimizer: tfl.train.sgd(0), loss: 'sparseCategoricalCrossentropy'});
    const callback = new FitByPcaCallback({x, y, seed: 7, freezeEpochs: 1});
    await viaFit.fit(x, y, {epochs: 2, verbose: 0, callbacks: [callback]});
    const a = weightsOf(direct);
    const b = weightsOf(viaFit);
    a.forEach((w, i) => expect(maxAbsDiff(w, b[i])).toBeLessThan(1e-6));
    expect(callback.report?.layers).toHaveLength(2);
    tf.dispose([x, y]);
  });

  it('freezes the PCA layers for freezeEpochs, then releases them',
     async () => {
       const {x, y} = clusters(300, 8, 3);
       const model = mlp([6], true);
       const callback = new FitByPcaCallback({x, y, freezeEpochs: 1});
       let kernelAfterFirst: Float32Array|null = null;
       let kernelComputed: Float32Array|null = null;
       await model.fit(x, y, {
         epochs: 2,
         verbose: 0,
         callbacks: [callback, new tfl.CustomCallback({
           onEpochBegin: async (epoch: number) => {
             if (epoch === 0) {
               kernelComputed = Float32Array.from(
                   model.layers[0].getWeights()[0].dataSync());
             }
           },
           onEpochEnd: async (epoch: number) => {
             if (epoch === 0) {
               kernelAfterFirst = Float32Array.from(
                   model.layers[0].getWeights()[0].dataSync());
             }
           },
         })],
       });
       expect(model.layers.every(l => l.trainable)).toBe(true);
       expect(maxAbsDiff(kernelAfterFirst as unknown as Float32Array,
                         kernelComputed as unknown as Float32Array))
           .toBe(0);
       expect(maxAbsDiff(model.layers[0].getWeights()[0].dataSync(),
                         kernelComputed as unknown as Float32Array))
           .toBeGreaterThan(0);
       tf.dispose([x, y]);
     });

  describe('errors leave the model as it was', () => {
    it('refuses an unsupported layer before changing anything', async () => {
      const {x, y} = clusters(90, 9);
      const model = tfl.sequential({layers: [
        tfl.layers.dense({inputShape: [d], units: 6, activation: 'relu'}),
        tfl.layers.reshape({targetShape: [6, 1]}),
        tfl.layers.simpleRNN({units: 2}),
        tfl.layers.dense({units: C, activation: 'softmax'}),
      ]});
      const before = weightsOf(model).map(w => w.slice());
      await expectError(
          () => fitByPCA(model, x, y), NotImplementedError,
          /layer 'simple_rnn.*' \(SimpleRNN\) is not supported yet/);
      weightsOf(model).forEach((w, i) => expect(w).toEqual(before[i]));
      tf.dispose([x, y]);
    });

    it('restores weights and flags when a later layer fails', async () => {
      const {x, y} = clusters(300, 10);
      const model = mlp([6, 6]);
      model.layers[1].trainable = false;
      const before = weightsOf(model).map(w => w.slice());
      let calls = 0;
      await expectError(
          () => fitByPCA(model, x, y, {
            onLayerEnd: () => {
              if (++calls === 2) {
                throw new ValueError('stop here');
              }
            },
          }),
          ValueError, /stop here/);
      expect(calls).toBe(2);
      weightsOf(model).forEach((w, i) => expect(w).toEqual(before[i]));
      expect(model.layers.map(l => l.trainable)).toEqual([true, false, true]);
      tf.dispose([x, y]);
    });

    it('rejects bad models, data and options', async () => {
      const {x, y} = clusters(90, 11);
      const wrongOutput = tfl.sequential({layers: [
        tfl.layers.dense({inputShape: [d], units: 4, activation: 'softmax'}),
      ]});
      await expectError(
          () => fitByPCA(wrongOutput, x, y), ValueError,
          /has 4 units but the labels have 3 classes/);
      const model = mlp([6]);
      await expectError(
          () => fitByPCA(model, x, y, {topLayer: 'train'}), ValueError,
          /call model.compile\(\) first/);
      await expectError(
          () => fitByPCA(model, x, y, {fineTuneEpochs: 1}), ValueError,
          /fineTuneEpochs.*compile/);
      const linearOutput = tfl.sequential({layers: [
        tfl.layers.dense({inputShape: [d], units: 6, activation: 'relu'}),
        tfl.layers.dense({units: 3}),
      ]});
      await expectError(
          () => fitByPCA(linearOutput, x, y, {topLayer: 'softmax'}),
          ValueError, /'softmax' fits a softmax output layer.*"linear"/);
      await expectError(
          () => fitByPCA(model, x, y, {topLayer: 'lbfgs' as never}),
          ValueError, /`topLayer` must be 'auto', 'ridge', 'softmax' or/);
      await expectError(
          () => fitByPCA(model, x, y, {topIterations: 1.5}), ValueError,
          /`topIterations` must be a non-negative integer, received 1.5/);
      await expectError(
          () => fitByPCA(model, x, y, {fineTuneSchedule: 'step' as never}),
          ValueError, /`fineTuneSchedule` must be 'cosine' or 'constant'/);
      await expectError(
          () => fitByPCA(model, x, y, {fineTunePeak: 0}), ValueError,
          /`fineTunePeak` must be a positive number, received 0/);
      for (const fineTuneWarmup of [1, -0.1, NaN]) {
        await expectError(
            () => fitByPCA(model, x, y, {fineTuneWarmup}), ValueError,
            /`fineTuneWarmup` must be a number in \[0, 1\)/);
      }
      for (const key of ['pairs', 'centered', 'distinct']) {
        await expectError(
            () => fitByPCA(model, x, y, {[key]: 'yes'}), ValueError,
            new RegExp(`\`${key}\` must be a boolean, received "yes"`));
      }
      await expectError(
          () => fitByPCA(model, x, y,
                         {distinct: true, allocation: 'eigenvalue'}),
          ValueError, /`distinct` cannot be combined with `allocation/);
      await expectError(
          () => fitByPCA(model, x, y, {ridge: -1}), ValueError,
          /`ridge` must be a non-negative number or 'auto', received -1/);
      await expectError(
          () => fitByPCA(model, x, y, {epochs: 3} as never), ValueError,
          /unknown option "epochs"/);
      const odd = mlp([5]);
      await expectError(
          () => fitByPCA(odd, x, y, {pairs: true}), ValueError,
          /has 5 units; with pairs on.*even number/);
      const narrow = mlp([4]);
      await expectError(
          () => fitByPCA(narrow, x, y), ValueError,
          /has 4 units, 2 components with ± pairs, for 3 classes.*at least 6/);
      await expectError(
          () => fitByPCA(model, x), ValueError, /`y`.*missing/);
      const short = y.slice(0, 10);
      await expectError(
          () => fitByPCA(model, x, short), ValueError,
          /10 entries.*90 rows/);
      const bad = tf.tensor2d(new Float32Array(90 * d).fill(NaN), [90, d]);
      await expectError(
          () => fitByPCA(model, bad, y), ValueError, /NaN or Inf/);
      await expectError(
          () => new FitByPcaCallback({x, y, fineTuneEpochs: 1} as never),
          ValueError, /does not apply/);
      tf.dispose([x, y, bad, short]);
    });
  });
});
