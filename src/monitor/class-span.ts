import * as tf from '@tensorflow/tfjs-core';
import {LayersModel, model as functionalModel, SymbolicTensor}
    from '@tensorflow/tfjs-layers';

import {describe, NotImplementedError, ValueError} from '../errors';
import {gatherBatch} from '../fit/feature-stream';
import {orthonormalTransform} from '../linalg/orthonormalize';
import {classPcaFromStatistics, ClassPcaResult} from '../pca/class-pca';
import {ClassStatistics, groupByClass} from '../stats/class-statistics';
import {impliedClassCount, readLabels} from '../stats/labels';
import {ProbeSet} from './args';

type Layer = LayersModel['layers'][number];

/**
 * The eigensolver's tolerance for the spans. Only the span of each class's
 * top components matters here, not each eigenvector, and a residual of
 * 1e-4·λ₁ moves a span by far less than the alignment's own variation
 * from record to record; the library default (1e-6) costs about twice the
 * iterations.
 */
const SPAN_TOLERANCE = 1e-4;

/**
 * Components whose eigenvalue is at or below this fraction of their class's
 * largest are left out of the span: they are directions the class's probe
 * rows do not reach (fewer rows than components), filled in arbitrarily by
 * the eigensolver.
 */
const NEGLIGIBLE_EIGENVALUE = 1e-6;

/**
 * Orthonormal bases of the class-based PCA spans of some layers' inputs on
 * a probe set. The bases are rows Q [r, d] on the backend, owned here.
 *
 * A span is the union over classes of the top `components` eigenvectors of
 * the uncentered second moment E[xxᵀ | c] of the layer input x, made
 * orthonormal (directions that are numerically dependent are dropped).
 */
export class ClassSpans {
  private readonly bases: Array<tf.Tensor2D|null>;
  private readonly rowsOfClass: Int32Array[];
  private readonly inputs: LayersModel;

  /**
   * @param model - The model being trained.
   * @param layers - The layers whose input spans are wanted: Dense layers,
   *   each called once, with rank-2 input.
   * @param probe - Rows and labels, checked against the model's input.
   * @param components - Components per class, at most each input's width.
   * @param batchSize - Probe rows per forward pass.
   * @throws ValueError for probe rows that do not fit the model or labels
   *   that do not match them or leave a class without rows.
   * @throws NotImplementedError for a model with several inputs.
   */
  constructor(
      model: LayersModel, private readonly layers: Layer[],
      private readonly probe: ProbeSet, private readonly components: number,
      private readonly batchSize: number) {
    checkProbeShape(model, probe.x);
    this.rowsOfClass = probeRowsByClass(probe);
    this.bases = layers.map(() => null);
    // A model from the model's inputs to each layer's input shares the
    // layers and their weights: it reads the weights as they are now.
    this.inputs = functionalModel({
      inputs: model.inputs,
      outputs: layers.map(l => l.input as SymbolicTensor),
    });
  }

  /** The basis of layer `i`'s span, rows [r, d], or null before a refresh. */
  basis(i: number): tf.Tensor2D|null {
    return this.bases[i];
  }

  /** The dimension r of layer `i`'s span, or null before a refresh. */
  dim(i: number): number|null {
    return this.bases[i]?.shape[0] ?? null;
  }

  /**
   * Recomputes the spans of layers `which` (indices into the layers given
   * at construction) from one pass of the probe set through the model as
   * its weights are now.
   */
  async refresh(which: number[]): Promise<void> {
    if (which.length === 0) {
      return;
    }
    const stats = which.map(
        i => new ClassStatistics(
            (this.layers[i].input as SymbolicTensor).shape[1] as number,
            this.rowsOfClass.length));
    try {
      await this.accumulate(which, stats);
      which.forEach(
          (i, j) => this.replace(i, spanBasis(stats[j], this.components)));
    } finally {
      stats.forEach(s => s.dispose());
    }
  }

  /** Frees the bases. */
  dispose(): void {
    this.bases.forEach(b => b?.dispose());
    this.bases.fill(null);
  }

  /** Streams the probe rows, class by class, into the statistics. */
  private async accumulate(which: number[], stats: ClassStatistics[]) {
    for (let c = 0; c < this.rowsOfClass.length; c++) {
      const rows = this.rowsOfClass[c];
      for (let start = 0; start < rows.length; start += this.batchSize) {
        const chunk = rows.subarray(start, start + this.batchSize);
        const batch = gatherBatch(this.probe.x, chunk);
        try {
          tf.tidy(() => {
            const out = this.inputs.apply(batch, {training: false});
            const all = Array.isArray(out) ? out : [out];
            which.forEach((i, j) => stats[j].updateClass(
                c, all[i] as tf.Tensor2D,
                `the input of layer '${this.layers[i].name}' on the probe`));
          });
        } finally {
          batch.dispose();
        }
        // Lets a browser repaint between batches.
        await tf.nextFrame();
      }
    }
  }

  private replace(i: number, basis: tf.Tensor2D) {
    this.bases[i]?.dispose();
    this.bases[i] = basis;
  }
}

/**
 * The orthonormal basis [r, d] of the span of every class's supported
 * components (at most `components` per class, and at most d).
 */
function spanBasis(stats: ClassStatistics, components: number):
    tf.Tensor2D {
  const k = Math.min(components, stats.dim);
  const pca = classPcaFromStatistics(
      stats, {components: k, solver: {tolerance: SPAN_TOLERANCE}});
  const rows = supportedComponents(pca);
  const n = rows.length / stats.dim;
  return tf.tidy(() => {
    const b = tf.tensor2d(rows, [n, stats.dim]);
    const gram = tf.matMul(b, tf.transpose(b));
    const {t, rank} = orthonormalTransform(gram.dataSync(), n);
    return tf.matMul(tf.tensor2d(Float32Array.from(t), [rank, n]), b);
  });
}

/** The components of every class whose eigenvalue is not negligible. */
function supportedComponents(pca: ClassPcaResult): Float32Array {
  const kept: Float32Array[] = [];
  for (const cls of pca.classes) {
    const top = cls.eigenvalues[0];
    for (let i = 0; i < cls.numComponents; i++) {
      if (cls.eigenvalues[i] > NEGLIGIBLE_EIGENVALUE * top) {
        kept.push(cls.components.subarray(i * pca.dim, (i + 1) * pca.dim));
      }
    }
  }
  const out = new Float32Array(kept.length * pca.dim);
  kept.forEach((row, i) => out.set(row, i * pca.dim));
  return out;
}

/**
 * ‖Q·D‖²: the squared norm of the part of D [d, units] in the span of the
 * orthonormal rows of Q [r, d], as a scalar tensor. Over ‖D‖² it is the
 * fraction of D in the span.
 */
export function squaredNormInSpan(q: tf.Tensor2D, d: tf.Tensor2D):
    tf.Scalar {
  // Q·D rather than Dᵀ·Qᵀ: a plain product, the fast layout on wasm.
  return tf.tidy(() => tf.sum(tf.square(tf.matMul(q, d))));
}

/** The probe rows must have the shape of the model's input. */
function checkProbeShape(model: LayersModel, x: tf.Tensor) {
  if (model.inputs.length !== 1) {
    throw new NotImplementedError(
        `TimeScaleMonitor: a probe set for a model with ` +
        `${model.inputs.length} inputs is not supported yet; only models ` +
        `with one input.`);
  }
  const expected = model.inputs[0].shape.slice(1);
  const received = x.shape.slice(1);
  const fits = expected.length === received.length &&
      expected.every((n, i) => n === null || n === received[i]);
  if (!fits) {
    throw new ValueError(
        `TimeScaleMonitor: \`probe.x\` must have rows of the model's input ` +
        `shape [${expected.map(n => n ?? 'any').join(', ')}], received ` +
        `${describe(x)}.`);
  }
}

/** The probe's row indices grouped by class; every class needs rows. */
function probeRowsByClass(probe: ProbeSet): Int32Array[] {
  const n = probe.x.shape[0];
  let classOf: Int32Array;
  try {
    classOf = readLabels(probe.y, n, undefined, 'probe.y');
  } catch (e) {
    if (e instanceof ValueError) {
      throw new ValueError(`TimeScaleMonitor: ${e.message}`);
    }
    throw e;
  }
  const numClasses = impliedClassCount(probe.y, classOf);
  const groups = groupByClass(classOf);
  const rows: Int32Array[] = [];
  for (let c = 0; c < numClasses; c++) {
    const members = groups.get(c);
    if (members === undefined) {
      throw new ValueError(
          `TimeScaleMonitor: \`probe.y\` has no rows of class ${c}; every ` +
          `class in [0, ${numClasses - 1}] needs probe rows.`);
    }
    rows.push(Int32Array.from(members));
  }
  return rows;
}
