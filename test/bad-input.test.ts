/**
 * Bad and edge-case input across the API: each gets a typed error that
 * names the argument, or a sensible result, and never leaks tensors.
 */
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../src/errors';
import {kernelFromPca} from '../src/layers/kernel';
import {PcaInitializer} from '../src/layers/pca-initializer';
import {symmetricEigen} from '../src/linalg/symmetric-eigen';
import {topEigen} from '../src/linalg/top-eigen';
import {classPca, classPcaSync} from '../src/pca/class-pca';
import {ClassStatistics} from '../src/stats/class-statistics';

import {expectError, gaussianRows, withoutLeaks} from './helpers';

describe('labels', () => {
  const x = () => tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 9]]);

  it('rejects a huge label at once instead of sizing arrays by it',
     async () => {
       const t = x();
       await expectError(
           () => classPcaSync(t, [0, 1, 2e9, 0], {components: 1}),
           ValueError, /\[2\] is 2000000000.*\[0, 65535\]/);
       await expectError(
           () => classPcaSync(t, [0, 1, 2 ** 32, 0], {components: 1}),
           ValueError, /\[2\] is 4294967296/);
       await expectError(
           () => classPcaSync(t, [0, 1, 0, 1], {numClasses: 2e9}),
           ValueError, /`numClasses` must be.*65536.*2000000000/);
       await expectError(
           () => classPcaSync(t, [0, 1, 2, 3], {numClasses: 9}),
           ValueError, /9 classes but only 4 rows/);
       await expectError(
           () => new ClassStatistics(2, 2e9), ValueError, /\[1, 65536\]/);
       t.dispose();
     });

  it('explains a column of labels', async () => {
    const t = x();
    const column = tf.tensor2d([[0], [1], [0], [1]]);
    await expectError(
        () => classPcaSync(t, column), ValueError,
        /shape \[4, 1\]; pass class indices as a Tensor1D/);
    tf.dispose([t, column]);
  });

  it('counts a one-hot class that never occurs, for any input form',
     async () => {
       const rows = [[1, 0], [0, 1], [2, 1], [1, 3]];
       const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 4);
       const t = tf.tensor2d(rows);
       await expectError(
           () => classPcaSync(t, y as tf.Tensor2D, {components: 1}),
           ValueError, /class 3 has no rows/);
       const ds = tfl.data.array(rows.map((r, i) => ({
         xs: r, ys: Array.from({length: 4}, (_, c) => c === [0, 1, 2, 0][i] ?
             1 : 0),
       }))).batch(2);
       await expectError(
           () => classPca(ds as never, undefined, {components: 1}),
           ValueError, /class 3 has no rows/);
       tf.dispose([t, y]);
     });
});

describe('values of x', () => {
  it('accepts int32 rows, negative ones included, as float32 ones', () =>
     withoutLeaks(() => {
       const values = [[-1, 2], [3, -5], [4, 1], [2, 2]];
       const asInt = tf.tensor2d(values, [4, 2], 'int32');
       const asFloat = tf.tensor2d(values);
       const a = classPcaSync(asInt, [0, 0, 1, 1], {components: 1});
       const b = classPcaSync(asFloat, [0, 0, 1, 1], {components: 1});
       expect(a.classes[0].eigenvalues[0])
           .toBeCloseTo(b.classes[0].eigenvalues[0], 4);
       tf.dispose([asInt, asFloat]);
     }));

  it('takes an empty batch as a no-op', () => withoutLeaks(() => {
       const stats = new ClassStatistics(3);
       const empty = tf.zeros([0, 3]) as tf.Tensor2D;
       stats.update(empty, []);
       expect(stats.totalCount).toBe(0);
       empty.dispose();
       stats.dispose();
     }));

  it('rejects x with no rows', async () => {
    const empty = tf.zeros([0, 4]) as tf.Tensor2D;
    await expectError(
        () => classPcaSync(empty, []), ValueError,
        /at least one row and one column, received a tensor of shape \[0, 4\]/);
    empty.dispose();
  });

  it('reports float32 overflow of the second moments', async () => {
    const t = tf.tensor2d([[1e20, 2e20], [3e20, -1e20], [-2e20, 1e20],
                           [1e20, 1e20]]);
    await expectError(
        () => classPcaSync(t, [0, 0, 1, 1], {components: 1}), ValueError,
        // Caught by the statistics on the host backends, by classPca's
        // check of the moments elsewhere.
        /class 0 overflows float32.*scale x down|too large for float32 stat/);
    t.dispose();
  });

  it('gives bounded weights for constant input', () => withoutLeaks(() => {
       const x = tf.fill([30, 4], 2) as tf.Tensor2D;
       const init = new PcaInitializer(
           {x, y: Array.from({length: 30}, (_, i) => i % 3)});
       const kernel = init.apply([4, 3]);
       const largest = tf.tidy(() => tf.max(tf.abs(kernel)).dataSync()[0]);
       expect(largest).toBeLessThanOrEqual(1 + 1e-6);
       tf.dispose([x, kernel]);
     }));

  it('disposes a rejected dataset element', async () => {
    const ds = tfl.data.generator(function*() {
      yield {xs: tf.ones([3]), ys: tf.tensor1d([0], 'int32')};
    });
    await expectError(
        () => classPca(ds as never), ValueError,
        /dataset batch 0.*\{xs: Tensor2D, ys: labels\}/);
  });
});

describe('solver', () => {
  const a = () => tf.tensor2d([[2, 1], [1, 2]]);

  it('rejects bad solver options', async () => {
    const m = a();
    await expectError(
        () => topEigen([m], 1, {maxIterations: 0}), ValueError,
        /maxIterations.*received 0/);
    await expectError(
        () => topEigen([m], 1, {tolerance: -1}), ValueError, /tolerance/);
    await expectError(
        () => topEigen([m], 1, {oversample: 1.5}), ValueError, /oversample/);
    await expectError(
        () => topEigen([m], 1, null as never), ValueError, /options/);
    const x = tf.tensor2d(gaussianRows(40, 3, 1), [40, 3]);
    await expectError(
        () => classPcaSync(x, new Array(40).fill(0),
                           {components: 1, solver: {oversample: -2}}),
        ValueError, /classPca: topEigen: `oversample`/);
    tf.dispose([m, x]);
  });

  it('rejects asymmetric or non-finite matrices', async () => {
    const asym = tf.tensor2d([[1, 5], [0, 1]]);
    const nan = tf.tensor2d([[NaN, 0], [0, 1]]);
    await expectError(() => topEigen([asym], 1), ValueError, /not symmetric/);
    await expectError(() => topEigen([nan], 1), ValueError, /NaN or Inf/);
    await expectError(
        () => topEigen([null as never], 1), ValueError, /matrices\[0\]/);
    tf.dispose([asym, nan]);
  });

  it('symmetricEigen checks its sizes and values', async () => {
    await expectError(
        () => symmetricEigen([2, 1, 1, 2], 3), ValueError, /4 values/);
    await expectError(
        () => symmetricEigen([NaN], 1), ValueError, /entry 0 is NaN/);
    await expectError(
        () => symmetricEigen(null as never, 1), ValueError, /null/);
  });
});

describe('ClassStatistics.fromJSON', () => {
  const good = () => {
    const stats = new ClassStatistics(2);
    const x = tf.tensor2d([[1, 2], [3, 5], [4, 4]]);
    stats.update(x, [0, 1, 1]);
    x.dispose();
    const json = stats.toJSON();
    stats.dispose();
    return json;
  };

  it('rejects malformed objects with ValueError', async () => {
    const missing = {...good(), counts: undefined} as never;
    await expectError(
        () => ClassStatistics.fromJSON(missing), ValueError,
        /`counts` must be an array/);
    const nan = good();
    (nan.moments[1] as number[])[0] = NaN;
    await expectError(
        () => ClassStatistics.fromJSON(nan), ValueError,
        /moments\[1\] must hold 4 finite numbers/);
    const nulls = good();
    (nulls.sums[0] as unknown[])[0] = null;
    await expectError(
        () => ClassStatistics.fromJSON(nulls), ValueError, /sums\[0\]/);
    await expectError(
        () => ClassStatistics.fromJSON({...good(), numClasses: 1}),
        ValueError, /counts for 2 classes but `numClasses` is 1/);
  });
});

describe('kernels', () => {
  const data = () => ({
    x: tf.tensor2d(gaussianRows(90, 4, 2), [90, 4]),
    y: Array.from({length: 90}, (_, i) => i % 3),
  });

  it('kernelFromPca rejects bad shapes, naming itself', async () => {
    const {x, y} = data();
    const pca = classPcaSync(x, y, {components: 2});
    for (const shape of [[4, -2], [4, 0], [8], [1, 1, 1, 4, 2]]) {
      await expectError(
          () => kernelFromPca(pca, shape), ValueError,
          /^kernelFromPca: a kernel shape is \[inputDim, units\] \(Dense\)/);
    }
    await expectError(
        () => kernelFromPca(pca, [4, 2, 7]), ValueError,
        /shape \[4, 2, 7\].*4 rows \(the product of all axes but the last\)/);
    await expectError(
        () => kernelFromPca(null as never, [4, 2]), ValueError,
        /`pca` must be a classPca result/);
    x.dispose();
  });

  it('fills a kernel from a PCA allocated by eigenvalue', () =>
     withoutLeaks(() => {
       const {x, y} = data();
       const pca = classPcaSync(
           x, y, {totalComponents: 4, allocation: 'eigenvalue'});
       const {kernel} = kernelFromPca(pca, [4, 4]);
       expect(kernel.every(Number.isFinite)).toBe(true);
       x.dispose();
     }));

  it('builds kernels of different widths from one initializer', () =>
     withoutLeaks(() => {
       const {x, y} = data();
       const init = new PcaInitializer({x, y});
       const small = init.apply([4, 3]);
       const wide = init.apply([4, 12]);
       expect(wide.shape).toEqual([4, 12]);
       tf.dispose([x, small, wide]);
     }));

  it('names the kernel shape when the data cannot fill it', async () => {
    const {x, y} = data();
    const init = new PcaInitializer({x, y});
    await expectError(
        () => init.apply([4, 2]), ValueError,
        /kernel of shape \[4, 2\] from data of shape \[90, 4\]/);
    x.dispose();
  });
});
