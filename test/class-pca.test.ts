import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../src/errors';
import {SeededRandom} from '../src/linalg/random';
import {classPca, classPcaFromStatistics, classPcaSync}
    from '../src/pca/class-pca';
import {ClassStatistics} from '../src/stats/class-statistics';

import {expectError, largestPrincipalAngle, randomOrthogonal, referenceEigen,
        referenceMoments, rowsAsColumns, withoutLeaks} from './helpers';

const d = 24;
const C = 3;
const n = 400;
const basis = randomOrthogonal(d, 21);

/**
 * Class c lives mostly in its own 3-dimensional subspace (columns 3c..3c+2
 * of a fixed orthogonal matrix) with variances 9, 4, 1, plus isotropic
 * noise of variance 1e-4 and a class mean along column 20 + c.
 */
function syntheticClasses(seed = 3): {rows: Float32Array, labels: number[]} {
  const rng = new SeededRandom(seed);
  const rows = new Float32Array(C * n * d);
  const labels: number[] = [];
  for (let i = 0; i < C * n; i++) {
    const c = i % C;
    labels.push(c);
    const coef = [3, 2, 1].map(s => s * rng.normal());
    for (let r = 0; r < d; r++) {
      let v = 2 * basis.get(r, 20 + c) + 0.01 * rng.normal();
      coef.forEach((a, j) => v += a * basis.get(r, 3 * c + j));
      rows[i * d + r] = v;
    }
  }
  return {rows, labels};
}

function rowsOfClass(rows: Float32Array, labels: number[], c: number):
    Float32Array {
  const idx = labels.map((l, i) => (l === c ? i : -1)).filter(i => i >= 0);
  const out = new Float32Array(idx.length * d);
  idx.forEach((i, j) => out.set(rows.subarray(i * d, (i + 1) * d), j * d));
  return out;
}

describe('classPca', () => {
  const {rows, labels} = syntheticClasses();

  it('finds each class\'s known subspace (centered) like a float64 PCA',
     async () => {
       await withoutLeaks(async () => {
         const x = tf.tensor2d(rows, [C * n, d]);
         const pca = await classPca(x, labels, {components: 3, centered: true});
         x.dispose();
         expect(pca.numClasses).toBe(C);
         expect(pca.shortfalls).toEqual([]);
         expect(pca.converged).toEqual([true, true, true]);
         for (let c = 0; c < C; c++) {
           const cls = pca.classes[c];
           const own = rowsOfClass(rows, labels, c);
           const ref = referenceMoments(own, n, d);
           const eig = referenceEigen(ref.covariance, d);
           expect(cls.count).toBe(n);
           const got = rowsAsColumns(cls.components, 3, d);
           const top3 = eig.vectors.subMatrix(0, d - 1, 0, 2);
           expect(largestPrincipalAngle(got, top3))
               .toBeLessThan(1e-3);
           expect(largestPrincipalAngle(
                      got, basis.subMatrix(0, d - 1, 3 * c, 3 * c + 2)))
               .toBeLessThan(0.1);
           for (let i = 0; i < 3; i++) {
             expect(cls.eigenvalues[i] / eig.values[i]).toBeCloseTo(1, 3);
           }
           const trace = eig.values.reduce((a, b) => a + b, 0);
           expect(cls.explainedVarianceRatio[0])
               .toBeCloseTo(eig.values[0] / trace, 4);
         }
       });
     });

  it('fixes each component\'s sign so the class mean projects positive',
     async () => {
       const x = tf.tensor2d(rows, [C * n, d]);
       const pca = classPcaSync(x, labels, {components: 4});
       x.dispose();
       for (const cls of pca.classes) {
         // Uncentered, M_c = Σ_c + μ_c μ_cᵀ: the mean (norm 2) mixes into
         // the leading components, whose projections must all be positive.
         const dots = [0, 1, 2, 3].map(i => {
           let dot = 0;
           for (let r = 0; r < d; r++) {
             dot += cls.components[i * d + r] * cls.mean[r];
           }
           return dot;
         });
         dots.forEach(dot => expect(dot).toBeGreaterThanOrEqual(-1e-6));
         expect(Math.max(...dots)).toBeGreaterThan(0.5);
       }
     });

  it('uses at most samplesPerClass rows, the same ones for a seed',
     async () => {
       const x = tf.tensor2d(rows, [C * n, d]);
       const a = classPcaSync(x, labels, {components: 2, samplesPerClass: 50});
       const b = classPcaSync(x, labels, {components: 2, samplesPerClass: 50});
       const other = classPcaSync(
           x, labels, {components: 2, samplesPerClass: 50, seed: 9});
       x.dispose();
       expect(a.classes.map(c => c.count)).toEqual([50, 50, 50]);
       expect(Array.from(a.classes[0].mean))
           .toEqual(Array.from(b.classes[0].mean));
       expect(Array.from(a.classes[0].mean))
           .not.toEqual(Array.from(other.classes[0].mean));
     });

  it('gives the same result from a tf.data.Dataset as from tensors',
     async () => {
       await withoutLeaks(async () => {
         const x = tf.tensor2d(rows, [C * n, d]);
         const fromTensor = await classPca(x, labels, {components: 3});
         x.dispose();
         const ds = tfl.data.array(Array.from({length: C * n}, (_, i) => ({
                              xs: Array.from(rows.subarray(i * d, (i + 1) * d)),
                              ys: labels[i],
                            })))
                        .batch(128);
         const fromDataset = await classPca(ds, undefined, {components: 3});
         for (let c = 0; c < C; c++) {
           expect(fromDataset.classes[c].count).toBe(n);
           expect(largestPrincipalAngle(
                      rowsAsColumns(fromDataset.classes[c].components, 3, d),
                      rowsAsColumns(fromTensor.classes[c].components, 3, d)))
               .toBeLessThan(1e-3);
         }
       });
     });

  it('shares a budget by eigenvalue rank across classes', async () => {
    // Class 2 scaled up tenfold: it should win most of the budget.
    const scaled =
        rows.map((v, i) => labels[Math.floor(i / d)] === 2 ? 10 * v : v);
    const x = tf.tensor2d(scaled, [C * n, d]);
    const pca = classPcaSync(
        x, labels,
        {totalComponents: 5, allocation: 'eigenvalue', centered: true});
    const equal = classPcaSync(
        x, labels, {totalComponents: 5, centered: true});
    x.dispose();
    // Class 2's 400 and 100 beat every other class's second eigenvalue (4).
    expect(pca.classes.map(c => c.numComponents)).toEqual([1, 1, 3]);
    expect(equal.classes.map(c => c.numComponents)).toEqual([2, 2, 1]);
  });

  it('reports and fills a class with fewer rows than components',
     async () => {
       const few = [0, 1, 2].flatMap(
           c => c === 1 ? [c, c] : new Array(40).fill(c));
       const x = tf.tensor2d(rows.subarray(0, few.length * d), [few.length, d]);
       const plain = classPcaSync(x, few, {components: 5});
       const shrunk = classPcaSync(x, few, {components: 5, shrinkage: 'auto'});
       x.dispose();
       expect(plain.shortfalls).toEqual([{
         classIndex: 1, requested: 5, supported: 2, reason: 'fewer-samples',
       }]);
       const cls = plain.classes[1];
       expect(cls.components.every(Number.isFinite)).toBe(true);
       const got = rowsAsColumns(cls.components, 5, d);
       const gram = got.transpose().mmul(got);
       for (let i = 0; i < 5; i++) {
         expect(gram.get(i, i)).toBeCloseTo(1, 4);
       }
       expect(shrunk.classes[1].shrinkage).toBeGreaterThan(0.5);
       expect(shrunk.classes[0].shrinkage).toBeLessThan(
           shrunk.classes[1].shrinkage);
       // Still reported (two rows cannot support five components), but
       // now filled from the pooled matrix: every eigenvalue is real.
       expect(shrunk.shortfalls.map(f => f.classIndex)).toEqual([1]);
       const values = shrunk.classes[1].eigenvalues;
       expect(values[4]).toBeGreaterThan(1e-3 * values[0]);
       expect(plain.classes[1].eigenvalues[4])
           .toBeLessThan(1e-5 * plain.classes[1].eigenvalues[0]);
     });

  it('combines statistics from shards', async () => {
    const x = tf.tensor2d(rows, [C * n, d]);
    const whole = classPcaSync(x, labels, {components: 2});
    const half = C * n / 2;
    const a = new ClassStatistics(d);
    const b = new ClassStatistics(d);
    tf.tidy(() => {
      a.update(tf.slice(x, [0, 0], [half, d]), labels.slice(0, half));
      b.update(tf.slice(x, [half, 0], [half, d]), labels.slice(half));
    });
    x.dispose();
    const merged = classPcaFromStatistics(a.merge(b), {components: 2});
    [a, b].forEach(s => s.dispose());
    expect(largestPrincipalAngle(
               rowsAsColumns(merged.classes[1].components, 2, d),
               rowsAsColumns(whole.classes[1].components, 2, d)))
        .toBeLessThan(1e-3);
  });

  it('yields to the event loop between batches', async () => {
    const x = tf.tensor2d(rows, [C * n, d]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await classPca(x, labels, {components: 2, batchSize: 50});
    clearInterval(timer);
    x.dispose();
    expect(ticks).toBeGreaterThan(0);
  });

  it('reports progress through onProgress', async () => {
    const x = tf.tensor2d(rows, [C * n, d]);
    const events: string[] = [];
    classPcaSync(x, labels, {
      components: 2,
      batchSize: 100,
      onProgress: p => events.push(`${p.stage}:${p.done}/${p.total}`),
    });
    x.dispose();
    expect(events[0]).toBe('statistics:100/1200');
    expect(events).toContain('statistics:1200/1200');
    expect(events[events.length - 1]).toBe('components:3/3');
  });

  describe('distinct', () => {
    /**
     * Every class shares one strong direction (e0, standard deviation 5)
     * and has its own weaker pair (columns 1 + 2c, 2 + 2c, standard
     * deviations 2 and 1), plus noise: without `distinct` each class's top
     * component is e0 again.
     */
    function sharedDirection(dim: number, classes: number, rowsEach: number):
        {rows: Float32Array, labels: number[]} {
      const rng = new SeededRandom(5);
      const out = new Float32Array(classes * rowsEach * dim);
      const y: number[] = [];
      for (let i = 0; i < classes * rowsEach; i++) {
        const c = i % classes;
        y.push(c);
        const row = out.subarray(i * dim, (i + 1) * dim);
        row.forEach((_, j) => row[j] = 0.05 * rng.normal());
        row[0] += 5 * rng.normal();
        row[(1 + 2 * c) % dim] += 2 * rng.normal();
        row[(2 + 2 * c) % dim] += rng.normal();
      }
      return {rows: out, labels: y};
    }

    /** The same selection in float64 with a full eigendecomposition. */
    function referenceDistinct(
        data: Float32Array, y: number[], dim: number, classes: number,
        k: number): Array<{vectors: number[][], values: number[]}> {
      const moments = Array.from({length: classes}, (_, c) => {
        const m = new Float64Array(dim * dim);
        const own = y.map((l, i) => l === c ? i : -1).filter(i => i >= 0);
        for (const i of own) {
          for (let a = 0; a < dim; a++) {
            for (let b = 0; b < dim; b++) {
              m[a * dim + b] +=
                  data[i * dim + a] * data[i * dim + b] / own.length;
            }
          }
        }
        return m;
      });
      const taken: number[][] = [];
      const out = moments.map(() => ({vectors: [] as number[][],
                                      values: [] as number[]}));
      for (let round = 0; round < k; round++) {
        moments.forEach((m, c) => {
          const p = Array.from({length: dim}, (_, a) => Array.from(
              {length: dim}, (__, b) => (a === b ? 1 : 0) -
                  taken.reduce((s, t) => s + t[a] * t[b], 0)));
          const deflated = new Float64Array(dim * dim);
          for (let a = 0; a < dim; a++) {
            for (let b = 0; b < dim; b++) {
              let v = 0;
              for (let i = 0; i < dim; i++) {
                for (let j = 0; j < dim; j++) {
                  v += p[a][i] * m[i * dim + j] * p[j][b];
                }
              }
              deflated[a * dim + b] = v;
            }
          }
          const eig = referenceEigen(deflated, dim);
          const v = Array.from({length: dim}, (_, r) => eig.vectors.get(r, 0));
          taken.push(v);
          out[c].vectors.push(v);
          out[c].values.push(eig.values[0]);
        });
      }
      return out;
    }

    function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
      let s = 0;
      for (let i = 0; i < a.length; i++) {
        s += a[i] * b[i];
      }
      return s;
    }

    it('takes components in turns, each off those taken, like float64',
       async () => {
         const dim = 10;
         const {rows: data, labels: y} = sharedDirection(dim, 3, 300);
         const plainX = tf.tensor2d(data, [900, dim]);
         const plainTop = classPcaSync(plainX, y, {components: 1});
         plainX.dispose();
         // Without the option the three classes' first components are all
         // e0, nearly.
         for (const cls of plainTop.classes) {
           expect(Math.abs(cls.components[0])).toBeGreaterThan(0.99);
         }
         await withoutLeaks(async () => {
           const x = tf.tensor2d(data, [900, dim]);
           const pca = await classPca(x, y, {components: 2, distinct: true});
           x.dispose();
           const ref = referenceDistinct(data, y, dim, 3, 2);
           const all: Float32Array[] = [];
           pca.classes.forEach((cls, c) => {
             for (let i = 0; i < 2; i++) {
               const got = cls.components.subarray(i * dim, (i + 1) * dim);
               all.push(got);
               expect(Math.abs(dot(got, ref[c].vectors[i])))
                   .toBeGreaterThan(1 - 1e-4);
               expect(cls.eigenvalues[i] / ref[c].values[i])
                   .toBeCloseTo(1, 3);
             }
           });
           // Six mutually orthogonal unit components.
           all.forEach((a, i) => all.forEach((b, j) => expect(Math.abs(
               dot(a, b))).toBeCloseTo(i === j ? 1 : 0, 4)));
           expect(pca.converged).toEqual([true, true, true]);
         });
       });

    it('repeats a class\'s own components once the data has nothing left',
       async () => {
         const dim = 4;
         const {rows: data, labels: y} = sharedDirection(dim, 3, 300);
         const x = tf.tensor2d(data, [900, dim]);
         const events: string[] = [];
         const distinct = classPcaSync(x, y, {
           components: 2, distinct: true,
           onProgress: p => p.stage === 'components' &&
               events.push(`${p.done}/${p.total}`),
         });
         x.dispose();
         // Turns: classes 0, 1, 2, then class 0 again take four directions,
         // which span the features.
         const first = distinct.classes.map(
             cls => cls.components.subarray(0, dim));
         const fourth = distinct.classes[0].components.subarray(dim, 2 * dim);
         const four = [...first, fourth];
         four.forEach((a, i) => four.forEach((b, j) => expect(Math.abs(
             dot(a, b))).toBeCloseTo(i === j ? 1 : 0, 4)));
         // Classes 1 and 2 then have no direction left that the data
         // varies along and nobody took: they repeat their first
         // component, with eigenvalue 0, a shortfall (a direction without
         // variance would get an unbounded scale in the layer).
         for (const c of [1, 2]) {
           const cls = distinct.classes[c];
           const second = cls.components.subarray(dim, 2 * dim);
           expect(dot(second, first[c])).toBeCloseTo(1, 5);
           expect(cls.eigenvalues[1]).toBe(0);
         }
         expect(distinct.shortfalls.map(f => [f.classIndex, f.supported]))
             .toEqual([[1, 1], [2, 1]]);
         expect(distinct.converged).toEqual([true, true, true]);
         expect(events).toEqual(['1/6', '2/6', '3/6', '4/6', '5/6', '6/6']);
       });

    it('fills a class without more variance from directions other ' +
           'classes have',
       async () => {
         // 5 rows per class in 60 features: each class spans at most 5
         // directions, the data 15, and every place beyond must come from
         // those, not from directions without variance.
         const dim = 60;
         const rng = new SeededRandom(8);
         const yy = Array.from({length: 15}, (_, i) => i % 3);
         const data = rng.normals(15 * dim).map((v, i) =>
             v + (i % dim === yy[Math.floor(i / dim)] ? 3 : 0));
         const x = tf.tensor2d(data, [15, dim]);
         const pca = classPcaSync(x, yy, {components: 12, distinct: true});
         // Every component's variance over the rows is at least 1e-6 of
         // the largest: none lies outside the data.
         const variances = pca.classes.flatMap(c => Array.from(c.dataVariance));
         const top = Math.max(...variances);
         variances.forEach(v => expect(v).toBeGreaterThan(1e-6 * top));
         x.dispose();
       });

    it('keeps a rank-deficient class\'s components orthonormal and ' +
           'works at any scale',
       async () => {
         const dim = 10;
         const {rows: data, labels: y} = sharedDirection(dim, 3, 300);
         // Class 0's rows all the same: one direction, then nothing.
         const row0 = data.slice(0, dim);
         y.forEach((c, i) => c === 0 && data.set(row0, i * dim));
         const results = [1, 1e9, 1e-15].map(scale => {
           const x = tf.tensor2d(data.map(v => v * scale), [900, dim]);
           const pca = classPcaSync(x, y, {components: 3, distinct: true});
           x.dispose();
           return pca;
         });
         const [plain, large, small] = results;
         const cls = plain.classes[0];
         const rowsOf = (a: Float32Array) => [0, 1, 2].map(
             i => a.subarray(i * dim, (i + 1) * dim));
         const own = rowsOf(cls.components);
         own.forEach((a, i) => own.forEach((b, j) => expect(Math.abs(
             dot(a, b))).toBeCloseTo(i === j ? 1 : 0, 4)));
         expect(Array.from(cls.eigenvalues.subarray(1))).toEqual([0, 0]);
         expect(cls.eigenvalues[0]).toBeGreaterThan(0);
         expect(plain.shortfalls.map(f => [f.classIndex, f.supported]))
             .toEqual([[0, 1]]);
         expect(plain.converged).toEqual([true, true, true]);
         // Scaling the data scales the eigenvalues, not the components.
         for (const [other, scale] of [[large, 1e9], [small, 1e-15]] as
              Array<[typeof plain, number]>) {
           other.classes.forEach((o, c) => {
             const p = plain.classes[c];
             for (let i = 0; i < 3; i++) {
               if (p.eigenvalues[i] === 0) {
                 continue;  // a random fill-in
               }
               expect(Math.abs(dot(
                          o.components.subarray(i * dim, (i + 1) * dim),
                          p.components.subarray(i * dim, (i + 1) * dim))))
                   .toBeGreaterThan(1 - 1e-4);
               expect(o.eigenvalues[i] / (p.eigenvalues[i] * scale * scale))
                   .toBeCloseTo(1, 3);
             }
           });
         }
       });

    it('rejects a non-boolean and the eigenvalue allocation', async () => {
      const x = tf.tensor2d(rows, [C * n, d]);
      await expectError(
          () => classPca(x, labels, {distinct: 1 as never}), ValueError,
          /distinct.*boolean.*received 1/);
      await expectError(
          () => classPca(x, labels, {totalComponents: 6, distinct: true,
                                     allocation: 'eigenvalue'}),
          ValueError, /cannot be combined with `allocation: 'eigenvalue'`/);
      for (const tolerance of [0, -1]) {
        await expectError(
            () => classPca(x, labels, {
              components: 2, distinct: true, solver: {tolerance},
            }),
            ValueError, /`tolerance` must be a positive number/);
      }
      x.dispose();
    });
  });

  describe('bad input', () => {
    it('rejects a class with no rows, naming it', async () => {
      const x = tf.tensor2d(rows.subarray(0, 4 * d), [4, d]);
      await expectError(
          () => classPca(x, [0, 2, 0, 2], {components: 1}), ValueError,
          /class 1 has no rows/);
      await expectError(
          () => classPca(x, [0, 1, 0, 1], {components: 1, numClasses: 3}),
          ValueError, /class 2 has no rows/);
      x.dispose();
    });

    it('rejects impossible component counts and bad options', async () => {
      const x = tf.tensor2d(rows, [C * n, d]);
      await expectError(
          () => classPca(x, labels, {components: d + 1}), ValueError,
          /25 components per class.*only 24 features/);
      await expectError(
          () => classPca(x, labels, {totalComponents: 2}), ValueError,
          /smaller than the number of classes \(3\)/);
      await expectError(
          () => classPca(x, labels, {shrinkage: 2}), ValueError,
          /shrinkage.*\[0, 1\].*received 2/);
      await expectError(
          () => classPca(x, labels, {componnets: 3} as never), ValueError,
          /unknown option "componnets"/);
      await expectError(
          () => classPca(x, labels, {samplesPerClass: 0}), ValueError,
          /samplesPerClass.*positive integer.*received 0/);
      await expectError(
          () => classPca(x, labels, {allocation: 'rank' as never}),
          ValueError, /'equal' or 'eigenvalue'/);
      x.dispose();
    });

    it('rejects NaN rows and mismatched lengths without leaks', async () => {
      const bad = rows.slice(0, 30 * d);
      bad[29 * d] = NaN;
      const x = tf.tensor2d(bad, [30, d]);
      const vector = tf.zeros([3]);
      const y = labels.slice(0, 30);
      await expectError(() => classPca(x, y), ValueError, /NaN or Inf/);
      await expectError(
          () => classPca(x, y.slice(1)), ValueError, /29 entries.*30 rows/);
      await expectError(
          () => classPca(vector as never, [0, 1, 2]), ValueError,
          /Tensor2D/);
      tf.dispose([x, vector]);
    });

    it('rejects a dataset with separate labels or bad elements', async () => {
      const ds = tfl.data.array([{xs: [[1, 2]], ys: [0]}]);
      await expectError(
          () => classPca(ds as never, [0]), ValueError, /carries its labels/);
      const flat = tfl.data.array([{xs: [1, 2], ys: 0}]);
      await expectError(
          () => classPca(flat as never), ValueError, /\{xs: Tensor2D/);
      const empty = tfl.data.array([] as Array<{xs: number[]}>).batch(4);
      await expectError(
          () => classPca(empty as never), ValueError, /no batches/);
    });
  });
});
