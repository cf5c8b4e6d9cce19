/**
 * Conv2D gradients for the `wasm` backend, so that CNNs train there.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 registers no `Conv2DBackpropFilter`
 * kernel, so `model.fit` of any model with a Conv2D layer fails there
 * ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"), and
 * its `Conv2DBackpropInput` is a plain loop that took two thirds of a
 * training step of the demo's CNN. The demo and the benchmarks train CNNs
 * on `wasm`, so they register the two kernels below first. They are not
 * part of tfjs-pca: fitByPCA itself needs no gradients, but its
 * `fineTuneEpochs` and `FitByPcaCallback` train with `model.fit` and need
 * them on `wasm` for convolutional models.
 *
 * Both are products with the patch matrix P of the convolution's input
 * (one row per batch image and output position, in the kernel's
 * [kh, kw, inChannels] order; taps in the padding read zero):
 *
 * - kernel gradient dW = Pᵀ · dY, with Pᵀ written on the host straight
 *   from the input's values;
 * - input gradient dX = the patch rows of dY · Wᵀ added back onto the
 *   positions they were read from.
 *
 * The products run on the backend's own `BatchMatMul` kernel without
 * `transposeA`, which is 13 times slower on `wasm`. The backend's
 * `Conv3DBackpropFilterV2` kernel, the other candidate for the kernel
 * gradient (a Conv2D is a Conv3D of depth 1), gave wrong values for
 * strides of 2 and made a training step of the demo's CNN more than ten
 * times slower.
 *
 * @packageDocumentation
 */

import * as tf from '@tensorflow/tfjs';

/** What the wasm backend exposes to a kernel function. */
interface WasmBackend {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  write(values: Float32Array, shape: number[], dtype: tf.DataType):
      tf.DataId;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/**
 * Registers the two Conv2D gradient kernels above for the `wasm` backend
 * (replacing its own `Conv2DBackpropInput`). Call it after loading
 * `@tensorflow/tfjs-backend-wasm`, before `model.fit`; calling it again
 * does nothing.
 */
export function registerWasmConv2dGradients(): void {
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (matMul === undefined) {
    throw new Error('the wasm backend is not loaded.');
  }
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined) {
    registerFilterGradient(matMul);
  }
  const input = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (input?.kernelFunc !== inputGradient) {
    if (input !== undefined) {
      tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    }
    inputGradientMatMul = matMul;
    tf.registerKernel({
      kernelName: 'Conv2DBackpropInput',
      backendName: 'wasm',
      kernelFunc: inputGradient,
    });
  }
}

function registerFilterGradient(matMul: tf.KernelConfig) {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({inputs, backend, attrs}) => {
      const {x, dy} = inputs as {x: tf.TensorInfo, dy: tf.TensorInfo};
      const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (a.dataFormat === 'NCHW') {
        throw new Error(
            'Conv2DBackpropFilter (wasm, tfjs-pca examples): NCHW input is ' +
            'not supported; tfjs-layers passes NHWC.');
      }
      const info = tf.backend_util.computeConv2DInfo(
          x.shape as [number, number, number, number], a.filterShape,
          a.strides, 1, a.pad, a.dimRoundingMode);
      const wasm = backend as unknown as WasmBackend;
      const patchesT = transposedPatches(
          wasm.readSync(x.dataId) as Float32Array, info);
      const positions = info.batchSize * info.outHeight * info.outWidth;
      const size = info.filterHeight * info.filterWidth * info.inChannels;
      const p = wasm.write(patchesT, [1, size, positions], 'float32');
      try {
        const product = matMul.kernelFunc({
          inputs: {
            a: {dataId: p, shape: [1, size, positions], dtype: 'float32'},
            b: {dataId: dy.dataId, shape: [1, positions, info.outChannels],
                dtype: 'float32'},
          },
          backend,
          attrs: {transposeA: false, transposeB: false},
        }) as tf.TensorInfo;
        return {...product, shape: a.filterShape};
      } finally {
        wasm.disposeData(p, true);
      }
    },
  });
}

let inputGradientMatMul: tf.KernelConfig|undefined;

/** dX: the patch rows of dY · Wᵀ, added back where they were read. */
const inputGradient: tf.KernelFunc = ({inputs, backend, attrs}) => {
  const {dy, filter} = inputs as {dy: tf.TensorInfo, filter: tf.TensorInfo};
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (a.dataFormat === 'NCHW') {
    throw new Error(
        'Conv2DBackpropInput (wasm, tfjs-pca examples): NCHW input is not ' +
        'supported; tfjs-layers passes NHWC.');
  }
  const info = tf.backend_util.computeConv2DInfo(
      a.inputShape, filter.shape as [number, number, number, number],
      a.strides, 1, a.pad, a.dimRoundingMode);
  const wasm = backend as unknown as WasmBackend;
  const size = info.filterHeight * info.filterWidth * info.inChannels;
  const filters = info.outChannels;
  // Wᵀ [filters, size] on the host: the kernel is small.
  const w = wasm.readSync(filter.dataId) as Float32Array;
  const wT = new Float32Array(size * filters);
  for (let r = 0; r < size; r++) {
    for (let f = 0; f < filters; f++) {
      wT[f * size + r] = w[r * filters + f];
    }
  }
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const wId = wasm.write(wT, [1, filters, size], 'float32');
  let rows: Float32Array;
  try {
    const product = (inputGradientMatMul as tf.KernelConfig).kernelFunc({
      inputs: {
        a: {dataId: dy.dataId, shape: [1, positions, filters],
            dtype: 'float32'},
        b: {dataId: wId, shape: [1, filters, size], dtype: 'float32'},
      },
      backend,
      attrs: {transposeA: false, transposeB: false},
    }) as tf.TensorInfo;
    rows = (wasm.readSync(product.dataId) as Float32Array).slice();
    wasm.disposeData(product.dataId, true);
  } finally {
    wasm.disposeData(wId, true);
  }
  const dx = addPatchesBack(rows, info);
  const id = wasm.write(dx, a.inputShape, 'float32');
  return {dataId: id, shape: a.inputShape, dtype: 'float32'};
};

/**
 * The input gradient from per-patch gradients [positions, kh·kw·inC]:
 * each value added onto the input position its tap read.
 */
function addPatchesBack(
    rows: Float32Array, info: tf.backend_util.Conv2DInfo): Float32Array {
  const {batchSize, inHeight: h, inWidth: w, inChannels: ch, outHeight,
         outWidth, strideHeight, strideWidth, filterHeight: kh,
         filterWidth: kw} = info;
  const size = kh * kw * ch;
  const dx = new Float32Array(batchSize * h * w * ch);
  let p = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, p++) {
        for (let i = 0; i < kh; i++) {
          const y = oy * strideHeight - info.padInfo.top + i;
          if (y < 0 || y >= h) {
            continue;
          }
          for (let j = 0; j < kw; j++) {
            const x = ox * strideWidth - info.padInfo.left + j;
            if (x < 0 || x >= w) {
              continue;
            }
            const from = p * size + (i * kw + j) * ch;
            const to = ((b * h + y) * w + x) * ch;
            for (let q = 0; q < ch; q++) {
              dx[to + q] += rows[from + q];
            }
          }
        }
      }
    }
  }
  return dx;
}

/**
 * Pᵀ: the patches of an NHWC input as columns, [kh·kw·inChannels,
 * batch·outHeight·outWidth] row-major; taps in the padding read zero.
 */
function transposedPatches(
    x: Float32Array, info: tf.backend_util.Conv2DInfo): Float32Array {
  const {batchSize, inHeight: h, inWidth: w, inChannels: ch, outHeight,
         outWidth, strideHeight, strideWidth, filterHeight: kh,
         filterWidth: kw} = info;
  const positions = batchSize * outHeight * outWidth;
  const out = new Float32Array(kh * kw * ch * positions);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let q = 0; q < ch; q++) {
        const row = ((i * kw + j) * ch + q) * positions;
        let column = 0;
        for (let b = 0; b < batchSize; b++) {
          for (let oy = 0; oy < outHeight; oy++) {
            const y = oy * strideHeight - info.padInfo.top + i;
            for (let ox = 0; ox < outWidth; ox++, column++) {
              const xx = ox * strideWidth - info.padInfo.left + j;
              if (y >= 0 && y < h && xx >= 0 && xx < w) {
                out[row + column] = x[((b * h + y) * w + xx) * ch + q];
              }
            }
          }
        }
      }
    }
  }
  return out;
}
