import {describe, ValueError} from '../errors';
import {ClassPcaResult} from '../pca/class-pca';
import {equalSplit} from '../pca/options';

/** How class-based PCA components become the units of a layer. */
export interface KernelOptions {
  /**
   * Give each component two units, +w and −w, so that a ReLU keeps both
   * sides of the projection. Halves the components that fit in the units.
   * Defaults to false.
   */
  pairs?: boolean;
  /**
   * Scale each unit so its pre-activation has unit variance over the data
   * (and centre it with the bias), or leave components at unit length.
   * Defaults to true.
   */
  standardize?: boolean;
}

/** A kernel [d, units] and the matching centring bias [units]. */
export interface KernelAndBias {
  kernel: Float32Array;
  bias: Float32Array;
  /** Which class each unit's component came from. */
  unitClass: Int32Array;
}

/**
 * A variance below this fraction of the mean unit variance is treated as
 * zero: such a unit sees a direction the data does not vary along, and
 * scaling it up would only amplify rounding noise.
 */
const MIN_RELATIVE_VARIANCE = 1e-8;

/**
 * Builds a Dense kernel of shape [dim, units], or a convolution kernel
 * [kh, kw, inChannels, filters] (Conv1D: [k, inChannels, filters]), from a
 * class-based PCA. A convolution kernel is the Dense kernel of its patches
 * ({@link classPcaOfPatches}): [kh·kw·inChannels, filters] in the same
 * row-major order, each filter a component reshaped to [kh, kw,
 * inChannels], and "over the data" means over the sampled patches, so each
 * output channel has unit variance over the positions of the data.
 *
 * Units are shared among the classes as the PCA shares its components when
 * it holds exactly as many as the kernel needs; otherwise in equal parts
 * (the first classes get one more when they do not divide). Each class
 * contributes its leading components in order. Unit j with component w,
 * data variance v and data mean projection p gets the column w / √v and the
 * bias −p / √v, so its pre-activation has mean 0 and variance 1 over the
 * data and a ReLU cuts it at its mean.
 *
 * @param pca - A {@link classPca} result.
 * @param shape - The kernel shape: [inputDim, units], or a convolution
 *   kernel shape whose last axis is the filters and whose other axes
 *   multiply to the PCA's dimension.
 * @param o - See {@link KernelOptions}.
 * @param who - The name error messages start with.
 * @returns The kernel (row-major in `shape`), bias and unit classes.
 * @throws ValueError naming both shapes when the PCA cannot fill the kernel.
 *
 * @example
 * ```js
 * const pca = await classPca(x, y, {components: 10});
 * const {kernel, bias} = kernelFromPca(pca, [784, 100]);
 * layer.setWeights([tf.tensor2d(kernel, [784, 100]), tf.tensor1d(bias)]);
 * ```
 */
export function kernelFromPca(
    pca: ClassPcaResult, shape: number[], o: KernelOptions = {},
    who = 'kernelFromPca'): KernelAndBias {
  if (pca == null || !Array.isArray(pca.classes)) {
    throw new ValueError(
        `${who}: \`pca\` must be a classPca result, received ` +
        `${describe(pca)}.`);
  }
  if (!Array.isArray(shape) || shape.length < 2 || shape.length > 4 ||
      !shape.every(n => Number.isInteger(n) && n > 0)) {
    throw new ValueError(
        `${who}: a kernel shape is [inputDim, units] (Dense), [k, ` +
        `inChannels, filters] (Conv1D) or [kh, kw, inChannels, filters] ` +
        `(Conv2D) with positive integers, received ${describe(shape)}.`);
  }
  const pairs = o?.pairs ?? false;
  const standardize = o?.standardize ?? true;
  const units = shape[shape.length - 1];
  const dim = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const perUnit = pairs ? 2 : 1;
  if (dim !== pca.dim || units % perUnit !== 0) {
    throw new ValueError(
        `${who}: cannot fill a kernel of shape [${shape.join(', ')}] ` +
        `from a class-based PCA of ${pca.dim} features and ` +
        `${pca.numClasses} classes: the kernel must have ${pca.dim} rows` +
        `${shape.length > 2 ? ' (the product of all axes but the last)' :
                              ''}` +
        `${pairs ? ' and an even number of units (pairs is on)' : ''}.`);
  }
  const wanted = componentsToUse(pca, units / perUnit);
  const short = wanted.findIndex((k, c) => k > pca.classes[c].numComponents);
  if (short >= 0) {
    throw new ValueError(
        `${who}: a kernel of shape [${shape.join(', ')}] needs ` +
        `${wanted[short]} components of class ${short}, but the class-based ` +
        `PCA holds ${pca.classes[short].numComponents}; compute it with ` +
        `more components or use fewer units.`);
  }

  const kernel = new Float32Array(dim * units);
  const bias = new Float32Array(units);
  const unitClass = new Int32Array(units);
  const scales = unitScales(pca, wanted, standardize);
  let unit = 0;
  wanted.forEach((k, c) => {
    const cls = pca.classes[c];
    for (let i = 0; i < k; i++) {
      const scale = scales[c][i];
      for (const sign of pairs ? [1, -1] : [1]) {
        for (let r = 0; r < dim; r++) {
          kernel[r * units + unit] = sign * scale * cls.components[i * dim + r];
        }
        bias[unit] = standardize ?
            -sign * scale * cls.dataMeanProjection[i] : 0;
        unitClass[unit] = c;
        unit++;
      }
    }
  });
  return {kernel, bias, unitClass};
}

/**
 * Components per class for `count` components in all: the PCA's own
 * allocation when it holds exactly that many (for instance one made with
 * `allocation: 'eigenvalue'`), otherwise an equal split.
 */
function componentsToUse(pca: ClassPcaResult, count: number): number[] {
  const own = pca.classes.map(c => c.numComponents);
  return own.reduce((a, b) => a + b, 0) === count ?
      own :
      equalSplit(count, pca.numClasses);
}

/**
 * 1/√(data variance) per component. A direction along which the data does
 * not vary (constant input, or a null-space fill) gets the typical scale
 * of the others instead of an enormous one, and all get 1 when nothing
 * varies at all.
 */
function unitScales(
    pca: ClassPcaResult, wanted: number[], standardize: boolean):
    Float64Array[] {
  if (!standardize) {
    return wanted.map(k => new Float64Array(k).fill(1));
  }
  let sum = 0;
  let count = 0;
  wanted.forEach((k, c) => {
    for (let i = 0; i < k; i++) {
      sum += pca.classes[c].dataVariance[i];
      count++;
    }
  });
  const typical = sum / count;
  if (!(typical > 0)) {
    return wanted.map(k => new Float64Array(k).fill(1));
  }
  const floor = MIN_RELATIVE_VARIANCE * typical;
  return wanted.map((k, c) => Float64Array.from(
      pca.classes[c].dataVariance.subarray(0, k),
      v => 1 / Math.sqrt(v > floor ? v : typical)));
}
