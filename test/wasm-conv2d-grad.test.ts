/**
 * The Conv2D gradient kernels that examples/wasm-conv2d-grad.ts registers
 * for the wasm backend (used by the demo and the benchmarks to train
 * CNNs), against float64 gradients by explicit loops. On cpu the test
 * checks tfjs's own kernels against the same reference.
 */
import * as tf from '@tensorflow/tfjs-core';

import {registerWasmConv2dGradients} from '../examples/wasm-conv2d-grad';
import {SeededRandom} from '../src/linalg/random';

import {maxAbs, maxAbsDiff, withoutLeaks} from './helpers';

interface Case {
  image: [number, number, number];
  kernel: [number, number, number, number];
  strides: number;
  pad: 'valid'|'same';
}

/**
 * For L = Σ y², y = conv2d(x, w): dL/dw and dL/dx by loops over every
 * output position and tap, in float64.
 */
function referenceGradients(
    x: Float32Array, w: Float32Array, n: number, c: Case) {
  const [h, wi, ch] = c.image;
  const [kh, kw, , f] = c.kernel;
  const axis = (size: number, k: number) => {
    if (c.pad === 'valid') {
      return {out: Math.floor((size - k) / c.strides) + 1, before: 0};
    }
    const out = Math.ceil(size / c.strides);
    return {out,
            before: Math.floor(Math.max(0, (out - 1) * c.strides + k - size) /
                               2)};
  };
  const rows = axis(h, kh);
  const cols = axis(wi, kw);
  const at = (b: number, y: number, xx: number, q: number) =>
      ((b * h + y) * wi + xx) * ch + q;
  const dw = new Float64Array(w.length);
  const dx = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        const taps: Array<[number, number]> = [];  // [x index, w offset]
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const y = oy * c.strides - rows.before + i;
            const xx = ox * c.strides - cols.before + j;
            if (y >= 0 && y < h && xx >= 0 && xx < wi) {
              for (let q = 0; q < ch; q++) {
                taps.push([at(b, y, xx, q), ((i * kw + j) * ch + q) * f]);
              }
            }
          }
        }
        for (let o = 0; o < f; o++) {
          let out = 0;
          for (const [xi, wo] of taps) {
            out += x[xi] * w[wo + o];
          }
          for (const [xi, wo] of taps) {
            dw[wo + o] += 2 * out * x[xi];
            dx[xi] += 2 * out * w[wo + o];
          }
        }
      }
    }
  }
  return {dw, dx};
}

const CASES: Case[] = [
  {image: [7, 6, 2], kernel: [3, 2, 2, 3], strides: 1, pad: 'valid'},
  {image: [7, 6, 2], kernel: [3, 3, 2, 3], strides: 2, pad: 'same'},
  {image: [8, 7, 3], kernel: [2, 3, 3, 4], strides: 2, pad: 'valid'},
  {image: [6, 6, 1], kernel: [4, 4, 1, 2], strides: 1, pad: 'same'},
];

describe('Conv2D gradients for training CNNs on wasm', () => {
  beforeAll(() => {
    if (tf.getBackend() === 'wasm') {
      registerWasmConv2dGradients();
    }
  });

  for (const c of CASES) {
    it(`match loops in float64: image ${c.image}, kernel ${c.kernel}, ` +
       `strides ${c.strides}, '${c.pad}'`,
       () => withoutLeaks(() => {
         const n = 3;
         const rng = new SeededRandom(1);
         const xv = rng.normals(n * c.image[0] * c.image[1] * c.image[2]);
         const wv = rng.normals(c.kernel.reduce((a, b) => a * b, 1));
         const x = tf.tensor4d(xv, [n, ...c.image]);
         const w = tf.tensor4d(wv, c.kernel);
         const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(
             tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad)));
         const [dx, dw] = tf.grads(loss)([x, w]);
         const reference = referenceGradients(xv, wv, n, c);
         expect(maxAbsDiff(dw.dataSync(), reference.dw))
             .toBeLessThan(1e-4 * maxAbs(reference.dw));
         expect(maxAbsDiff(dx.dataSync(), reference.dx))
             .toBeLessThan(1e-4 * maxAbs(reference.dx));
         tf.dispose([x, w, dx, dw]);
       }));
  }

  // The kernels exist only on wasm.
  const onWasm = process.env.TFJS_PCA_BACKEND?.trim() === 'wasm';
  (onWasm ? it : it.skip)('registers once, whatever the number of calls',
                          () => {
    const kernel = tf.getKernel('Conv2DBackpropInput', 'wasm');
    registerWasmConv2dGradients();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(kernel);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });
});
