import * as tf from '@tensorflow/tfjs-core';
import {initializers, Shape} from '@tensorflow/tfjs-layers';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';

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
}

/** Arguments of {@link PcaInitializer}: data or a PCA, plus options. */
export interface PcaInitializerArgs extends PcaInitializerConfig {
  /**
   * The layer's input rows, Tensor2D [N, inputDim]. Read when the layer is
   * built, so it must not be disposed before. Give `x` and `y`, or `pca`.
   */
  x?: tf.Tensor2D;
  /** Labels of `x`: class indices or one-hot rows. */
  y?: LabelsInput;
  /**
   * Called as the PCA reads rows and solves classes (not saved with the
   * model). Defaults to none.
   */
  onProgress?: ClassPcaOptions['onProgress'];
  /**
   * A precomputed {@link classPca} result, used instead of `x` and `y`. It
   * must hold at least units / C components per class (twice fewer with
   * `pairs`).
   */
  pca?: ClassPcaResult;
}

const CONFIG_KEYS: Array<keyof PcaInitializerConfig> = [
  'pairs', 'standardize', 'centered', 'samplesPerClass', 'shrinkage',
  'batchSize', 'seed', 'numClasses', 'allocation', 'solver',
];

/**
 * A tfjs-layers initializer that sets a Dense kernel [inputDim, units] from
 * the class-based PCA of the layer's input: the units are shared among the
 * classes in equal parts, each taking its class's leading principal
 * components (with signs fixed so the class mean projects positive).
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
 * ```
 */
export class PcaInitializer extends InitializerBase {
  static className = 'PcaInitializer';

  private readonly config: PcaInitializerConfig;
  private readonly x: tf.Tensor2D|undefined;
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
    if (x !== undefined && (!(x instanceof tf.Tensor) || x.rank !== 2)) {
      throw new ValueError(
          `PcaInitializer: \`x\` must be a Tensor2D [N, inputDim], ` +
          `received ${describe(x)}.`);
    }
    this.config = config;
    this.x = x;
    this.y = y;
    this.pca = pca;
    this.onProgress = onProgress;
  }

  /**
   * The kernel for `shape` = [inputDim, units].
   * @throws ValueError if there is no data, or the data cannot fill `shape`
   *   (the message names both shapes).
   * @throws NotImplementedError for kernels of rank other than 2.
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
      if (Number(key.split(',')[1]) === units) {
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
    if (shape.length !== 2) {
      throw new NotImplementedError(
          `PcaInitializer: only Dense kernels [inputDim, units] are ` +
          `supported yet, received shape [${shape.join(', ')}].`);
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
    const [inputDim, units] = shape;
    if (this.x.shape[1] !== inputDim) {
      throw new ValueError(
          `PcaInitializer: cannot fill a kernel of shape [${inputDim}, ` +
          `${units}] from data of shape [${this.x.shape.join(', ')}]: the ` +
          `kernel needs ${inputDim} features per row.`);
    }
    const components = pairs ? units / 2 : units;
    if (!Number.isInteger(components) || components < 1) {
      throw new ValueError(
          `PcaInitializer: a kernel of shape [${inputDim}, ${units}] has no ` +
          `whole number of ± pairs; use an even number of units.`);
    }
    try {
      return classPcaSync(this.x, this.y, {
        ...pcaOptionsOf(this.config),
        totalComponents: components,
        onProgress: this.onProgress,
      });
    } catch (e) {
      throw e instanceof ValueError ?
          new ValueError(
              `PcaInitializer: for a kernel of shape [${inputDim}, ` +
              `${units}] from data of shape [${this.x.shape.join(', ')}]: ` +
              e.message) :
          e;
    }
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
  const {pairs, standardize, ...pcaOptions} = config;
  void pairs;
  void standardize;
  return pcaOptions;
}
