/**
 * Attempts to break ClassStatistics.updateRows and the host path
 * (centred-rows.ts, symmetric-blocks.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../src/errors';
import {ClassStatistics} from '../src/stats/class-statistics';
import {gaussianRows, maxAbs, maxAbsDiff, referenceMoments, withoutLeaks}
    from './helpers';

function rowsOf(values: ArrayLike<number>, n: number, d: number) {
  return tf.tensor2d(Float32Array.from(values), [n, d]);
}

describe('ClassStatistics.updateRows: nothing added when it throws', () => {
  it('a NaN row does not grow the class count (growing classes)', async () => {
    const stats = new ClassStatistics(3);
    const x = rowsOf([1, 2, 3, NaN, 5, 6], 2, 3);
    await withoutLeaks(() => {
      expect(() => stats.updateRows(4, x, Int32Array.from([0, 1])))
          .toThrow(ValueError);
    });
    // "Nothing is added when it throws": the class count stays 0.
    expect(stats.numClasses).toBe(0);
    expect(stats.toJSON().counts).toEqual([]);
    x.dispose();
    stats.dispose();
  });

  it('updateClass with an Inf row does not grow the class count', () => {
    const stats = new ClassStatistics(2);
    const x = rowsOf([1, Infinity], 1, 2);
    expect(() => stats.updateClass(2, x)).toThrow(ValueError);
    expect(stats.numClasses).toBe(0);
    x.dispose();
    stats.dispose();
  });
});

describe('ClassStatistics: finite inputs of large magnitude', () => {
  it('finite rows near ±3e38 give a finite mean or a ValueError', () => {
    // Both rows finite; their centred values (±3e38 about a shift of
    // -3e38 then +3e38) overflow float32 in the host path's centring.
    const stats = new ClassStatistics(1);
    const a = rowsOf([-3e38], 1, 1);
    const b = rowsOf([3e38], 1, 1);
    stats.updateRows(0, a, Int32Array.from([0]));
    let threw = false;
    try {
      stats.updateRows(0, b, Int32Array.from([0]));
    } catch (e) {
      expect(e).toBeInstanceOf(ValueError);
      threw = true;
    }
    if (!threw) {
      const mean = stats.mean(0);
      // The true mean is 0.
      expect(Number.isFinite(mean.dataSync()[0])).toBe(true);
      mean.dispose();
    }
    a.dispose();
    b.dispose();
    stats.dispose();
  });

  it('rows of magnitude 1e30 give a finite covariance or a ValueError',
     () => {
       const d = 4;
       const g = gaussianRows(20, d, 3);
       const big = Float32Array.from(g, v => v * 1e30);
       const x = rowsOf(big, 20, d);
       const stats = new ClassStatistics(d);
       let threw = false;
       try {
         stats.updateRows(0, x, Int32Array.from({length: 20}, (_, i) => i));
       } catch (e) {
         expect(e).toBeInstanceOf(ValueError);
         threw = true;
       }
       if (!threw) {
         const cov = stats.covariance(0);
         const values = cov.dataSync();
         // (1e30)² overflows float32: a covariance of Inf/NaN is silently
         // returned for finite inputs.
         expect(Array.from(values).every(Number.isFinite)).toBe(true);
         cov.dispose();
       }
       x.dispose();
       stats.dispose();
     });
});

describe('ClassStatistics.updateRows: values and layouts', () => {
  it('-0, subnormals, repeated rows agree with the float64 reference',
     () => {
       const d = 3;
       const data = [-0, 1e-40, 2, 0, -1e-42, 3, 5, 6, -7];
       const x = rowsOf(data, 3, d);
       const rows = Int32Array.from([2, 2, 0, 1, 2]);
       const picked: number[] = [];
       rows.forEach(r => picked.push(...Array.from(
           x.dataSync().subarray(r * d, (r + 1) * d))));
       const ref = referenceMoments(picked, rows.length, d);
       const stats = new ClassStatistics(d);
       stats.updateRows(1, x, rows);
       const mean = stats.mean(1);
       const cov = stats.covariance(1);
       expect(maxAbsDiff(mean.dataSync(), ref.mean)).toBeLessThan(1e-5);
       expect(maxAbsDiff(cov.dataSync(), ref.covariance)).toBeLessThan(1e-4);
       expect(stats.count(1)).toBe(5);
       tf.dispose([mean, cov, x]);
       stats.dispose();
     });

  it('int32 and bool tensors agree with float32', () => {
    const x = tf.tensor2d([[1, 0], [0, 1], [1, 1]], [3, 2], 'int32');
    const b = tf.tensor2d([[1, 0], [0, 1], [1, 1]], [3, 2], 'bool');
    const f = tf.tensor2d([[1, 0], [0, 1], [1, 1]], [3, 2], 'float32');
    const rows = Int32Array.from([0, 2, 1]);
    const covs = [x, b, f].map(t => {
      const s = new ClassStatistics(2);
      s.updateRows(0, t as tf.Tensor2D, rows);
      const c = s.covariance(0);
      const v = c.dataSync().slice();
      c.dispose();
      s.dispose();
      return v;
    });
    expect(maxAbsDiff(covs[0], covs[2])).toBeLessThan(1e-6);
    expect(maxAbsDiff(covs[1], covs[2])).toBeLessThan(1e-6);
    tf.dispose([x, b, f]);
  });

  it('empty rows array adds nothing, leaks nothing', async () => {
    const stats = new ClassStatistics(2);
    const x = rowsOf([1, 2], 1, 2);
    await withoutLeaks(() => stats.updateRows(0, x, new Int32Array(0)));
    expect(stats.totalCount).toBe(0);
    x.dispose();
    stats.dispose();
  });

  for (const d of [1, 111, 112, 113, 168, 225]) {
    it(`dim ${d}: host path, merge and toJSON agree with float64`,
       async () => {
         const n = 40;
         const values = gaussianRows(n, d, d);
         // A large mean next to the spread.
         const shifted = Float32Array.from(values, (v, i) => v + 100 + i % d);
         const x = rowsOf(shifted, n, d);
         const ref = referenceMoments(shifted, n, d);
         await withoutLeaks(() => {
           const a = new ClassStatistics(d);
           const b = new ClassStatistics(d);
           a.updateRows(0, x, Int32Array.from({length: 15}, (_, i) => i));
           b.updateRows(0, x, Int32Array.from({length: 25}, (_, i) => i + 15));
           a.merge(b);
           const c = ClassStatistics.fromJSON(a.toJSON());
           for (const s of [a, c]) {
             const mean = s.mean(0);
             const cov = s.covariance(0);
             expect(maxAbsDiff(mean.dataSync(), ref.mean)).toBeLessThan(1e-3);
             const covErr = maxAbsDiff(cov.dataSync(), ref.covariance);
             expect(covErr / maxAbs(ref.covariance)).toBeLessThan(1e-4);
             tf.dispose([mean, cov]);
           }
           [a, b, c].forEach(s => s.dispose());
         });
         x.dispose();
       });
  }

  it('dim 500 agrees with the float64 reference', async () => {
    const n = 300;
    const d = 500;
    const values = gaussianRows(n, d, 7);
    const x = rowsOf(values, n, d);
    const ref = referenceMoments(values, n, d);
    await withoutLeaks(() => {
      const s = new ClassStatistics(d, 2);
      s.updateRows(1, x, Int32Array.from({length: 200}, (_, i) => i));
      s.updateRows(1, x, Int32Array.from({length: 100}, (_, i) => i + 200));
      const cov = s.covariance(1);
      const err = maxAbsDiff(cov.dataSync(), ref.covariance);
      expect(err).toBeLessThan(1e-4);
      cov.dispose();
      s.dispose();
    });
    x.dispose();
  });
});
