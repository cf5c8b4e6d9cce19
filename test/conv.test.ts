/**
 * Convolutional layers: patch extraction, class-based PCA of patches,
 * fitByPCA on convolutional models, PcaInitializer as a Conv2D kernel
 * initializer.
 */
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

import {extractPatches} from '../src/conv/patches';
import {classPcaOfPatches, classPcaOfPatchesSync}
    from '../src/conv/patch-statistics';
import {NotImplementedError, ValueError} from '../src/errors';
import {fitByPCA} from '../src/fit/fit-by-pca';
import {kernelFromPca} from '../src/layers/kernel';
import {PcaInitializer} from '../src/layers/pca-initializer';
import {SeededRandom} from '../src/linalg/random';
import {ClassStatistics} from '../src/stats/class-statistics';

import {expectError, maxAbsDiff, withoutLeaks} from './helpers';

// ---------------------------------------------------------------------------
// A direct reference: patches by explicit loops over the image

interface Case {
  name: string;
  /** Image shape without the batch axis, in the case's data format. */
  image: number[];
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'valid'|'same';
  dilationRate: [number, number];
  dataFormat: 'channelsLast'|'channelsFirst';
}

/**
 * Zeros padded before an axis and patches along it, written out from
 * TensorFlow's definition of 'valid' and 'same'.
 */
function referenceAxis(
    size: number, k: number, s: number, d: number,
    padding: 'valid'|'same'): {out: number, before: number} {
  const span = (k - 1) * d + 1;
  if (padding === 'valid') {
    return {out: Math.floor((size - span) / s) + 1, before: 0};
  }
  const out = Math.ceil(size / s);
  return {out, before: Math.floor(Math.max(0, (out - 1) * s + span - size) /
                                  2)};
}

/** Every patch of every image, by a double loop over kernel taps. */
function referencePatches(values: Float32Array, n: number, c: Case):
    number[][] {
  const last = c.dataFormat === 'channelsLast';
  const [h, w, ch] = last ? c.image : [c.image[1], c.image[2], c.image[0]];
  const at = (b: number, y: number, x: number, q: number) => last ?
      values[((b * h + y) * w + x) * ch + q] :
      values[((b * ch + q) * h + y) * w + x];
  const rows = referenceAxis(
      h, c.kernelSize[0], c.strides[0], c.dilationRate[0], c.padding);
  const cols = referenceAxis(
      w, c.kernelSize[1], c.strides[1], c.dilationRate[1], c.padding);
  const out: number[][] = [];
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        const patch: number[] = [];
        for (let i = 0; i < c.kernelSize[0]; i++) {
          for (let j = 0; j < c.kernelSize[1]; j++) {
            const y = oy * c.strides[0] - rows.before + i * c.dilationRate[0];
            const x = ox * c.strides[1] - cols.before + j * c.dilationRate[1];
            for (let q = 0; q < ch; q++) {
              const inside = y >= 0 && y < h && x >= 0 && x < w;
              patch.push(inside ? at(b, y, x, q) : 0);
            }
          }
        }
        out.push(patch);
      }
    }
  }
  return out;
}

const CASES: Case[] = [
  {name: 'valid', image: [7, 6, 2], kernelSize: [3, 2], strides: [1, 1],
   padding: 'valid', dilationRate: [1, 1], dataFormat: 'channelsLast'},
  {name: 'valid, strides 2×3', image: [8, 9, 2], kernelSize: [3, 3],
   strides: [2, 3], padding: 'valid', dilationRate: [1, 1],
   dataFormat: 'channelsLast'},
  {name: 'same, strides 2 (odd and even padding)', image: [7, 6, 3],
   kernelSize: [3, 3], strides: [2, 2], padding: 'same',
   dilationRate: [1, 1], dataFormat: 'channelsLast'},
  {name: 'same, even kernel 4×2', image: [6, 5, 1], kernelSize: [4, 2],
   strides: [1, 1], padding: 'same', dilationRate: [1, 1],
   dataFormat: 'channelsLast'},
  {name: 'valid, dilation 2', image: [9, 8, 2], kernelSize: [3, 2],
   strides: [1, 1], padding: 'valid', dilationRate: [2, 3],
   dataFormat: 'channelsLast'},
  {name: 'same, dilation 2', image: [7, 7, 2], kernelSize: [3, 3],
   strides: [1, 1], padding: 'same', dilationRate: [2, 2],
   dataFormat: 'channelsLast'},
  {name: 'channelsFirst, valid', image: [3, 6, 5], kernelSize: [2, 3],
   strides: [1, 1], padding: 'valid', dilationRate: [1, 1],
   dataFormat: 'channelsFirst'},
  {name: 'channelsFirst, same, strides 2', image: [2, 7, 6],
   kernelSize: [3, 3], strides: [2, 2], padding: 'same',
   dilationRate: [1, 1], dataFormat: 'channelsFirst'},
  {name: 'channelsFirst, same, dilation 2', image: [2, 6, 7],
   kernelSize: [2, 3], strides: [1, 1], padding: 'same',
   dilationRate: [2, 2], dataFormat: 'channelsFirst'},
];

function randomImages(n: number, shape: number[], seed: number): tf.Tensor {
  const size = n * shape.reduce((a, b) => a * b, 1);
  return tf.tensor(new SeededRandom(seed).normals(size), [n, ...shape]);
}

describe('extractPatches', () => {
  for (const c of CASES) {
    it(`matches a direct double loop and the Conv2D layer: ${c.name}`, () =>
       withoutLeaks(() => {
         const n = 2;
         const x = randomImages(n, c.image, 1);
         const {name, image, ...geometry} = c;
         void name;
         void image;
         const patches = extractPatches(x, geometry);
         const reference = referencePatches(
             x.dataSync() as Float32Array, n, c);
         expect(patches.shape).toEqual([reference.length,
                                        reference[0].length]);
         expect(maxAbsDiff(patches.dataSync(), reference.flat())).toBe(0);

         // A patch row times the flattened kernel is the Conv2D layer's
         // output at that position: the layout is the kernel's.
         const filters = 3;
         const layer = tfl.layers.conv2d({
           ...geometry, filters, useBias: false,
           kernelInitializer: tfl.initializers.randomNormal({seed: 2}),
         });
         const [viaPatches, viaLayer] = tf.tidy(() => {
           const out = layer.apply(x) as tf.Tensor;
           const kernel = layer.getWeights()[0];
           const channelsLast = c.dataFormat === 'channelsLast' ?
               out : tf.transpose(out, [0, 2, 3, 1]);
           return [
             tf.matMul(patches,
                       tf.reshape(kernel, [-1, filters]) as tf.Tensor2D)
                 .dataSync(),
             tf.reshape(channelsLast, [-1, filters]).dataSync(),
           ];
         });
         expect(maxAbsDiff(viaPatches, viaLayer)).toBeLessThan(1e-4);
         tf.dispose([x, patches]);
         layer.dispose();
       }));
  }

  it('reads Conv1D input [N, length, channels] like the Conv1D layer',
     () => withoutLeaks(() => {
       for (const padding of ['valid', 'same'] as const) {
         for (const [strides, dilationRate] of [[1, 1], [2, 1], [1, 2]]) {
           const x = randomImages(2, [11, 3], 3);
           const patches = extractPatches(
               x, {kernelSize: 3, strides, padding, dilationRate});
           // The same as a Conv2D geometry of height 1.
           const asImage = tf.reshape(x, [2, 1, 11, 3]);
           const reference = extractPatches(asImage, {
             kernelSize: [1, 3], strides: [1, strides], padding,
             dilationRate: [1, dilationRate],
           });
           expect(maxAbsDiff(patches.dataSync(), reference.dataSync()))
               .toBe(0);
           const layer = tfl.layers.conv1d({
             kernelSize: 3, strides, padding, dilationRate, filters: 2,
             useBias: false,
             kernelInitializer: tfl.initializers.randomNormal({seed: 4}),
           });
           const out = layer.apply(x) as tf.Tensor;
           const viaPatches = tf.tidy(() => tf.matMul(
               patches,
               tf.reshape(layer.getWeights()[0], [-1, 2]) as tf.Tensor2D));
           expect(maxAbsDiff(viaPatches.dataSync(), out.dataSync()))
               .toBeLessThan(1e-4);
           tf.dispose([x, patches, asImage, reference, out, viaPatches]);
           layer.dispose();
         }
       }
     }));

  it('draws distinct positions per image, the same for a seed', () =>
     withoutLeaks(() => {
       const x = randomImages(3, [6, 6, 1], 5);
       const all = extractPatches(x, {kernelSize: 3});  // 16 per image
       const some = extractPatches(x, {kernelSize: 3, patchesPerImage: 5});
       const again = extractPatches(x, {kernelSize: 3, patchesPerImage: 5});
       expect(some.shape).toEqual([15, 9]);
       expect(maxAbsDiff(some.dataSync(), again.dataSync())).toBe(0);
       const rows = all.arraySync();
       const drawn = some.arraySync();
       for (let image = 0; image < 3; image++) {
         const own = rows.slice(16 * image, 16 * (image + 1))
                         .map(r => r.join());
         const picked = drawn.slice(5 * image, 5 * (image + 1))
                            .map(r => own.indexOf(r.join()));
         expect(picked.every(i => i >= 0)).toBe(true);
         expect(new Set(picked).size).toBe(5);
       }
       const capped = extractPatches(x, {kernelSize: 3, patchesPerImage: 99});
       expect(capped.shape).toEqual([48, 9]);
       tf.dispose([x, all, some, again, capped]);
     }));
});

// ---------------------------------------------------------------------------
// Images built from known class patterns

const PATTERN = [3, 3, 2];
const PATTERN_SIZE = 18;

/** A fixed pattern [3, 3, 2] per class, unit length, flattened. */
function patterns(classes: number): Float32Array[] {
  const rng = new SeededRandom(7);
  return Array.from({length: classes}, () => {
    const p = rng.normals(PATTERN_SIZE);
    const norm = Math.hypot(...p);
    return p.map(v => v / norm);
  });
}

/**
 * Images 9×9×2 made of 3×3 tiles; every tile of an image of class c is
 * a·P_c plus a little noise, a random amplitude. With kernel 3 and stride
 * 3 every patch is such a tile, so the top component of class c's patches
 * (uncentered) is P_c.
 */
function tiledImages(n: number, seed: number, classes = 3) {
  const ps = patterns(classes);
  const rng = new SeededRandom(seed);
  const values = new Float32Array(n * 81 * 2);
  const labels: number[] = [];
  for (let b = 0; b < n; b++) {
    const c = b % classes;
    labels.push(c);
    for (let ty = 0; ty < 3; ty++) {
      for (let tx = 0; tx < 3; tx++) {
        const a = (rng.uniform() < 0.5 ? -1 : 1) * (0.5 + rng.uniform());
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) {
            for (let q = 0; q < 2; q++) {
              const y = 3 * ty + i;
              const x = 3 * tx + j;
              values[((b * 9 + y) * 9 + x) * 2 + q] =
                  a * ps[c][(i * 3 + j) * 2 + q] + 0.01 * rng.normal();
            }
          }
        }
      }
    }
  }
  return {
    x: tf.tensor4d(values, [n, 9, 9, 2]),
    labels,
    y: tf.tensor1d(labels, 'float32'),
    patterns: ps,
  };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** Filter f of a kernel [kh, kw, inC, filters], flattened. */
function filterOf(kernel: ArrayLike<number>, filters: number, f: number):
    number[] {
  const out: number[] = [];
  for (let r = 0; r < kernel.length / filters; r++) {
    out.push(kernel[r * filters + f]);
  }
  return out;
}

describe('class-based PCA of patches', () => {
  it('finds each class pattern as its top filter (up to sign and scale)',
     () => withoutLeaks(async () => {
       const {x, y, labels, patterns: ps} = tiledImages(60, 1);
       const pca = await classPcaOfPatches(
           x, labels, {kernelSize: 3, strides: 3, components: 1});
       expect(pca.dim).toBe(PATTERN_SIZE);
       pca.classes.forEach((cls, c) => {
         expect(Math.abs(cosine(cls.components, ps[c]))).toBeGreaterThan(
             0.9999);
       });

       // The same images channels first give the same filters.
       const first = tf.transpose(x, [0, 3, 1, 2]);
       const pcaFirst = classPcaOfPatchesSync(first, labels, {
         kernelSize: 3, strides: 3, components: 1,
         dataFormat: 'channelsFirst',
       });
       pca.classes.forEach((cls, c) => expect(maxAbsDiff(
           cls.components, pcaFirst.classes[c].components)).toBeLessThan(
           1e-5));
       tf.dispose([x, y, first]);
     }));

  it('keeps to the patch budget and streams it in bounded batches', () =>
     withoutLeaks(async () => {
       const {x, y, labels} = tiledImages(60, 2);  // 20 images per class
       const spy = jest.spyOn(ClassStatistics.prototype, 'updateClass');
       try {
         // 9 positions per image; 4 drawn from each, at most 30 per class.
         const pca = await classPcaOfPatches(x, labels, {
           kernelSize: 3, strides: 3, components: 2, patchesPerImage: 4,
           patchesPerClass: 30, batchSize: 10,
         });
         expect(pca.classes.map(c => c.count)).toEqual([30, 30, 30]);
         const sizes = spy.mock.calls.map(([, rows]) => rows.shape[0]);
         expect(sizes.reduce((a, b) => a + b, 0)).toBe(90);
         // 10 patches a batch: ⌊10 / 4⌋ = 2 images of 4 patches.
         expect(Math.max(...sizes)).toBeLessThanOrEqual(10);

         // A budget larger than the data: every drawn patch, no more.
         spy.mockClear();
         const small = await classPcaOfPatches(x, labels, {
           kernelSize: 3, strides: 3, components: 2, patchesPerImage: 4,
           patchesPerClass: 1000,
         });
         expect(small.classes.map(c => c.count)).toEqual([80, 80, 80]);
       } finally {
         spy.mockRestore();
       }
       tf.dispose([x, y]);
     }));
});

// ---------------------------------------------------------------------------
// PcaInitializer as a Conv2D kernel initializer

describe('PcaInitializer for Conv2D', () => {
  it('fills the kernel with the class patterns and centres each channel',
     () => withoutLeaks(() => {
       const {x, labels, y, patterns: ps} = tiledImages(60, 3);
       const init = new PcaInitializer(
           {x, y, patch: {strides: 3, patchesPerImage: 9}});
       const layer = tfl.layers.conv2d({
         filters: 3, kernelSize: 3, strides: 3, kernelInitializer: init,
         biasInitializer: init.biasInitializer(),
       });
       const out = layer.apply(x) as tf.Tensor;
       const [kernel, bias] = layer.getWeights();
       expect(kernel.shape).toEqual([3, 3, 2, 3]);

       // The values of kernelFromPca on the class-based PCA of patches.
       const pca = classPcaOfPatchesSync(
           x, labels,
           {kernelSize: 3, strides: 3, patchesPerImage: 9, components: 1});
       const expected = kernelFromPca(pca, [3, 3, 2, 3]);
       expect(maxAbsDiff(kernel.dataSync(), expected.kernel))
           .toBeLessThan(1e-6);
       expect(maxAbsDiff(bias.dataSync(), expected.bias)).toBeLessThan(1e-6);
       const values = kernel.dataSync();
       ps.forEach((p, c) => expect(Math.abs(cosine(filterOf(values, 3, c), p)))
                                .toBeGreaterThan(0.9999));

       // All 9 positions of every image are sampled: each output channel
       // has mean 0 and variance 1 over the data.
       const {mean, variance} = tf.moments(out, [0, 1, 2]);
       expect(maxAbsDiff(mean.dataSync(), [0, 0, 0])).toBeLessThan(1e-4);
       expect(maxAbsDiff(variance.dataSync(), [1, 1, 1])).toBeLessThan(1e-3);
       tf.dispose([x, y, out, mean, variance]);
       layer.dispose();
     }));

  it('reads strides, padding and data format from `patch`', () =>
     withoutLeaks(() => {
       const x = randomImages(40, [2, 8, 8], 4);  // channels first
       const labels = Array.from({length: 40}, (_, i) => i % 2);
       const init = new PcaInitializer({
         x, y: labels, pairs: true,
         patch: {padding: 'same', strides: 2, dataFormat: 'channelsFirst'},
       });
       const kernel = init.apply([3, 3, 2, 4]);
       const pca = classPcaOfPatchesSync(x, labels, {
         kernelSize: 3, padding: 'same', strides: 2,
         dataFormat: 'channelsFirst', totalComponents: 2,
       });
       const expected = kernelFromPca(pca, [3, 3, 2, 4], {pairs: true});
       expect(kernel.shape).toEqual([3, 3, 2, 4]);
       expect(maxAbsDiff(kernel.dataSync(), expected.kernel))
           .toBeLessThan(1e-6);
       tf.dispose([x, kernel]);
     }));
});

// ---------------------------------------------------------------------------
// fitByPCA on convolutional models

/**
 * 10×10 one-channel images of 3 classes: a horizontal, a vertical or a
 * diagonal stroke of length 4 at a random place, on noise.
 */
function strokes(n: number, seed: number) {
  const rng = new SeededRandom(seed);
  const values = new Float32Array(n * 100);
  const labels: number[] = [];
  for (let b = 0; b < n; b++) {
    const c = b % 3;
    labels.push(c);
    for (let p = 0; p < 100; p++) {
      values[b * 100 + p] = 0.3 * rng.normal();
    }
    const y0 = 1 + Math.floor(rng.uniform() * 5);
    const x0 = 1 + Math.floor(rng.uniform() * 5);
    for (let t = 0; t < 4; t++) {
      const [y, x] = c === 0 ? [y0, x0 + t] :
          c === 1            ? [y0 + t, x0] :
                               [y0 + t, x0 + t];
      values[b * 100 + y * 10 + x] += 1;
    }
  }
  return {
    x: tf.tensor4d(values, [n, 10, 10, 1]),
    y: tf.tensor1d(labels, 'float32'),
    labels,
  };
}

function weightsOf(model: tfl.LayersModel): Float32Array[] {
  return model.layers.flatMap(
      l => l.getWeights().map(w => Float32Array.from(w.dataSync())));
}

describe('fitByPCA on convolutional models', () => {
  it('classifies strokes with conv → pool → dense (held-out > 90%)',
     () => withoutLeaks(async () => {
       const train = strokes(300, 1);
       const test = strokes(150, 2);
       const model = tfl.sequential({layers: [
         tfl.layers.conv2d({inputShape: [10, 10, 1], filters: 12,
                            kernelSize: 3, activation: 'relu'}),
         tfl.layers.maxPooling2d({poolSize: 2}),
         tfl.layers.flatten(),
         tfl.layers.dense({units: 3, activation: 'softmax'}),
       ]});
       const report = await fitByPCA(
           model, train.x, train.y, {validationData: [test.x, test.y]});
       expect(report.validation?.accuracy).toBeGreaterThan(0.9);
       expect(report.layers.map(l => [l.className, l.role])).toEqual([
         ['Conv2D', 'pca'], ['Dense', 'output'],
       ]);
       // 6 components as ± pairs, 2 per class; 8 patches of each image.
       expect(report.layers[0].unitsPerClass).toEqual([4, 4, 4]);
       expect(report.layers[0].samples).toBe(300 * 8);
       tf.dispose([train.x, train.y, test.x, test.y]);
       model.dispose();
     }));

  it('sets the first Conv2D layer from the class PCA of its patches',
     () => withoutLeaks(async () => {
       const {x, y, labels} = tiledImages(60, 4);
       const model = tfl.sequential({layers: [
         tfl.layers.conv2d({inputShape: [9, 9, 2], filters: 6,
                            kernelSize: 3, strides: 3, activation: 'relu'}),
         tfl.layers.flatten(),
         tfl.layers.dense({units: 3, activation: 'softmax'}),
       ]});
       await fitByPCA(model, x, y, {patchesPerImage: 9});
       const pca = classPcaOfPatchesSync(
           x, labels,
           {kernelSize: 3, strides: 3, patchesPerImage: 9, components: 1,
            distinct: true});
       const expected = kernelFromPca(pca, [3, 3, 2, 6], {pairs: true});
       const [kernel, bias] = model.layers[0].getWeights();
       expect(maxAbsDiff(kernel.dataSync(), expected.kernel))
           .toBeLessThan(1e-5);
       expect(maxAbsDiff(bias.dataSync(), expected.bias)).toBeLessThan(1e-5);
       tf.dispose([x, y]);
       model.dispose();
     }));

  it('takes at most patchesPerClass patches of each class', () =>
     withoutLeaks(async () => {
       const {x, y} = strokes(90, 3);
       const model = tfl.sequential({layers: [
         tfl.layers.conv2d({inputShape: [10, 10, 1], filters: 6,
                            kernelSize: 3, activation: 'relu'}),
         tfl.layers.conv2d({filters: 6, kernelSize: 3, activation: 'relu'}),
         tfl.layers.globalAveragePooling2d({}),
         tfl.layers.dense({units: 3, activation: 'softmax'}),
       ]});
       const report = await fitByPCA(
           model, x, y, {patchesPerImage: 5, patchesPerClass: 23});
       expect(report.layers.slice(0, 2).map(l => l.samples)).toEqual([
         69, 69,
       ]);
       tf.dispose([x, y]);
       model.dispose();
     }));

  it('reads a tf.data.Dataset, stopping when every budget is met',
     async () => {
       const {x, y, labels} = strokes(150, 9);
       const images = x.arraySync() as number[][][][];
       let read = 0;
       const ds = tfl.data.zip({
                    xs: tfl.data.array(images),
                    ys: tfl.data.array(labels),
                  })
                      .map(e => {
                        read++;
                        return e;
                      })
                      .batch(10);
       const model = tfl.sequential({layers: [
         tfl.layers.conv2d({inputShape: [10, 10, 1], filters: 6,
                            kernelSize: 3, activation: 'relu'}),
         tfl.layers.flatten(),
         tfl.layers.dense({units: 3, activation: 'softmax'}),
       ]});
       const report = await withoutLeaks(() => fitByPCA(
           model, ds as never, undefined,
           {patchesPerImage: 4, patchesPerClass: 40}));
       // 10 images of each class give its 40 patches: the conv layer reads
       // the first 30 images; the output layer then reads all 150.
       expect(report.layers[0].samples).toBe(120);
       expect(report.layers[1].samples).toBe(150);
       expect(read).toBeLessThan(150 + 150);
       expect(read).toBeGreaterThanOrEqual(150 + 30);
       tf.dispose([x, y]);
       model.dispose();
     });

  it('refuses a BatchNormalization input with NaN, weights unchanged',
     async () => {
       const values = new Float32Array(20 * 6).map((_, i) => (i * 7) % 5);
       values[13] = NaN;
       const x = tf.tensor2d(values, [20, 6]);
       const y = tf.tensor1d(Array.from({length: 20}, (_, i) => i % 2),
                             'float32');
       const model = tfl.sequential({layers: [
         tfl.layers.batchNormalization({inputShape: [6]}),
         tfl.layers.dense({units: 2, activation: 'softmax'}),
       ]});
       const before = weightsOf(model);
       await withoutLeaks(() => expectError(
           () => fitByPCA(model, x, y), ValueError,
           /layer 'batch_normalization.*' contains NaN or Inf/));
       weightsOf(model).forEach(
           (w, i) => expect(maxAbsDiff(w, before[i])).toBe(0));
       tf.dispose([x, y]);
       model.dispose();
     });

  it('sets BatchNormalization from the data, or to the identity', () =>
     withoutLeaks(async () => {
       const {x, y} = strokes(150, 4);
       const build = () => tfl.sequential({layers: [
         tfl.layers.conv2d({inputShape: [10, 10, 1], filters: 6,
                            kernelSize: 3, activation: 'relu'}),
         tfl.layers.batchNormalization({}),
         tfl.layers.averagePooling2d({poolSize: 2}),
         tfl.layers.flatten(),
         tfl.layers.dense({units: 3, activation: 'softmax'}),
       ]});
       const model = build();
       const report = await fitByPCA(model, x, y);
       expect(report.layers.map(l => l.role)).toEqual([
         'pca', 'normalize', 'output',
       ]);
       expect(report.layers[1].samples).toBe(150);
       const input = model.layers[0].apply(x) as tf.Tensor;
       const {mean, variance} = tf.moments(input, [0, 1, 2]);
       const [gamma, beta, movingMean, movingVariance] =
           model.layers[1].getWeights();
       expect(maxAbsDiff(movingMean.dataSync(), mean.dataSync()))
           .toBeLessThan(1e-5);
       expect(maxAbsDiff(movingVariance.dataSync(), variance.dataSync()))
           .toBeLessThan(1e-4);
       expect(gamma.dataSync().every(v => v === 1)).toBe(true);
       expect(beta.dataSync().every(v => v === 0)).toBe(true);

       const identity = build();
       await fitByPCA(identity, x, y, {batchNormalization: 'identity'});
       const before = identity.layers[0].apply(x) as tf.Tensor;
       const after = identity.layers[1].apply(before) as tf.Tensor;
       expect(maxAbsDiff(before.dataSync(), after.dataSync()))
           .toBeLessThan(1e-5);
       tf.dispose([x, y, input, mean, variance, before, after]);
       model.dispose();
       identity.dispose();
     }));

  it('computes Conv1D layers the same way', () => withoutLeaks(async () => {
       // Sequences of length 12: a rising or a falling ramp of 3 steps.
       const rng = new SeededRandom(5);
       const n = 120;
       const values = new Float32Array(n * 12);
       const labels: number[] = [];
       for (let b = 0; b < n; b++) {
         labels.push(b % 2);
         const at = Math.floor(rng.uniform() * 10);
         for (let t = 0; t < 12; t++) {
           values[b * 12 + t] = 0.2 * rng.normal();
         }
         for (let t = 0; t < 3; t++) {
           values[b * 12 + at + t] += b % 2 === 0 ? t : 2 - t;
         }
       }
       const x = tf.tensor3d(values, [n, 12, 1]);
       const y = tf.tensor1d(labels, 'float32');
       const model = tfl.sequential({layers: [
         tfl.layers.conv1d({inputShape: [12, 1], filters: 4, kernelSize: 3,
                            padding: 'same', activation: 'relu'}),
         tfl.layers.globalMaxPooling1d({}),
         tfl.layers.dense({units: 2, activation: 'softmax'}),
       ]});
       // Plain class PCA: each class's one component is the same blob
       // tilted toward its ramp, and that tilt is the whole signal here;
       // `distinct` keeps one blob and gives the other class an edge
       // filter, which both ramps' ends trigger after max-pooling (58%).
       const report = await fitByPCA(
           model, x, y, {patchesPerImage: 12, distinct: false});
       expect(report.train.accuracy).toBeGreaterThan(0.9);
       const pca = classPcaOfPatchesSync(x, labels, {
         kernelSize: 3, padding: 'same', patchesPerImage: 12,
         totalComponents: 2,
       });
       const expected = kernelFromPca(pca, [3, 1, 4], {pairs: true});
       expect(maxAbsDiff(model.layers[0].getWeights()[0].dataSync(),
                         expected.kernel))
           .toBeLessThan(1e-5);
       tf.dispose([x, y]);
       model.dispose();
     }));

  describe('refused layers leave the model unchanged', () => {
    const cases: Array<[string, () => tfl.SymbolicTensor['sourceLayer'],
                        RegExp]> = [
      ['DepthwiseConv2D',
       () => tfl.layers.depthwiseConv2d({kernelSize: 3}),
       /'depthwise_conv2d.*' \(DepthwiseConv2D\) is not supported yet/],
      ['SeparableConv2D',
       () => tfl.layers.separableConv2d({filters: 4, kernelSize: 3}),
       /'separable_conv2d.*' \(SeparableConv2D\) is not supported yet/],
      ['Conv2DTranspose',
       () => tfl.layers.conv2dTranspose({filters: 4, kernelSize: 3}),
       /\(Conv2DTranspose\) is not supported yet/],
    ];
    for (const [kind, make, message] of cases) {
      it(kind, async () => {
        const {x, y} = strokes(30, 6);
        const model = tfl.sequential({layers: [
          tfl.layers.conv2d({inputShape: [10, 10, 1], filters: 4,
                             kernelSize: 3, activation: 'relu'}),
          make(),
          tfl.layers.flatten(),
          tfl.layers.dense({units: 3, activation: 'softmax'}),
        ]});
        const before = weightsOf(model);
        // expectError also checks that no tensor was left behind.
        await expectError(() => fitByPCA(model, x, y), NotImplementedError,
                          message);
        weightsOf(model).forEach((w, i) => expect(w).toEqual(before[i]));
        tf.dispose([x, y]);
        model.dispose();
      });
    }

    it('a convolution as the last layer with weights', async () => {
      const {x, y} = strokes(30, 7);
      const model = tfl.sequential({layers: [
        tfl.layers.conv2d({inputShape: [10, 10, 1], filters: 3,
                           kernelSize: 3}),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.activation({activation: 'softmax'}),
      ]});
      const before = weightsOf(model);
      await expectError(() => fitByPCA(model, x, y), NotImplementedError,
                        /\(Conv2D\), is the output layer and must be Dense/);
      weightsOf(model).forEach((w, i) => expect(w).toEqual(before[i]));
      tf.dispose([x, y]);
      model.dispose();
    });
  });
});

// ---------------------------------------------------------------------------
// Bad input

describe('bad input to the convolution API', () => {
  it('extractPatches names the argument, the value and what is expected',
     async () => {
       const x = randomImages(2, [5, 5, 1], 8);
       const rows = tf.zeros([4, 5]);
       const cases: Array<[() => unknown, RegExp]> = [
         [() => extractPatches(rows, {kernelSize: 3}),
          /`x` must be a Tensor4D of images.*\[4, 5\]/],
         [() => extractPatches(x, {}), /`kernelSize` is missing/],
         [() => extractPatches(x, null as never),
          /`options` must be an object/],
         [() => extractPatches(x, {kernelSize: [3, 0]}),
          /`kernelSize` must be a positive integer or two.*\[3, 0\]/],
         [() => extractPatches(x, {kernelSize: 3, strides: 1.5}),
          /`strides` must be a positive integer.*1\.5/],
         [() => extractPatches(x, {kernelSize: 3, padding: 'causal' as never}),
          /`padding` must be 'valid' or 'same', received "causal"/],
         [() => extractPatches(x, {kernelSize: 3, dataFormat: 'NHWC' as never}),
          /`dataFormat` must be 'channelsLast' or 'channelsFirst'/],
         [() => extractPatches(x, {kernelSize: 3, kernel: 3} as never),
          /unknown patch option "kernel"/],
         [() => extractPatches(x, {kernelSize: 6}),
          /smaller than the dilated kernel \[6, 6\].*no patch/],
         [() => extractPatches(x, {kernelSize: 3, dilationRate: 3}),
          /smaller than the dilated kernel \[7, 7\]/],
         [() => extractPatches(x, {kernelSize: 3, patchesPerImage: 0}),
          /`patchesPerImage` must be a positive integer, received 0/],
         [() => extractPatches(x, {kernelSize: 3, seed: NaN}),
          /`seed` must be a finite number/],
       ];
       for (const [body, message] of cases) {
         await expectError(body, ValueError, message);
       }
       // A Conv1D input is [length, channels]; channels first is refused
       // rather than read wrongly.
       const sequence = tf.zeros([1, 4, 2]);
       await expectError(
           () => extractPatches(sequence,
                                {kernelSize: 1, dataFormat: 'channelsFirst'}),
           NotImplementedError, /'channelsFirst' is not supported for Conv1D/);
       sequence.dispose();
       const gone = randomImages(1, [5, 5, 1], 9);
       gone.dispose();
       await expectError(() => extractPatches(gone, {kernelSize: 3}),
                         ValueError, /a disposed tensor/);
       tf.dispose([x, rows]);
     });

  it('classPcaOfPatches rejects bad data and options', async () => {
    const {x, y, labels} = tiledImages(30, 5);
    const rows = tf.zeros([3, 4]);
    const cases: Array<[() => unknown, RegExp]> = [
      [() => classPcaOfPatches(x, labels.slice(1), {kernelSize: 3}),
       /29 entries but `x` has 30 rows/],
      [() => classPcaOfPatches(x, labels,
                               {kernelSize: 3, patchesPerClass: -1}),
       /`patchesPerClass` must be a positive integer, received -1/],
      [() => classPcaOfPatches(x, labels, {kernelSize: 3, components: 19}),
       /19 components per class.*only 18 features/],
      [() => classPcaOfPatches(x, labels, {kernelSize: 3, centred: true} as
                               never),
       /unknown option "centred"/],
      [() => classPcaOfPatches(rows, [0, 1, 2], {kernelSize: 3}),
       /`x` must be a Tensor4D/],
    ];
    for (const [body, message] of cases) {
      await expectError(body, ValueError, message);
    }
    const bad = tf.tensor4d(new Float32Array(3 * 16).fill(NaN), [3, 4, 4, 1]);
    await expectError(
        () => classPcaOfPatches(bad, [0, 1, 2], {kernelSize: 2}), ValueError,
        /`x` contains NaN or Inf/);
    tf.dispose([x, y, rows, bad]);
  });

  it('PcaInitializer checks patch options against the data and shape',
     async () => {
       const {x, y} = tiledImages(30, 6);
       const rows = tf.zeros([30, 18]);
       await expectError(
           () => new PcaInitializer({x: rows, y, patch: {strides: 2}}),
           ValueError, /`patch` applies to convolution kernels.*Tensor2D/);
       await expectError(
           () => new PcaInitializer({x, y, patch: {padding: 'full' as never}}),
           ValueError, /`padding` must be 'valid' or 'same'/);
       await expectError(
           () => new PcaInitializer({x, y, patch: {patchesPerImage: 0}}),
           ValueError, /`patchesPerImage` must be a positive integer/);
       const init = new PcaInitializer({x, y, patch: {kernelSize: 5}});
       await expectError(
           () => init.apply([3, 3, 2, 3]), ValueError,
           /`patch.kernelSize` is 5 but .* has kernel size \[3, 3\]/);
       const plain = new PcaInitializer({x, y});
       await expectError(
           () => plain.apply([3, 3, 4, 3]), ValueError,
           /images have 2 channels \(channelsLast\) but the kernel takes 4/);
       await expectError(
           () => plain.apply([3, 2, 3]), ValueError,
           /\[3, 2, 3\] from data of shape \[30, 9, 9, 2\]: a Conv1D kernel/);
       await expectError(
           () => plain.apply([2, 2, 2, 2, 3]), NotImplementedError,
           /only Dense .*Conv1D .*Conv2D .*received shape \[2, 2, 2, 2, 3\]/);
       tf.dispose([x, y, rows]);
     });

  it('fitByPCA rejects bad convolution options', async () => {
    const {x, y} = strokes(30, 8);
    const model = tfl.sequential({layers: [
      tfl.layers.conv2d({inputShape: [10, 10, 1], filters: 6, kernelSize: 3}),
      tfl.layers.flatten(),
      tfl.layers.dense({units: 3, activation: 'softmax'}),
    ]});
    await expectError(() => fitByPCA(model, x, y, {patchesPerImage: 0}),
                      ValueError, /`patchesPerImage` must be a positive/);
    await expectError(() => fitByPCA(model, x, y, {patchesPerClass: 2.5}),
                      ValueError, /`patchesPerClass` must be a positive/);
    await expectError(
        () => fitByPCA(model, x, y, {batchNormalization: 'moving' as never}),
        ValueError, /`batchNormalization` must be 'data' or 'identity'/);
    const narrow = tfl.sequential({layers: [
      tfl.layers.conv2d({inputShape: [10, 10, 1], filters: 4, kernelSize: 3}),
      tfl.layers.flatten(),
      tfl.layers.dense({units: 3, activation: 'softmax'}),
    ]});
    await expectError(() => fitByPCA(narrow, x, y), ValueError,
                      /has 4 units, 2 components with ± pairs, for 3 classes/);
    tf.dispose([x, y]);
    model.dispose();
    narrow.dispose();
  });

  it('checks the images and the patch size against the model before ' +
         'any weight changes',
     async () => {
       const {x, y, labels} = strokes(30, 10);
       const model = tfl.sequential({layers: [
         tfl.layers.conv2d({inputShape: [8, 8, 1], filters: 6,
                            kernelSize: 3}),
         tfl.layers.globalAveragePooling2d({}),
         tfl.layers.dense({units: 3, activation: 'softmax'}),
       ]});
       const before = weightsOf(model);
       const unchanged = () => weightsOf(model).forEach(
           (w, i) => expect(maxAbsDiff(w, before[i])).toBe(0));
       // 10×10 images for a model built for 8×8: refused up front.
       await expectError(() => fitByPCA(model, x, y), ValueError,
                         /`x` has shape \[30, 10, 10, 1\] but the model takes \[N, 8, 8, 1\]/);
       unchanged();
       // The same images through a Dataset: refused at the first batch.
       const images = x.arraySync() as number[][][][];
       const ds = tfl.data.zip({xs: tfl.data.array(images),
                                ys: tfl.data.array(labels)}).batch(10);
       await expectError(() => fitByPCA(model, ds as never), ValueError,
                         /reads images of shape \[8, 8, 1\], but its input has shape \[10, 10, 1\]/);
       unchanged();
       // 3×3 patches of one channel have 9 values: 60 filters with pairs
       // are 10 components per class.
       const wide = tfl.sequential({layers: [
         tfl.layers.conv2d({inputShape: [10, 10, 1], filters: 60,
                            kernelSize: 3}),
         tfl.layers.flatten(),
         tfl.layers.dense({units: 3, activation: 'softmax'}),
       ]});
       await expectError(() => fitByPCA(wide, x, y), ValueError,
                         /10 components per class with ± pairs, but its patches have only 9 values/);
       tf.dispose([x, y]);
       model.dispose();
       wide.dispose();
     });
});
