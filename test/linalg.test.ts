import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../src/errors';
import {symmetricEigen} from '../src/linalg/symmetric-eigen';
import {topEigen} from '../src/linalg/top-eigen';

import {expectError, largestPrincipalAngle, orthonormalityError,
        randomOrthogonal, referenceEigen, rowsAsColumns, withoutLeaks,
        withSpectrum} from './helpers';

describe('symmetricEigen (host, float64)', () => {
  it('matches a float64 reference on a random symmetric matrix', () => {
    const n = 12;
    const q = randomOrthogonal(n, 5);
    const spectrum = Array.from({length: n}, (_, i) => 3 - 0.5 * i);
    const a = withSpectrum(q, spectrum);
    const {values, vectors} = symmetricEigen(a, n);
    spectrum.forEach((v, i) => expect(values[i]).toBeCloseTo(v, 5));
    // Each row is a unit eigenvector: ‖A·v − λ·v‖ small.
    for (let i = 0; i < n; i++) {
      let residual = 0;
      for (let r = 0; r < n; r++) {
        let av = 0;
        for (let c = 0; c < n; c++) {
          av += a[r * n + c] * vectors[i * n + c];
        }
        residual += (av - values[i] * vectors[i * n + r]) ** 2;
      }
      expect(Math.sqrt(residual)).toBeLessThan(1e-5);
    }
  });

  it('returns a diagonal matrix\'s entries sorted, with unit vectors', () => {
    const {values, vectors} = symmetricEigen([1, 0, 0, 0, 5, 0, 0, 0, 3], 3);
    expect(Array.from(values)).toEqual([5, 3, 1]);
    expect(Array.from(vectors)).toEqual([0, 1, 0, 0, 0, 1, 1, 0, 0]);
  });
});

describe('topEigen (backend subspace iteration)', () => {
  const d = 120;
  const k = 10;
  const q = randomOrthogonal(d, 11);
  // A power-law spectrum, as in image data, with clear gaps at the top.
  const spectrum = Array.from({length: d}, (_, i) => 1 / (i + 1) ** 1.5);
  const a32 = withSpectrum(q, spectrum);
  const reference = referenceEigen(a32, d);

  /** Checks the top k pairs against a float64 reference. */
  function expectReference(
      result: ReturnType<typeof topEigen>[number],
      ref: ReturnType<typeof referenceEigen>) {
    expect(result.converged).toBe(true);
    for (let i = 0; i < k; i++) {
      const rel = Math.abs(result.values[i] - ref.values[i]) / ref.values[i];
      expect(rel).toBeLessThan(1e-4);
      const single = largestPrincipalAngle(
          rowsAsColumns(result.vectors.subarray(i * d, (i + 1) * d), 1, d),
          ref.vectors.subMatrix(0, d - 1, i, i));
      expect(single).toBeLessThan(1e-3);
    }
  }

  it.each([1, 2, 4])(
      'matches float64 eigenvalues to 1e-4 and eigenvectors to 1e-3 rad ' +
          '(filter degree %i)',
      async filterDegree => {
        await withoutLeaks(() => {
          const a = tf.tensor2d(a32, [d, d]);
          const [result] = topEigen([a], k, {filterDegree});
          a.dispose();
          expectReference(result, reference);
        });
      });

  it('with a dominant eigenvalue (an uncentred moment), the filter ' +
         'converges to the reference in fewer iterations',
     async () => {
       // λ₁ fifty times λ₂, as the mean direction of pixel data.
       const dominant = spectrum.map((v, i) => i === 0 ? 50 * spectrum[1] : v);
       const b32 = withSpectrum(q, dominant);
       const ref = referenceEigen(b32, d);
       await withoutLeaks(() => {
         const b = tf.tensor2d(b32, [d, d]);
         const [plain] = topEigen([b], k, {filterDegree: 1});
         const [filtered] = topEigen([b], k, {filterDegree: 4});
         b.dispose();
         expectReference(plain, ref);
         expectReference(filtered, ref);
         expect(filtered.iterations).toBeLessThan(plain.iterations);
       });
     });

  it('is deterministic for a seed and solves several matrices at once',
     async () => {
       await withoutLeaks(() => {
         const a = tf.tensor2d(a32, [d, d]);
         const b = tf.mul(a, 2) as tf.Tensor2D;
         const first = topEigen([a, b], [k, 3], {seed: 4});
         const again = topEigen([a, b], [k, 3], {seed: 4});
         tf.dispose([a, b]);
         expect(Array.from(first[0].vectors))
             .toEqual(Array.from(again[0].vectors));
         expect(first[1].values.length).toBe(3);
         first[1].values.forEach(
             (v, i) => expect(v / (2 * reference.values[i])).toBeCloseTo(1, 4));
       });
     });

  it('gives an orthonormal basis of a repeated eigenvalue\'s eigenspace',
     async () => {
       // Eigenvalue 2 with multiplicity 4 on top, then 1, 0.5, ...
       const values = [2, 2, 2, 2, ...spectrum.slice(0, d - 4)];
       const a32r = withSpectrum(q, values);
       const a = tf.tensor2d(a32r, [d, d]);
       const [result] = topEigen([a], 4);
       a.dispose();
       const basis = rowsAsColumns(result.vectors, 4, d);
       expect(orthonormalityError(basis)).toBeLessThan(1e-4);
       expect(largestPrincipalAngle(basis, q.subMatrix(0, d - 1, 0, 3)))
           .toBeLessThan(1e-3);
       result.values.forEach(v => expect(v).toBeCloseTo(2, 4));
     });

  it('handles a rank-deficient matrix without NaN', async () => {
    // Rank 3: the other 5 requested pairs have eigenvalue 0.
    const values = [3, 2, 1, ...new Array(d - 3).fill(0)];
    const a = tf.tensor2d(withSpectrum(q, values), [d, d]);
    const [result] = await withoutLeaks(() => topEigen([a], 8));
    a.dispose();
    expect(result.vectors.every(Number.isFinite)).toBe(true);
    const basis = rowsAsColumns(result.vectors, 8, d);
    expect(orthonormalityError(basis)).toBeLessThan(1e-4);
    expect(result.values[2]).toBeCloseTo(1, 4);
    for (let i = 3; i < 8; i++) {
      expect(Math.abs(result.values[i])).toBeLessThan(1e-5);
    }
    expect(largestPrincipalAngle(
               rowsAsColumns(result.vectors, 3, d),
               q.subMatrix(0, d - 1, 0, 2)))
        .toBeLessThan(1e-3);
  });

  it('handles the zero matrix', async () => {
    const a = tf.zeros([6, 6]) as tf.Tensor2D;
    const [result] = topEigen([a], 2);
    a.dispose();
    expect(Array.from(result.values)).toEqual([0, 0]);
    expect(orthonormalityError(rowsAsColumns(result.vectors, 2, 6)))
        .toBeLessThan(1e-5);
  });

  it('rejects bad arguments with ValueError, without leaks', async () => {
    const a = tf.zeros([4, 4]) as tf.Tensor2D;
    const rect = tf.zeros([4, 3]) as tf.Tensor2D;
    await expectError(() => topEigen([a], 5), ValueError, /\[1, 4\].*5/);
    await expectError(() => topEigen([a], 0), ValueError, /received 0/);
    await expectError(() => topEigen([rect], 1), ValueError, /square/);
    await expectError(() => topEigen([a], [1, 2]), ValueError, /2 entries/);
    for (const filterDegree of [0, 1.5, 17, NaN]) {
      await expectError(() => topEigen([a], 1, {filterDegree}), ValueError,
                        /filterDegree.*1 to 16/);
    }
    tf.dispose([a, rect]);
  });
});
