import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../src/errors';
import {ClassStatistics} from '../src/stats/class-statistics';

import {expectError, gaussianRows, maxAbs, maxAbsDiff, referenceMoments,
        withoutLeaks} from './helpers';

/** Rows of class c are Gaussian with mean c + offset and scale (c + 1). */
function classRows(n: number, d: number, c: number, offset: number):
    Float32Array {
  const rows = gaussianRows(n, d, 100 + c);
  return rows.map((v, i) => offset + c + (c + 1) * v * (1 + (i % d) / d));
}

function stack(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  parts.forEach(p => {
    out.set(p, at);
    at += p.length;
  });
  return out;
}

describe('ClassStatistics', () => {
  const d = 6;
  const n = 300;

  it('gives class means, covariances and second moments to float64', () =>
     withoutLeaks(() => {
       const parts = [0, 1, 2].map(c => classRows(n, d, c, 0));
       const stats = new ClassStatistics(d, 3);
       // Interleaved labels, in two batches.
       const labels = Array.from({length: 3 * n}, (_, i) => i % 3);
       const rows = new Float32Array(3 * n * d);
       labels.forEach((c, i) => rows.set(
           parts[c].subarray(Math.floor(i / 3) * d, Math.floor(i / 3 + 1) * d),
           i * d));
       const half = 3 * n / 2;
       tf.tidy(() => {
         stats.update(tf.tensor2d(rows.subarray(0, half * d), [half, d]),
                      labels.slice(0, half));
         stats.update(tf.tensor2d(rows.subarray(half * d), [half, d]),
                      tf.tensor1d(labels.slice(half), 'int32'));
       });
       for (let c = 0; c < 3; c++) {
         const ref = referenceMoments(parts[c], n, d);
         expect(stats.count(c)).toBe(n);
         tf.tidy(() => {
           expect(maxAbsDiff(stats.mean(c).dataSync(), ref.mean))
               .toBeLessThan(1e-5);
           expect(maxAbsDiff(stats.covariance(c).dataSync(), ref.covariance))
               .toBeLessThan(1e-4);
           const second = ref.covariance.map(
               (v, i) => v + ref.mean[Math.floor(i / d)] * ref.mean[i % d]);
           expect(maxAbsDiff(stats.secondMoment(c).dataSync(), second))
               .toBeLessThan(1e-4);
         });
       }
       stats.dispose();
     }));

  it('keeps the covariance accurate when the mean is 1e3 times the spread',
     () => withoutLeaks(() => {
       const rows = classRows(n, d, 0, 1000);
       const ref = referenceMoments(rows, n, d);
       const stats = new ClassStatistics(d);
       tf.tidy(() => {
         // Many small batches, so that errors would accumulate.
         for (let s = 0; s < n; s += 50) {
           stats.update(
               tf.tensor2d(rows.subarray(s * d, (s + 50) * d), [50, d]),
               new Array(50).fill(0));
         }
       });
       const cov = tf.tidy(() => stats.covariance(0).dataSync());
       // The covariance entries are O(1); float32 rows themselves carry
       // 1000 · 6e-8 absolute error, so 1e-3 relative is the honest bound.
       expect(maxAbsDiff(cov, ref.covariance) / maxAbs(ref.covariance))
           .toBeLessThan(1e-3);
       // A naive float32 E[xxᵀ] − μμᵀ loses it: the test can tell.
       const naive = tf.tidy(() => {
         const t = tf.tensor2d(rows, [n, d]);
         const mu = tf.reshape(tf.mean(t, 0), [d, 1]);
         return tf.sub(
             tf.div(tf.matMul(tf.transpose(t), t), n),
             tf.matMul(mu, tf.transpose(mu))).dataSync();
       });
       expect(maxAbsDiff(naive, ref.covariance) / maxAbs(ref.covariance))
           .toBeGreaterThan(1e-2);
       stats.dispose();
     }));

  it('merges shards exactly and round-trips through JSON', () =>
     withoutLeaks(() => {
       const a = classRows(n, d, 1, 50);
       const b = classRows(n, d, 2, 50);
       const all = new ClassStatistics(d);
       const left = new ClassStatistics(d);
       const right = new ClassStatistics(d);
       tf.tidy(() => {
         const xa = tf.tensor2d(a, [n, d]);
         const xb = tf.tensor2d(b, [n, d]);
         const ya = new Array(n).fill(1);
         const yb = Array.from({length: n}, (_, i) => (i % 2 === 0 ? 1 : 0));
         all.update(xa, ya);
         all.update(xb, yb);
         left.update(xa, ya);
         right.update(xb, yb);
       });
       const restored = ClassStatistics.fromJSON(
           JSON.parse(JSON.stringify(right.toJSON())));
       left.merge(restored);
       expect(left.count(0)).toBe(all.count(0));
       expect(left.count(1)).toBe(all.count(1));
       for (const c of [0, 1]) {
         tf.tidy(() => {
           expect(maxAbsDiff(left.mean(c).dataSync(), all.mean(c).dataSync()))
               .toBeLessThan(1e-4);
           expect(maxAbsDiff(
                      left.covariance(c).dataSync(),
                      all.covariance(c).dataSync()))
               .toBeLessThan(1e-3);
         });
       }
       [all, left, right, restored].forEach(s => s.dispose());
     }));

  it('gives the covariance of all rows from the class statistics', () =>
     withoutLeaks(() => {
       const parts = [classRows(n, d, 0, 3), classRows(n / 2, d, 1, 3)];
       const stats = new ClassStatistics(d);
       tf.tidy(() => {
         stats.update(tf.tensor2d(parts[0], [n, d]), new Array(n).fill(0));
         stats.update(
             tf.tensor2d(parts[1], [n / 2, d]), new Array(n / 2).fill(1));
       });
       const ref = referenceMoments(stack(parts), 1.5 * n, d);
       const total = stats.total();
       expect(maxAbsDiff(total.mean.dataSync(), ref.mean)).toBeLessThan(1e-4);
       expect(maxAbsDiff(total.covariance.dataSync(), ref.covariance))
           .toBeLessThan(1e-3);
       tf.dispose([total.mean, total.covariance]);
       stats.dispose();
     }));

  it('splits wide inputs into symmetric blocks on every path', () =>
     withoutLeaks(() => {
       // 300 features: three column blocks, so off-diagonal blocks, their
       // transposes and the merge correction are all exercised.
       const wide = 300;
       const rows = classRows(120, wide, 1, 20).map(Math.round);
       const ref = referenceMoments(rows, 120, wide);
       const second = ref.covariance.map(
           (v, i) => v + ref.mean[Math.floor(i / wide)] * ref.mean[i % wide]);
       const check = (stats: ClassStatistics) => tf.tidy(() => {
         const scale = maxAbs(second);
         expect(maxAbsDiff(stats.covariance(0).dataSync(), ref.covariance) /
                maxAbs(ref.covariance)).toBeLessThan(1e-4);
         expect(maxAbsDiff(stats.secondMoment(0).dataSync(), second) / scale)
             .toBeLessThan(1e-5);
       });
       const x = tf.tensor2d(rows, [120, wide]);
       const xInt = tf.cast(x, 'int32') as tf.Tensor2D;
       // float32 rows (copied and centred on the host on cpu and wasm),
       // picked out of order by index.
       const picked = new ClassStatistics(wide, 1);
       const order = Int32Array.from({length: 120}, (_, i) => (i * 7) % 120);
       picked.updateRows(0, x, order.subarray(0, 50));
       picked.updateRows(0, x, order.subarray(50));
       check(picked);
       // int32 rows, which take the backend-ops path.
       const fromInt = new ClassStatistics(wide, 1);
       tf.tidy(() => {
         fromInt.updateClass(0, tf.slice(xInt, [0, 0], [70, wide]));
         fromInt.updateClass(0, tf.slice(xInt, [70, 0], [50, wide]));
       });
       check(fromInt);
       // Shards about different shifts, merged, through JSON.
       const left = new ClassStatistics(wide, 1);
       left.updateRows(0, x, order.subarray(0, 30));
       const right = new ClassStatistics(wide, 1);
       right.updateRows(0, x, order.subarray(30));
       const restored = ClassStatistics.fromJSON(right.toJSON());
       left.merge(restored);
       check(left);
       tf.dispose([x, xInt]);
       [picked, fromInt, left, right, restored].forEach(s => s.dispose());
     }));

  describe('bad input', () => {
    const x = () => tf.tensor2d(gaussianRows(4, d, 1), [4, d]);

    it('rejects NaN and Inf, adding nothing', async () => {
      const stats = new ClassStatistics(d, 2);
      for (const bad of [NaN, Infinity, -Infinity]) {
        const rows = gaussianRows(4, d, 1);
        rows[3 * d + 2] = bad;
        const t = tf.tensor2d(rows, [4, d]);
        await expectError(
            () => stats.update(t, [0, 1, 0, 1]), ValueError, /NaN or Inf/);
        t.dispose();
      }
      expect(stats.totalCount).toBe(0);
      stats.dispose();
    });

    it('rejects bad labels naming the entry and the expected range',
       async () => {
         const stats = new ClassStatistics(d, 2);
         const t = x();
         await expectError(
             () => stats.update(t, [0, 1, 2, 0]), ValueError,
             /\[2\] is 2.*\[0, 1\]/);
         await expectError(
             () => stats.update(t, [0, -1, 1, 0]), ValueError, /\[1\] is -1/);
         await expectError(
             () => stats.update(t, [0, 1.5, 1, 0]), ValueError, /1\.5/);
         await expectError(
             () => stats.update(t, [0, NaN, 1, 0]), ValueError, /NaN/);
         await expectError(
             () => stats.update(t, [0, 1, 0]), ValueError,
             /3 entries.*4 rows/);
         const notOneHot = tf.tensor2d([[1, 1], [0, 1], [1, 0], [0, 0]]);
         await expectError(
             () => stats.update(t, notOneHot), ValueError,
             /row 0 is not one-hot/);
         const wide = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
         await expectError(
             () => stats.update(t, wide as tf.Tensor2D), ValueError,
             /3 columns but there are 2 classes/);
         expect(stats.totalCount).toBe(0);
         tf.dispose([t, notOneHot, wide]);
         stats.dispose();
       });

    it('rejects a dimension mismatch and bad sizes', async () => {
      const stats = new ClassStatistics(d + 1);
      const t = x();
      await expectError(
          () => stats.update(t, [0, 0, 0, 0]), ValueError,
          /\[N, 7\], received a tensor of shape \[4, 6\]/);
      await expectError(() => new ClassStatistics(0), ValueError, /dim/);
      await expectError(
          () => new ClassStatistics(3, 1.5), ValueError, /numClasses/);
      await expectError(
          () => stats.merge(new ClassStatistics(2)), ValueError, /dim 7/);
      await expectError(
          () => stats.mean(0), ValueError, /class 0 has no rows/);
      await expectError(
          () => ClassStatistics.fromJSON({} as never), ValueError,
          /ClassStatistics.toJSON/);
      t.dispose();
      stats.dispose();
    });

    it('rejects row indices that are out of range or not Int32Array, and ' +
           'NaN in the picked rows, adding nothing',
       async () => {
         const stats = new ClassStatistics(d, 2);
         const t = x();
         await expectError(
             () => stats.updateRows(0, t, Int32Array.from([0, 4])),
             ValueError, /Int32Array of row indices in \[0, 4\)/);
         await expectError(
             () => stats.updateRows(0, t, Int32Array.from([-1])),
             ValueError, /\[0, 4\)/);
         await expectError(
             () => stats.updateRows(0, t, [0, 1] as never), ValueError,
             /Int32Array/);
         await expectError(
             () => stats.updateRows(2, t, Int32Array.from([0])), ValueError,
             /c/);
         const bad = tf.tensor2d(
             gaussianRows(4, d, 2).map((v, i) => (i === 9 ? NaN : v)), [4, d]);
         await expectError(
             () => stats.updateRows(1, bad, Int32Array.from([3, 1])),
             ValueError, /`x` contains NaN or Inf/);
         expect(stats.count(0) + stats.count(1)).toBe(0);
         tf.dispose([t, bad]);
         stats.dispose();
       });
  });
});
