import * as tf from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors';
import {centredRows, FLOAT32_MAX} from './centred-rows';
import {gatherRows, hostRowReader} from './gather-rows';
import {assembleBlocks, blockBounds, gramBlocksFromHost, gramBlocksFromTensor,
        splitBlocks, SymmetricBlocks} from './symmetric-blocks';
import {LabelsInput, MAX_CLASSES, readLabels} from './labels';

/** Plain-JSON form of {@link ClassStatistics}; see `toJSON`. */
export interface ClassStatisticsJSON {
  format: 'tfjs-pca/class-statistics';
  version: 1;
  /** Features per row. */
  dim: number;
  /** The fixed number of classes, or null when it grows with the labels. */
  numClasses: number|null;
  /** Rows seen per class. */
  counts: number[];
  /** Per class, the reference point s the sums are taken about (or null). */
  shifts: Array<number[]|null>;
  /** Per class, Σ(x − s) (d values, or null). */
  sums: Array<number[]|null>;
  /** Per class, Σ(x − s)(x − s)ᵀ row-major (d² values, or null). */
  moments: Array<number[]|null>;
}

/**
 * Streaming per-class statistics of the rows of a layer input: count, sum
 * and uncentered second moment, accumulated batch by batch with tf ops on
 * the active backend.
 *
 * For class c with n_c rows, from these follow the class mean
 * μ_c = E[x | c], the second moment M_c = E[xxᵀ | c] and the covariance
 * Σ_c = M_c − μ_c μ_cᵀ.
 *
 * Precision: float32 loses the covariance when the mean is large next to
 * the spread (M_c − μ_c μ_cᵀ cancels). So each class keeps its sums about a
 * reference point s_c, the mean of the first rows it saw:
 * t_c = Σ(x − s_c), S_c = Σ(x − s_c)(x − s_c)ᵀ, and
 * Σ_c = S_c / n_c − (t_c / n_c)(t_c / n_c)ᵀ, where t_c / n_c is small.
 *
 * Accumulators are additive: {@link ClassStatistics.merge} of two equals
 * one accumulated over the union of their rows, and `toJSON` / `fromJSON`
 * round-trip them, so statistics computed on shards combine. Memory is
 * C·d² floats on the backend plus one batch.
 *
 * @example
 * ```js
 * const stats = new ClassStatistics(2);
 * stats.update(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), [0, 1, 1]);
 * stats.mean(1).print(); // [4, 5]
 * stats.dispose();
 * ```
 */
export class ClassStatistics {
  /** Features per row. */
  readonly dim: number;
  private readonly fixedClasses: number|undefined;
  private readonly counts: number[] = [];
  private readonly shifts: Array<Float32Array|null> = [];
  private readonly sums: Array<tf.Tensor1D|null> = [];
  /** Per class, S_c as symmetric blocks cut at `bounds`. */
  private readonly moments: Array<SymmetricBlocks|null> = [];
  private readonly bounds: number[];

  /**
   * @param dim - Features per row, a positive integer.
   * @param numClasses - The number of classes, if known. Labels at or above it
   *   are then errors; without it, the class count grows with the labels.
   * @throws ValueError for a non-positive or non-integer size.
   */
  constructor(dim: number, numClasses?: number) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new ValueError(
          `ClassStatistics: \`dim\` must be a positive integer, received ` +
          `${describe(dim)}.`);
    }
    if (numClasses !== undefined &&
        (!Number.isInteger(numClasses) || numClasses < 1 ||
         numClasses > MAX_CLASSES)) {
      throw new ValueError(
          `ClassStatistics: \`numClasses\` must be an integer in ` +
          `[1, ${MAX_CLASSES}], received ${describe(numClasses)}.`);
    }
    this.dim = dim;
    this.bounds = blockBounds(dim);
    this.fixedClasses = numClasses;
    this.grow(numClasses ?? 0);
  }

  /** The number of classes: fixed at construction, or 1 + largest label. */
  get numClasses(): number {
    return this.fixedClasses ?? this.counts.length;
  }

  /** Rows seen for class `c`. */
  count(c: number): number {
    return this.counts[c] ?? 0;
  }

  /** Rows seen in all. */
  get totalCount(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Adds a batch of rows with their labels.
   *
   * @param x - A Tensor2D of shape [N, dim], finite values.
   * @param labels - N class indices (tensor or array) or an N×C one-hot
   *   Tensor2D.
   * @throws ValueError for a shape mismatch, NaN or Inf in `x`, or a bad
   *   label. Nothing is added when it throws.
   */
  update(x: tf.Tensor2D, labels: LabelsInput): void {
    checkRows(x, this.dim, 'x');
    const classOf = readLabels(labels, x.shape[0], this.fixedClasses);
    if (labels instanceof tf.Tensor && labels.rank === 2) {
      // One-hot rows name every class, seen or not.
      this.grow((labels as tf.Tensor2D).shape[1]);
    }
    if (x.shape[0] === 0) {
      return;
    }
    checkFinite(x, 'x');
    const groups = groupByClass(classOf);
    groups.forEach(
        (rows, c) => this.addRows(c, x, Int32Array.from(rows), 'x'));
  }

  /**
   * Adds rows that all belong to class `c`: the fast path when the caller
   * has already grouped rows by class.
   *
   * @param c - The class of every row.
   * @param rows - A Tensor2D of shape [n, dim].
   * @param argName - The name error messages give `rows`. Defaults to 'rows'.
   * @throws ValueError for a shape mismatch, NaN or Inf, or a bad class.
   */
  updateClass(c: number, rows: tf.Tensor2D, argName = 'rows'): void {
    checkRows(rows, this.dim, argName);
    readLabels([c], 1, this.fixedClasses, 'c');
    if (rows.shape[0] === 0) {
      return;
    }
    if (hostRowReader(rows) !== null) {
      // The host path checks the values as it copies them.
      this.addRows(c, rows, rowRange(rows.shape[0]), argName);
      return;
    }
    checkFinite(rows, argName);
    this.accumulate(c, rows);
  }

  /**
   * Adds the rows `rows` of `x`, all of class `c`: what `updateClass` does
   * with `tf.gather(x, rows)`, without building that tensor.
   *
   * @param c - The class of every row.
   * @param x - A Tensor2D of shape [N, dim].
   * @param rows - Row indices into `x`, integers in [0, N).
   * @param argName - The name error messages give `x`. Defaults to 'x'.
   * @throws ValueError for a shape mismatch, NaN or Inf in the rows, a bad
   *   class or a row index out of range. Nothing is added when it throws.
   */
  updateRows(c: number, x: tf.Tensor2D, rows: Int32Array, argName = 'x'):
      void {
    checkRows(x, this.dim, argName);
    readLabels([c], 1, this.fixedClasses, 'c');
    const n = x.shape[0];
    if (!(rows instanceof Int32Array) ||
        rows.some(r => r < 0 || r >= n)) {
      throw new ValueError(
          `ClassStatistics.updateRows: \`rows\` must be an Int32Array of ` +
          `row indices in [0, ${n}), received ${describe(rows)}.`);
    }
    if (rows.length === 0) {
      return;
    }
    this.addRows(c, x, rows, argName);
  }

  /**
   * Adds the statistics of `other` to these, as if its rows had been added
   * here. `other` is unchanged.
   *
   * @throws ValueError if the dimensions differ or `other` has classes
   *   beyond this accumulator's fixed class count.
   */
  merge(other: ClassStatistics): this {
    if (!(other instanceof ClassStatistics) || other.dim !== this.dim) {
      throw new ValueError(
          `ClassStatistics.merge: expected statistics with dim ${this.dim}, ` +
          `received ${other instanceof ClassStatistics ?
              `dim ${other.dim}` : describe(other)}.`);
    }
    const used = other.counts.reduce((top, n, c) => n > 0 ? c + 1 : top, 0);
    if (this.fixedClasses !== undefined && used > this.fixedClasses) {
      throw new ValueError(
          `ClassStatistics.merge: the other statistics have rows of class ` +
          `${used - 1} but these hold ${this.fixedClasses} classes.`);
    }
    this.grow(used);
    for (let c = 0; c < used; c++) {
      if (other.counts[c] > 0) {
        this.mergeClass(
            c, other.counts[c], other.shifts[c] as Float32Array,
            other.sums[c] as tf.Tensor1D, other.moments[c] as SymmetricBlocks);
      }
    }
    return this;
  }

  /**
   * The class mean μ_c, shape [dim]. The caller disposes it.
   * @throws ValueError if class `c` has no rows.
   */
  mean(c: number): tf.Tensor1D {
    this.checkClass(c);
    const n = this.counts[c];
    return tf.tidy(() => tf.add(
        tf.tensor1d(this.shifts[c] as Float32Array),
        tf.div(this.sums[c] as tf.Tensor1D, n)));
  }

  /**
   * The covariance Σ_c = E[(x − μ_c)(x − μ_c)ᵀ | c], shape [dim, dim], with
   * divisor n_c. The caller disposes it.
   * @throws ValueError if class `c` has no rows.
   */
  covariance(c: number): tf.Tensor2D {
    this.checkClass(c);
    const n = this.counts[c];
    return tf.tidy(() => {
      const offset: tf.Tensor1D = tf.div(this.sums[c] as tf.Tensor1D, n);
      return tf.sub(tf.div(this.moment(c), n), outer(offset, offset));
    });
  }

  /**
   * The uncentered second moment M_c = E[xxᵀ | c] = Σ_c + μ_c μ_cᵀ, shape
   * [dim, dim]. The caller disposes it.
   * @throws ValueError if class `c` has no rows.
   */
  secondMoment(c: number): tf.Tensor2D {
    return tf.tidy(() => {
      const mu = this.mean(c);
      return tf.add(this.covariance(c), outer(mu, mu));
    });
  }

  /**
   * The mean and covariance of all rows together, whatever their class:
   * Σ = Σ_c (n_c / N)·[Σ_c + (μ_c − μ)(μ_c − μ)ᵀ], written this way so that
   * no large terms cancel. The caller disposes both.
   * @throws ValueError if no rows were seen.
   */
  total(): {mean: tf.Tensor1D, covariance: tf.Tensor2D} {
    const n = this.totalCount;
    if (n === 0) {
      throw new ValueError('ClassStatistics.total: no rows were added.');
    }
    return tf.tidy(() => {
      const present = this.counts.map((count, c) => c).filter(
          c => this.counts[c] > 0);
      const means = present.map(c => this.mean(c));
      const mean = tf.addN(
          means.map((mu, i) => tf.mul(mu, this.counts[present[i]] / n))) as
          tf.Tensor1D;
      const covariance = tf.addN(present.map((c, i) => {
        const between: tf.Tensor1D = tf.sub(means[i], mean);
        return tf.mul(
            tf.add(this.covariance(c), outer(between, between)),
            this.counts[c] / n);
      }));
      return {mean: mean as tf.Tensor1D, covariance: covariance as tf.Tensor2D};
    });
  }

  /** Reads the accumulators to plain JSON (blocking reads of C·d² values). */
  toJSON(): ClassStatisticsJSON {
    const read = (t: tf.Tensor|null) => t === null ?
        null : Array.from(t.dataSync());
    return {
      format: 'tfjs-pca/class-statistics',
      version: 1,
      dim: this.dim,
      numClasses: this.fixedClasses ?? null,
      counts: this.counts.slice(),
      shifts: this.shifts.map(s => s === null ? null : Array.from(s)),
      sums: this.sums.map(read),
      moments: this.moments.map((_, c) => {
        if (this.counts[c] === 0) {
          return null;
        }
        const full = this.moment(c);
        try {
          return read(full);
        } finally {
          full.dispose();
        }
      }),
    };
  }

  /**
   * Rebuilds statistics written by `toJSON`.
   * @throws ValueError if `json` is not such an object or its sizes disagree.
   */
  static fromJSON(json: ClassStatisticsJSON): ClassStatistics {
    checkJson(json);
    const stats =
        new ClassStatistics(json.dim, json.numClasses ?? undefined);
    const d = json.dim;
    stats.grow(json.counts.length);
    json.counts.forEach((n, c) => {
      if (n === 0) {
        return;
      }
      stats.counts[c] = n;
      stats.shifts[c] = Float32Array.from(json.shifts[c] as number[]);
      stats.sums[c] = tf.keep(tf.tensor1d(json.sums[c] as number[]));
      stats.moments[c] = tf.tidy(() => splitBlocks(
          tf.tensor2d(json.moments[c] as number[], [d, d]), stats.bounds))
          .map(t => tf.keep(t));
    });
    return stats;
  }

  /** Frees the backend memory. The object cannot be used afterwards. */
  dispose(): void {
    this.sums.forEach(t => t?.dispose());
    this.moments.forEach(blocks => tf.dispose(blocks ?? []));
    this.sums.fill(null);
    this.moments.fill(null);
    this.shifts.fill(null);
    this.counts.fill(0);
  }

  private grow(numClasses: number) {
    while (this.counts.length < numClasses) {
      this.counts.push(0);
      this.shifts.push(null);
      this.sums.push(null);
      this.moments.push(null);
    }
  }

  private checkClass(c: number) {
    if (!Number.isInteger(c) || c < 0 || !(this.counts[c] > 0)) {
      throw new ValueError(
          `ClassStatistics: class ${describe(c)} has no rows; classes with ` +
          `rows: [${this.counts.map((n, i) => n > 0 ? i : -1)
              .filter(i => i >= 0).join(', ')}].`);
    }
  }

  /**
   * Adds rows `rows` of `x` to class c. Where `x` lies in host memory the
   * rows are centred and transposed there (see centredRows); elsewhere they
   * are gathered and handled by backend ops.
   */
  private addRows(
      c: number, x: tf.Tensor2D, rows: Int32Array, argName: string) {
    const read = hostRowReader(x);
    if (read === null) {
      const classRows = gatherRows(x, rows);
      try {
        checkFinite(classRows, argName);
        this.accumulate(c, classRows);
      } finally {
        classRows.dispose();
      }
      return;
    }
    const d = this.dim;
    const n = rows.length;
    const centred = centredRows(read, rows, d, this.shifts[c] ?? null);
    if (!centred.finite) {
      throw new ValueError(
          `\`${argName}\` contains NaN or Inf; every value must be finite.`);
    }
    if (centred.overflow) {
      throw new ValueError(
          `\`${argName}\` holds values too large for float32 statistics: ` +
          `centred about the class's first rows, the sum of their squares ` +
          `would exceed ${FLOAT32_MAX.toExponential(3)}; scale the data ` +
          `down.`);
    }
    this.grow(c + 1);
    const sum = tf.tensor1d(Float32Array.from(centred.sum));
    const moment = gramBlocksFromHost(
        centred.rowsT, centred.rows, n, this.bounds);
    this.addCentred(c, n, centred.shift, sum, moment);
  }

  /** Adds rows of one class; the first rows of a class fix its shift. */
  private accumulate(c: number, rows: tf.Tensor2D) {
    const n = rows.shape[0];
    if (n === 0) {
      return;
    }
    this.grow(c + 1);
    const {shift, sum, moment} = tf.tidy(() => {
      rows = rows.dtype === 'float32' ? rows : tf.cast(rows, 'float32');
      const s = this.shifts[c] === null ?
          tf.mean(rows, 0) : tf.tensor1d(this.shifts[c] as Float32Array);
      const centred = tf.sub<tf.Tensor2D>(rows, s);
      return {
        shift: s,
        sum: tf.sum(centred, 0) as tf.Tensor1D,
        moment: gramBlocksFromTensor(centred, this.bounds),
      };
    });
    const s = shift.dataSync() as Float32Array;
    shift.dispose();
    this.addCentred(c, n, s, sum, moment);
  }

  /**
   * Adds n rows' centred sum and Gram, taken about `shift`, to class c
   * (whose shift they fix if it has none yet). Takes ownership of both.
   */
  private addCentred(
      c: number, n: number, shift: Float32Array, sum: tf.Tensor1D,
      moment: SymmetricBlocks) {
    if (this.shifts[c] === null) {
      this.shifts[c] = shift;
      this.sums[c] = tf.keep(sum);
      this.moments[c] = moment.map(t => tf.keep(t));
    } else {
      this.addInPlace(c, sum, moment);
    }
    this.counts[c] += n;
  }

  private addInPlace(c: number, sum: tf.Tensor1D, moment: SymmetricBlocks) {
    const oldSum = this.sums[c] as tf.Tensor1D;
    const oldMoment = this.moments[c] as SymmetricBlocks;
    // Kept: an update may run inside the caller's tf.tidy.
    this.sums[c] = tf.keep(tf.add<tf.Tensor1D>(oldSum, sum));
    this.moments[c] = oldMoment.map(
        (block, k) => tf.keep(tf.add<tf.Tensor2D>(block, moment[k])));
    tf.dispose([oldSum, ...oldMoment, sum, ...moment]);
  }

  /** The full S_c = Σ(x − s_c)(x − s_c)ᵀ of class c; the caller disposes it. */
  private moment(c: number): tf.Tensor2D {
    return assembleBlocks(this.moments[c] as SymmetricBlocks, this.bounds);
  }

  /**
   * Adds another accumulator's class c, taken about shift s', to ours about
   * s. With u = x − s', δ = s' − s and t' = Σu, S' = Σuuᵀ:
   * Σ(x − s) = t' + n'δ and Σ(x − s)(x − s)ᵀ = S' + δt'ᵀ + t'δᵀ + n'δδᵀ.
   */
  private mergeClass(
      c: number, n: number, shift: Float32Array, sum: tf.Tensor1D,
      moment: SymmetricBlocks) {
    if (this.shifts[c] === null) {
      this.shifts[c] = shift.slice();
      this.sums[c] = tf.keep(tf.clone(sum));
      this.moments[c] = moment.map(block => tf.keep(tf.clone(block)));
      this.counts[c] = n;
      return;
    }
    const converted = tf.tidy(() => {
      const delta: tf.Tensor1D = tf.sub(
          tf.tensor1d(shift), tf.tensor1d(this.shifts[c] as Float32Array));
      const cross = outer(delta, sum);
      const full = tf.addN(
          [cross, tf.transpose(cross), tf.mul(outer(delta, delta), n)]) as
          tf.Tensor2D;
      const correction = splitBlocks(full, this.bounds);
      return {
        sum: tf.add(sum, tf.mul(delta, n)) as tf.Tensor1D,
        moment: moment.map((block, k) => tf.add(block, correction[k])) as
            SymmetricBlocks,
      };
    });
    this.addInPlace(c, converted.sum, converted.moment);
    this.counts[c] += n;
  }
}

/**
 * Throws unless `json` is a well-formed ClassStatisticsJSON: sizes that
 * agree and finite numbers everywhere.
 */
function checkJson(json: ClassStatisticsJSON) {
  const fail = (what: string) => {
    throw new ValueError(`ClassStatistics.fromJSON: ${what}.`);
  };
  if (json == null || json.format !== 'tfjs-pca/class-statistics' ||
      json.version !== 1) {
    fail('expected an object written by ClassStatistics.toJSON (format ' +
         `"tfjs-pca/class-statistics", version 1), received ${
             describe(json)}`);
  }
  const {dim: d, counts, numClasses} = json;
  if (!Number.isInteger(d) || d < 1) {
    fail(`\`dim\` must be a positive integer, received ${describe(d)}`);
  }
  for (const key of ['counts', 'shifts', 'sums', 'moments'] as const) {
    if (!Array.isArray(json[key]) || json[key].length !== counts?.length) {
      fail(`\`${key}\` must be an array with one entry per class, ` +
           `received ${describe(json[key])}`);
    }
  }
  if (numClasses !== null && numClasses !== undefined &&
      counts.length > numClasses) {
    fail(`there are counts for ${counts.length} classes but ` +
         `\`numClasses\` is ${numClasses}`);
  }
  counts.forEach((n, c) => {
    if (!Number.isInteger(n) || n < 0) {
      fail(`counts[${c}] must be a non-negative integer, received ${
          describe(n)}`);
    }
    if (n === 0) {
      return;
    }
    const sizes = {shifts: d, sums: d, moments: d * d};
    for (const [key, size] of Object.entries(sizes)) {
      const values = json[key as 'shifts'][c];
      if (!Array.isArray(values) || values.length !== size ||
          !values.every(v => typeof v === 'number' && Number.isFinite(v))) {
        fail(`${key}[${c}] must hold ${size} finite numbers for dim ${d}`);
      }
    }
  });
}

/** The outer product a·bᵀ of two vectors. */
function outer(a: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.mul(tf.expandDims(a, 1), tf.expandDims(b, 0));
}

/** Row indices of each class, in order of appearance within each class. */
export function groupByClass(classOf: Int32Array): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  classOf.forEach((c, row) => {
    const rows = groups.get(c);
    if (rows === undefined) {
      groups.set(c, [row]);
    } else {
      rows.push(row);
    }
  });
  return groups;
}

/** The row indices 0, 1, …, n − 1. */
function rowRange(n: number): Int32Array {
  return Int32Array.from({length: n}, (_, i) => i);
}

/** Throws unless `x` is a float Tensor2D with `dim` columns. */
export function checkRows(x: tf.Tensor, dim: number, argName: string) {
  if (x instanceof tf.Tensor && x.isDisposed) {
    throw new ValueError(`\`${argName}\` was disposed.`);
  }
  if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== dim) {
    throw new ValueError(
        `\`${argName}\` must be a Tensor2D of shape [N, ${dim}], received ` +
        `${describe(x)}.`);
  }
}

/** Throws if `x` holds NaN or ±Inf. Integer tensors always pass. */
export function checkFinite(x: tf.Tensor, argName: string) {
  // Integer data cannot hold NaN; the wasm backend's isFinite also
  // misreads int32 bits as floats.
  if (x.dtype !== 'float32') {
    return;
  }
  const ok = tf.tidy(() => tf.all(tf.isFinite(x)));
  const finite = ok.dataSync()[0];
  ok.dispose();
  if (!finite) {
    throw new ValueError(
        `\`${argName}\` contains NaN or Inf; every value must be finite.`);
  }
}
