import * as tf from '@tensorflow/tfjs-core';

/**
 * The rows `rows` of the float32 Tensor2D `x`, as a new Tensor2D.
 *
 * On backends that keep tensors in host memory (`cpu`, `wasm`) rows are
 * copied on the host, which is where the memory already is: tfjs's own
 * gather kernel on `wasm` moves about 20M values a second, so for a
 * 2048×784 batch it would take most of the time of the xᵀx product that
 * follows. Elsewhere (`webgl`, `tensorflow`) `tf.gather` runs on the device
 * and is used as is. Both give the same values.
 */
export function gatherRows(x: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
  const reader = hostRowReader(x);
  if (reader === null) {
    return tf.tidy(() => tf.gather(x, tf.tensor1d(rows, 'int32')));
  }
  const d = x.shape[1];
  const out = new Float32Array(rows.length * d);
  copyRows(reader, rows, d, out);
  return tf.tensor2d(out, [rows.length, d]);
}

/**
 * Copies rows `rows` of a d-column row-major matrix, read through `read`,
 * into `out` one after another.
 */
export function copyRows(
    read: RangeReader, rows: Int32Array, d: number, out: Float32Array) {
  let i = 0;
  while (i < rows.length) {
    // Runs of consecutive rows are read in one piece.
    let run = 1;
    while (i + run < rows.length && rows[i + run] === rows[i] + run) {
      run++;
    }
    out.set(read(rows[i] * d, (rows[i] + run) * d), i * d);
    i += run;
  }
}

/**
 * Reads the values [start, end) of a row-major tensor. The array returned
 * may be a view of the backend's memory: copy from it before the next
 * tensor is made, which may move that memory.
 */
export type RangeReader = (start: number, end: number) => Float32Array;

interface HostBackend {
  readSync(dataId: object, start?: number, end?: number): unknown;
  /** The wasm backend's view of a tensor's values in its heap. */
  typedArrayFromHeap?(t: tf.Tensor): unknown;
}

/**
 * A reader of value ranges of `x` where it lies in host memory (`cpu`,
 * `wasm`), or null on other backends and for non-float32 tensors.
 */
export function hostRowReader(x: tf.Tensor2D): RangeReader|null {
  if (x.dtype !== 'float32') {
    return null;
  }
  const name = tf.getBackend();
  const backend = tf.engine().backend as unknown as HostBackend;
  if (name === 'wasm') {
    if (typeof backend.typedArrayFromHeap === 'function') {
      // A view of the heap, without the copy readSync makes of every
      // range. When the heap grows its old buffer is detached and the view
      // empties; it is then taken again.
      const view = () => backend.typedArrayFromHeap?.(x) as Float32Array;
      let values = view();
      if (values instanceof Float32Array) {
        return (start, end) => {
          if (values.length === 0) {
            values = view();
          }
          return values.subarray(start, end);
        };
      }
    }
    return (start, end) =>
               backend.readSync(x.dataId, start, end) as Float32Array;
  }
  if (name === 'cpu') {
    // The cpu backend hands out its own array without copying.
    const values = backend.readSync(x.dataId);
    if (values instanceof Float32Array) {
      return (start, end) => values.subarray(start, end);
    }
  }
  return null;
}
