import * as tf from '@tensorflow/tfjs-core';
import {initializers, Shape} from '@tensorflow/tfjs-layers';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';

import {PatchGeometryArgs, resolveGeometry} from '../conv/geometry';
import {classPcaOfPatchesSync} from '../conv/patch-statistics';
import {PatchSamplingArgs, resolveSampling} from '../conv/sampling';
import {describe, NotImplementedError, ValueError} from '../errors';
import {ClassPcaResult, classPcaSync} from '../pca/class-pca';
import {Allocation, ClassPcaOptions, resolvePcaOptions}
    from '../pca/options';
import {LabelsInput} from '../stats/labels';
import {KernelAndBias, kernelFromPca} from './kernel';

/**
 * tfjs-layers does not export its Initializer base class, and layers accept
 * an initializer only if it is an instance of *their* copy of the class. So
 * the base is taken from a built-in initializer at run time: the same class
 * whichever bundle of tfjs-layers the user has.
 */
const InitializerBase = Object.getPrototypeOf(
    initializers.zeros().constructor) as typeof Initializer;

/**
 * How a convolution kernel's patches are read and sampled: the layer's own
 * geometry (pass the same values as to the layer) and the patch budget.
 * The kernel size is read from the kernel shape; `kernelSize`, if given,
 * must agree with it.
 */
export interface PcaPatchOptions extends PatchGeometryArgs,
                                         PatchSamplingArgs {}

/** Options of {@link PcaInitializer} that are saved with a model. */
export interface PcaInitializerConfig {
  /**
   * Two units per component, +w and −w, so a following ReLU keeps both
   * sides of each projection. Defaults to false.
   */
  pairs?: boolean;
  /**
   * Scale each unit to unit pre-activation variance over the data (and let
   * {@link PcaInitializer.biasInitializer} centre it). Defaults to true.
   */
  standardize?: boolean;
  /** As in {@link ClassPcaOptions}. Defaults to false. */
  centered?: boolean;
  /** As in {@link ClassPcaOptions}. Defaults to false. */
  distinct?: boolean;
  /** As in {@link ClassPcaOptions}. Defaults to all rows. */
  samplesPerClass?: number;
  /** As in {@link ClassPcaOptions}. Defaults to 0. */
  shrinkage?: number|'auto';
  /** As in {@link ClassPcaOptions}. Defaults to 2048. */
  batchSize?: number;
  /** As in {@link ClassPcaOptions}. Defaults to 0. */
  seed?: number;
  /** As in {@link ClassPcaOptions}. Defaults to the labels' own count. */
  numClasses?: number;
  /** As in {@link ClassPcaOptions}. Defaults to 'equal'. */
  allocation?: Allocation;
  /** As in {@link ClassPcaOptions}. Defaults to the solver's defaults. */
  solver?: ClassPcaOptions['solver'];
  /**
   * For a convolution kernel computed from `x`: the layer's strides,
   * padding, dilation and data format, and how many patches are sampled.
   * Defaults to tfjs-layers' Conv2D defaults (strides 1, 'valid', dilation
   * 1, 'channelsLast') and the sampling defaults of
   * {@link PatchSamplingArgs}.
   */
  patch?: PcaPatchOptions;
}

/** Arguments of {@link PcaInitializer}: data or a PCA, plus options. */
export interface PcaInitializerArgs extends PcaInitializerConfig {
  /**
   * The layer's input: rows, Tensor2D [N, inputDim], for a Dense kernel;
   * images, Tensor4D [N, height, width, channels] (or channels first, as
   * `patch.dataFormat` says), for a Conv2D kernel; sequences, Tensor3D
   * [N, length, channels], for a Conv1D kernel. Read when the layer is
   * built, so it must not be disposed before. Give `x` and `y`, or `pca`.
   */
  x?: tf.Tensor;
  /** Labels of `x`: class indices or one-hot rows. */
  y?: LabelsInput;
  /**
   * Called as the PCA reads rows and solves classes (not saved with the
   * model). Defaults to none.
   */
  onProgress?: ClassPcaOptions['onProgress'];
  /**
   * A precomputed {@link classPca} result (or {@link classPcaOfPatches}
   * for a convolution kernel), used instead of `x` and `y`. It must hold
   * at least units / C components per class (twice fewer with `pairs`).
   */
  pca?: ClassPcaResult;
}

const CONFIG_KEYS: Array<keyof PcaInitializerConfig> = [
  'pairs', 'standardize', 'centered', 'distinct', 'samplesPerClass',
  'shrinkage', 'batchSize', 'seed', 'numClasses', 'allocation', 'solver',
  'patch',
];

/**
 * A tfjs-layers initializer that sets a Dense kernel [inputDim, units] from
 * the class-based PCA of the layer's input: the units are shared among the
 * classes in equal parts, each taking its class's leading principal
 * components (with signs fixed so the class mean projects positive).
 *
 * As the `kernelInitializer` of a Conv2D layer ([kh, kw, inChannels,
 * filters]) or Conv1D layer ([k, inChannels, filters]) it does the same
 * with the patches the layer reads from the images `x`
 * ({@link classPcaOfPatches}): each filter is a class's principal
 * component of kh×kw×inChannels patches. An initializer sees only the
 * kernel shape, so the layer's strides, padding, dilation and data format
 * are given again in `patch` (the kernel size comes from the shape).
 *
 * With `standardize` (the default) each unit is scaled so its
 * pre-activation has unit variance over the data; pass
 * {@link PcaInitializer.biasInitializer} as the layer's `biasInitializer`
 * to also centre it, so that a ReLU cuts each feature at its mean.
 *
 * The data is not saved with the model (only the options are): a model
 * saved with `model.save` loads its trained weights as usual after
 * `import 'tfjs-pca'`, but building a new layer from a deserialized
 * initializer throws, as there is nothing to compute the PCA from.
 *
 * @example
 * ```js
 * import * as tf from '@tensorflow/tfjs';
 * import {PcaInitializer} from 'tfjs-pca';
 *
 * const init = new PcaInitializer({x: xTrain, y: yTrain});
 * const model = tf.sequential({layers: [
 *   tf.layers.dense({inputShape: [784], units: 250, activation: 'relu',
 *       kernelInitializer: init, biasInitializer: init.biasInitializer()}),
 *   tf.layers.dense({units: 10, activation: 'softmax'}),
 * ]});
 *
 * // A Conv2D layer: images [N, 28, 28, 1], 'same' padding.
 * const conv = new PcaInitializer(
 *     {x: images, y: yTrain, pairs: true, patch: {padding: 'same'}});
 * tf.layers.conv2d({inputShape: [28, 28, 1], filters: 32, kernelSize: 5,
 *     padding: 'same', activation: 'relu', kernelInitializer: conv,
 *     biasInitializer: conv.biasInitializer()});
 * ```
 */
export class PcaInitializer extends InitializerBase {
  static className = 'PcaInitializer';

  private readonly config: PcaInitializerConfig;
  private readonly x: tf.Tensor|undefined;
  private readonly y: LabelsInput|undefined;
  private readonly onProgress: ClassPcaOptions['onProgress'];
  private readonly pca: ClassPcaResult|undefined;
  private readonly built = new Map<string, KernelAndBias>();

  /**
   * @throws ValueError for an unknown or bad option, or for data given
   *   half-way (`x` without `y`) or twice (`x` and `pca`).
   */
  constructor(args: PcaInitializerArgs = {}) {
    super();
    if (args === null || typeof args !== 'object') {
      throw new ValueError(
          `PcaInitializer: expected an args object, received ` +
          `${describe(args)}.`);
    }
    const {x, y, pca, onProgress, ...config} = args;
    for (const key of Object.keys(config)) {
      if (!(CONFIG_KEYS as string[]).includes(key)) {
        throw new ValueError(
            `PcaInitializer: unknown option ${describe(key)}; known options ` +
            `are x, y, pca, onProgress, ${CONFIG_KEYS.join(', ')}.`);
      }
    }
    resolvePcaOptions({...pcaOptionsOf(config), onProgress});
    for (const flag of ['pairs', 'standardize'] as const) {
      if (config[flag] !== undefined && typeof config[flag] !== 'boolean') {
        throw new ValueError(
            `PcaInitializer: \`${flag}\` must be a boolean, received ` +
            `${describe(config[flag])}.`);
      }
    }
    if ((x === undefined) !== (y === undefined)) {
      throw new ValueError(
          'PcaInitializer: give both `x` and `y` (the layer input and its ' +
          'labels), or neither.');
    }
    if (x !== undefined && pca !== undefined) {
      throw new ValueError(
          'PcaInitializer: give either `x` and `y`, or `pca`, not both.');
    }
    if (x !== undefined &&
        (!(x instanceof tf.Tensor) || x.rank < 2 || x.rank > 4)) {
      throw new ValueError(
          `PcaInitializer: \`x\` must be a Tensor2D [N, inputDim] (Dense), ` +
          `a Tensor3D (Conv1D) or a Tensor4D (Conv2D), received ` +
          `${describe(x)}.`);
    }
    checkPatchOptions(config.patch, x);
    this.config = config;
    this.x = x;
    this.y = y;
    this.pca = pca;
    this.onProgress = onProgress;
  }

  /**
   * The kernel for `shape`: [inputDim, units] (Dense), [k, inChannels,
   * filters] (Conv1D) or [kh, kw, inChannels, filters] (Conv2D).
   * @throws ValueError if there is no data, or the data cannot fill `shape`
   *   (the message names both shapes).
   * @throws NotImplementedError for kernels of rank 5 or more (Conv3D).
   */
  apply(shape: Shape, dtype?: tf.DataType): tf.Tensor {
    const dims = concreteShape(shape, 'PcaInitializer');
    const built = this.build(dims);
    return tf.tensor(built.kernel, dims, dtype ?? 'float32');
  }

  /**
   * An initializer for the layer's bias that centres each unit over the
   * data (bias = −mean pre-activation); zeros when `standardize` is off.
   * It must be applied after the kernel, as a Dense layer does.
   */
  biasInitializer(): Initializer {
    return new PcaBiasInitializer(this);
  }

  /** The centring bias matching the kernel built for `units` units. */
  centringBias(units: number): Float32Array {
    for (const [key, built] of this.built) {
      if (Number(key.split(',').pop()) === units) {
        return built.bias;
      }
    }
    throw new ValueError(
        `PcaBiasInitializer: no kernel with ${units} units was built by its ` +
        `PcaInitializer yet; the kernel must be initialized first.`);
  }

  getConfig(): tf.serialization.ConfigDict {
    const out: tf.serialization.ConfigDict = {};
    for (const key of CONFIG_KEYS) {
      if (this.config[key] !== undefined) {
        out[key] = this.config[key] as tf.serialization.ConfigDictValue;
      }
    }
    return out;
  }

  /**
   * Restores an initializer from `getConfig()` output: options only, no data.
   * Keys tfjs adds while deserializing (such as `customObjects`) are ignored.
   */
  static fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>,
      config: tf.serialization.ConfigDict): T {
    const args: tf.serialization.ConfigDict = {};
    for (const key of CONFIG_KEYS) {
      if (config[key] !== undefined) {
        args[key] = config[key];
      }
    }
    return new cls(args);
  }

  private build(shape: number[]): KernelAndBias {
    if (shape.length < 2 || shape.length > 4) {
      throw new NotImplementedError(
          `PcaInitializer: only Dense [inputDim, units], Conv1D [k, ` +
          `inChannels, filters] and Conv2D [kh, kw, inChannels, filters] ` +
          `kernels are supported, received shape [${shape.join(', ')}].`);
    }
    const key = shape.join(',');
    const cached = this.built.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const pairs = this.config.pairs ?? false;
    const pca = this.pca ?? this.computePca(shape, pairs);
    const built = kernelFromPca(
        pca, shape, {pairs, standardize: this.config.standardize},
        'PcaInitializer');
    this.built.set(key, built);
    return built;
  }

  private computePca(shape: number[], pairs: boolean): ClassPcaResult {
    if (this.x === undefined || this.y === undefined) {
      throw new ValueError(
          'PcaInitializer: there is no data to compute the PCA from. ' +
          'Initializers restored from a saved model carry only their ' +
          'options; create one with {x, y} or {pca} to build new weights.');
    }
    if (this.x.isDisposed) {
      throw new ValueError(
          'PcaInitializer: `x` was disposed before the layer was built; ' +
          'keep it until the model is built.');
    }
    const units = shape[shape.length - 1];
    const kernel = `[${shape.join(', ')}]`;
    const data = `[${this.x.shape.join(', ')}]`;
    if (this.x.rank !== shape.length) {
      throw new ValueError(
          `PcaInitializer: cannot fill a kernel of shape ${kernel} from ` +
          `data of shape ${data}: ${KERNEL_DATA[shape.length]}.`);
    }
    if (shape.length === 2 && this.x.shape[1] !== shape[0]) {
      throw new ValueError(
          `PcaInitializer: cannot fill a kernel of shape ${kernel} from ` +
          `data of shape ${data}: the kernel needs ${shape[0]} features ` +
          `per row.`);
    }
    const components = pairs ? units / 2 : units;
    if (!Number.isInteger(components) || components < 1) {
      throw new ValueError(
          `PcaInitializer: a kernel of shape ${kernel} has no whole number ` +
          `of ± pairs; use an even number of units.`);
    }
    const options = {
      ...pcaOptionsOf(this.config),
      totalComponents: components,
      onProgress: this.onProgress,
    };
    try {
      return shape.length === 2 ?
          classPcaSync(this.x as tf.Tensor2D, this.y, options) :
          classPcaOfPatchesSync(this.x, this.y, {
            ...options,
            ...this.patchOptions(shape),
          });
    } catch (e) {
      throw e instanceof ValueError ?
          new ValueError(
              `PcaInitializer: for a kernel of shape ${kernel} from data ` +
              `of shape ${data}: ${e.message}`) :
          e;
    }
  }

  /**
   * The patch options for a convolution kernel of `shape`: `patch`, with
   * the kernel size read from the shape.
   * @throws ValueError if `patch.kernelSize` or the input channels disagree
   *   with the shape.
   */
  private patchOptions(shape: number[]): PcaPatchOptions {
    const spatial = shape.slice(0, -2);
    const patch = this.config.patch ?? {};
    const given = patch.kernelSize === undefined ? undefined :
        typeof patch.kernelSize === 'number' ?
        spatial.map(() => patch.kernelSize as number) :
        patch.kernelSize;
    if (given !== undefined &&
        given.join(',') !== spatial.join(',')) {
      throw new ValueError(
          `\`patch.kernelSize\` is ` +
          `${describe(patch.kernelSize)} but the kernel shape ` +
          `[${shape.join(', ')}] has kernel size [${spatial.join(', ')}].`);
    }
    const channelsFirst = patch.dataFormat === 'channelsFirst';
    const x = this.x as tf.Tensor;
    const channels = x.shape[channelsFirst ? 1 : x.rank - 1];
    if (channels !== shape[shape.length - 2]) {
      throw new ValueError(
          `the images have ${channels} channels ` +
          `(${patch.dataFormat ?? 'channelsLast'}) but the kernel takes ` +
          `${shape[shape.length - 2]}.`);
    }
    return {...patch, kernelSize: spatial};
  }
}
tf.serialization.registerClass(PcaInitializer);

/**
 * The bias half of {@link PcaInitializer}; create it with
 * `init.biasInitializer()`. Restored from a saved model it has no data, and
 * applying it throws.
 */
export class PcaBiasInitializer extends InitializerBase {
  static className = 'PcaBiasInitializer';

  constructor(private readonly owner?: PcaInitializer) {
    super();
    if (owner !== undefined && !(owner instanceof PcaInitializer)) {
      throw new ValueError(
          `PcaBiasInitializer: create it with init.biasInitializer(), ` +
          `received ${describe(owner)}.`);
    }
  }

  /** @throws ValueError when restored without data or applied too early. */
  apply(shape: Shape, dtype?: tf.DataType): tf.Tensor {
    if (this.owner === undefined) {
      throw new ValueError(
          'PcaBiasInitializer: there is no data to compute the bias from; ' +
          'initializers restored from a saved model carry no data.');
    }
    const dims = concreteShape(shape, 'PcaBiasInitializer');
    if (dims.length !== 1) {
      throw new ValueError(
          `PcaBiasInitializer: expected a bias shape [units], received ` +
          `[${dims.join(', ')}].`);
    }
    return tf.tensor(this.owner.centringBias(dims[0]), dims,
                     dtype ?? 'float32');
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }

  /** Restores a bias initializer without data; applying it throws. */
  static fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>): T {
    return new cls();
  }
}
tf.serialization.registerClass(PcaBiasInitializer);

function concreteShape(shape: Shape, who: string): number[] {
  if (!Array.isArray(shape) ||
      shape.some(n => !Number.isInteger(n) || (n as number) < 1)) {
    throw new ValueError(
        `${who}: expected a fully defined shape, received ` +
        `${describe(shape)}.`);
  }
  return shape as number[];
}

function pcaOptionsOf(config: PcaInitializerConfig): ClassPcaOptions {
  const {pairs, standardize, patch, ...pcaOptions} = config;
  void pairs;
  void standardize;
  void patch;
  return pcaOptions;
}

/** What kind of data a kernel of each rank is computed from. */
const KERNEL_DATA: Record<number, string> = {
  2: 'a Dense kernel needs rows, a Tensor2D [N, inputDim]',
  3: 'a Conv1D kernel needs sequences, a Tensor3D [N, length, channels]',
  4: 'a Conv2D kernel needs images, a Tensor4D [N, height, width, ' +
      'channels]',
};

/**
 * Throws unless `patch` is absent or valid patch options for the images
 * `x`.
 */
function checkPatchOptions(patch: unknown, x: tf.Tensor|undefined) {
  if (patch === undefined) {
    return;
  }
  const who = 'PcaInitializer';
  if (patch === null || typeof patch !== 'object') {
    throw new ValueError(
        `${who}: \`patch\` must be an object, received ${describe(patch)}.`);
  }
  if (x === undefined || x.rank === 2) {
    throw new ValueError(
        `${who}: \`patch\` applies to convolution kernels computed from ` +
        `images \`x\` (a Tensor4D, or a Tensor3D for Conv1D); here ` +
        `${x === undefined ? 'there is no `x`' : '`x` is a Tensor2D'}.`);
  }
  const {patchesPerImage, patchesPerClass, ...geometry} =
      patch as PcaPatchOptions;
  resolveSampling({patchesPerImage, patchesPerClass}, who);
  resolveGeometry({kernelSize: 1, ...geometry}, x.rank === 4 ? 2 : 1, who);
}
