import * as tf from '@tensorflow/tfjs-core';
import {LayersModel, Sequential, layers as tfLayers, sequential}
    from '@tensorflow/tfjs-layers';

import {describe, ValueError} from '../errors';
import {kernelFromPca} from '../layers/kernel';
import {ClassPcaResult, classPcaFromStatistics, rowsPerClass}
    from '../pca/class-pca';
import {ClassStatistics} from '../stats/class-statistics';
import {PcaDataset} from '../stats/dataset';
import {impliedClassCount, LabelsInput, readLabels} from '../stats/labels';
import {forEachFeatureBatch, gatherBatch, TrainingRows}
    from './feature-stream';
import {planLayers, PlannedLayer} from './layer-plan';
import {FitByPcaOptions, layerPcaOptions, ResolvedFitOptions,
        resolveFitOptions}
    from './options';
import {ProgressLine} from './progress';
import {cosineSchedule, hasLearningRate} from './schedule';
import {RidgeReadout} from './readout';
import {fitSoftmaxReadout, KeptFeatures} from './softmax-readout';
import {Evaluation, FitByPcaReport, LayerReport} from './report';
import {ModelSnapshot} from './snapshot';
import {setBatchNormalization} from './batch-norm';
import {convLayerGeometry, convLayerPca} from './conv-layer';

/**
 * The output layer's ridge λ when end-to-end training follows. On
 * Fashion-MNIST (784-256-256-10, one epoch of Adam 1e-3 after fitByPCA)
 * λ = 0.1 gave 86.3% against 82.7% with the held-out choice (1e-6), whose
 * large output weights make the first steps blow the loss up.
 */
export const FINE_TUNE_RIDGE = 0.1;

/** Every tenth row is held out to choose the output layer's ridge λ. */
const HOLD_OUT_EVERY = 10;

/**
 * L2 penalty of the softmax readout (per unit of mean cross-entropy) and
 * the L-BFGS iterations it waits for a better held-out loss. Measured on
 * Fashion-MNIST (784-256-256-10, from the ridge solution, 100 iterations):
 * 0 and 1e-6 both reach 84.8% test accuracy, stopped by the held-out
 * loss; 1e-4 is dominated by the penalty of the large ridge weights and
 * gets 83.0%.
 */
const SOFTMAX_L2 = 0;
const SOFTMAX_PATIENCE = 10;

/** Training metrics are taken on at most this many rows. */
const EVALUATION_ROWS = 10000;

/**
 * Computes a model's weights directly, layer by layer from the input up,
 * each from the class-based PCA of what the layers below produce: no
 * backpropagation through those layers.
 *
 * For each hidden Dense layer in turn, its input is streamed through the
 * layers already set, batch by batch, into per-class statistics; the
 * layer's kernel is the class-based PCA of that input (units shared among
 * the classes, each scaled to unit pre-activation variance) and its bias
 * centres each unit, so a ReLU cuts each feature at its mean. Weightless
 * layers (Flatten, Dropout, Activation, Reshape, …) pass through. The
 * output layer, the last Dense layer with one unit per class, is solved in
 * closed form (ridge), refined for a softmax output by multinomial
 * logistic regression (the softmax readout), or trained alone
 * (`topLayer`); optional epochs of ordinary fine-tuning follow.
 *
 * On any error the model's weights and trainable flags are left exactly as
 * they were.
 *
 * @param model - A tf.Sequential (or linear LayersModel) of supported
 *   layers. It needs `compile` only for `topLayer: 'train'` and
 *   `fineTuneEpochs`.
 * @param x - Input rows (a tensor whose first axis is the batch), or a
 *   `tf.data.Dataset` of `{xs, ys}` batches (then `y` is omitted).
 * @param y - Labels of `x`: class indices or one-hot rows.
 * @param options - See {@link FitByPcaOptions}.
 * @returns A {@link FitByPcaReport}; print it with `toString()`.
 * @throws NotImplementedError for a layer type not supported yet, before
 *   any weight changes.
 * @throws ValueError for bad data or options, or a model that needs
 *   `compile` for the requested training.
 *
 * @example
 * ```js
 * import * as tf from '@tensorflow/tfjs';
 * import {fitByPCA} from 'tfjs-pca';
 *
 * const model = tf.sequential({layers: [
 *   tf.layers.dense({inputShape: [784], units: 256, activation: 'relu'}),
 *   tf.layers.dense({units: 256, activation: 'relu'}),
 *   tf.layers.dense({units: 10, activation: 'softmax'}),
 * ]});
 * const report = await fitByPCA(model, xTrain, yTrain);
 * console.log(report.toString());
 * ```
 */
export async function fitByPCA(
    model: LayersModel, x: tf.Tensor|PcaDataset, y?: LabelsInput,
    options: FitByPcaOptions = {}): Promise<FitByPcaReport> {
  const started = now();
  const o = resolveFitOptions(options);
  const {data, numClasses, classOf} = prepareData(model, x, y, o);
  const plan = planLayers(model, numClasses);
  checkInputShape(model, x);
  checkUnits(plan, numClasses, o);
  resolveTopLayer(plan, o);
  checkCompiled(model, o);
  // Validation labels are read now, so that bad ones fail before any
  // weight changes rather than after the work.
  const validationClasses = o.validationData === undefined ? null :
      readLabels(o.validationData[1] as LabelsInput,
                 o.validationData[0].shape[0], numClasses,
                 'validationData[1]');

  const snapshot = new ModelSnapshot(model);
  const progress = new ProgressLine(o.verbose > 0);
  try {
    const layers: LayerReport[] = [];
    for (const step of plan) {
      if (step.role === 'pass') {
        continue;
      }
      const layerStart = now();
      const report = step.role === 'pca' ?
          await computePcaLayer(plan, step, data, numClasses, o, progress) :
          step.role === 'normalize' ?
          await setBatchNormalization(plan, step, data, o, progress) :
          await computeOutputLayer(
              model, plan, step, data, numClasses, o, progress);
      report.seconds = now() - layerStart;
      layers.push(report);
      progress.done(
          `fitByPCA: ${report.name} (${report.role}) set in ` +
          `${report.seconds.toFixed(2)} s`);
      await o.onLayerEnd?.(report);
    }
    if (o.fineTuneEpochs > 0) {
      await fineTune(
          model, x, y, classOf, validationClasses, numClasses, o);
    }
    const train = evaluate(model, data, classOf, numClasses);
    const validation = o.validationData === undefined ||
            validationClasses === null ?
        null :
        evaluateTensors(
            model, o.validationData[0], validationClasses, numClasses);
    snapshot.dispose();
    return new FitByPcaReport(
        layers, train, validation, o.fineTuneEpochs, now() - started);
  } catch (e) {
    snapshot.restore();
    throw e;
  }
}

/** Validates x and y and decides which rows are used. */
function prepareData(
    model: LayersModel, x: tf.Tensor|PcaDataset, y: LabelsInput|undefined,
    o: ResolvedFitOptions):
    {data: TrainingRows, numClasses: number, classOf: Int32Array|null} {
  if (x instanceof tf.Tensor) {
    if (x.isDisposed || x.rank < 2) {
      throw new ValueError(
          `fitByPCA: \`x\` must be a tensor of rows [N, ...], received ` +
          `${x.isDisposed ? 'a disposed tensor' : describe(x)}.`);
    }
    if (y === undefined) {
      throw new ValueError('fitByPCA: `y` (the labels of `x`) is missing.');
    }
    const classOf = readLabels(y, x.shape[0], undefined, 'y');
    const numClasses = impliedClassCount(y, classOf);
    const rows = rowsPerClass(classOf, numClasses, o);
    return {data: {kind: 'tensor', x, rows}, numClasses, classOf};
  }
  if (x == null || typeof (x as PcaDataset).iterator !== 'function') {
    throw new ValueError(
        `fitByPCA: \`x\` must be a tensor or a tf.data.Dataset of {xs, ys}, ` +
        `received ${describe(x)}.`);
  }
  if (y !== undefined) {
    throw new ValueError(
        'fitByPCA: a Dataset carries its labels in `ys`; pass `y` only with ' +
        'a tensor `x`.');
  }
  if (o.samplesPerClass !== undefined) {
    throw new ValueError(
        'fitByPCA: `samplesPerClass` needs a tensor `x`; with a Dataset, ' +
        'take the rows you want with dataset.take() or filter().');
  }
  const last = model.layers[model.layers.length - 1];
  const numClasses = last.getConfig().units as number;
  return {data: {kind: 'dataset', dataset: x}, numClasses, classOf: null};
}

/**
 * Throws, before any work, when a tensor `x` does not have the model's
 * input shape (the axes the model fixes): layers would read it wrongly or
 * fail only after the layers below were computed.
 */
function checkInputShape(model: LayersModel, x: tf.Tensor|PcaDataset) {
  const expected = model.inputs[0]?.shape;
  if (!(x instanceof tf.Tensor) || expected === undefined) {
    return;
  }
  const received = x.shape;
  const fits = received.length === expected.length &&
      expected.every((n, i) => i === 0 || n === null || n === received[i]);
  if (!fits) {
    throw new ValueError(
        `fitByPCA: \`x\` has shape [${received.join(', ')}] but the model ` +
        `takes [${expected.map(n => n ?? 'N').join(', ')}].`);
  }
}

/**
 * Throws, before any work, for a hidden layer whose units cannot give every
 * class a component (or, with pairs, are odd).
 */
function checkUnits(
    plan: PlannedLayer[], numClasses: number, o: ResolvedFitOptions) {
  const perUnit = o.pairs ? 2 : 1;
  for (const step of plan.filter(p => p.role === 'pca')) {
    const units = layerWidth(step.layer);
    if (units % perUnit !== 0) {
      throw new ValueError(
          `fitByPCA: layer '${step.layer.name}' has ${units} units; with ` +
          `pairs on, every layer computed by PCA needs an even number ` +
          `(or pass pairs: false).`);
    }
    if (units / perUnit < numClasses) {
      throw new ValueError(
          `fitByPCA: layer '${step.layer.name}' has ${units} units, ` +
          `${units / perUnit} components${o.pairs ? ' with ± pairs' : ''}, ` +
          `for ${numClasses} classes; every class needs at least one ` +
          `component: give it at least ${numClasses * perUnit} units` +
          `${o.pairs ? ' or pass pairs: false' : ''}.`);
    }
    // Each class gets up to ⌈components / classes⌉ components, which its
    // rows (a Dense layer's inputs, a convolution's patches) must have.
    const perClass = Math.ceil(units / perUnit / numClasses);
    const features = step.layer.getClassName() === 'Dense' ?
        (step.layer.input as {shape: number[]}).shape.slice(1)
            .reduce((a, b) => a * b, 1) :
        convLayerGeometry(step.layer).grid.patchSize;
    if (perClass > features) {
      throw new ValueError(
          `fitByPCA: layer '${step.layer.name}' has ${units} units, ` +
          `${perClass} components per class${o.pairs ? ' with ± pairs' : ''}` +
          `, but its ${step.layer.getClassName() === 'Dense' ?
                           'input rows have' : 'patches have'} only ` +
          `${features} values; give it at most ` +
          `${features * numClasses * perUnit} units.`);
    }
  }
}

/**
 * Resolves `topLayer: 'auto'` (the softmax readout for a softmax output
 * layer, ridge otherwise) and throws unless the output layer suits the
 * choice: 'softmax' fits a softmax output and nothing else.
 */
function resolveTopLayer(plan: PlannedLayer[], o: ResolvedFitOptions) {
  const output = plan.find(p => p.role === 'output');
  const activation = output?.layer.getConfig().activation;
  if (o.topLayer === 'auto') {
    // Before fine-tuning too: with distinct components and a gentle
    // fine-tuning rate it measured better (docs/BENCHMARKS.md, "Variant
    // runs").
    o.topLayer = activation === 'softmax' ? 'softmax' : 'ridge';
  }
  if (o.topLayer === 'softmax' && activation !== 'softmax') {
    throw new ValueError(
        `fitByPCA: topLayer: 'softmax' fits a softmax output layer, but ` +
        `'${output?.layer.name}' has activation ${describe(activation)}; ` +
        `use topLayer: 'ridge' or 'train'.`);
  }
}

function checkCompiled(model: LayersModel, o: ResolvedFitOptions) {
  const needs = o.topLayer === 'train' ? `topLayer: 'train'` :
      o.fineTuneEpochs > 0             ? 'fineTuneEpochs' :
                                         null;
  if (needs !== null && model.optimizer == null) {
    throw new ValueError(
        `fitByPCA: ${needs} trains with the model's optimizer and loss; ` +
        `call model.compile() first (the default closed-form output layer ` +
        `needs no compile).`);
  }
}

/** Units of a Dense layer, filters of a convolution. */
function layerWidth(layer: PlannedLayer['layer']): number {
  const config = layer.getConfig();
  return (config.units ?? config.filters) as number;
}

/**
 * Sets a hidden Dense layer from the class-based PCA of its input rows, or
 * a Conv2D or Conv1D layer from that of the patches it reads.
 */
async function computePcaLayer(
    plan: PlannedLayer[], step: PlannedLayer, data: TrainingRows,
    numClasses: number, o: ResolvedFitOptions,
    progress: ProgressLine): Promise<LayerReport> {
  const layer = step.layer;
  const units = layerWidth(layer);
  const perUnit = o.pairs ? 2 : 1;
  const components = units / perUnit;
  const {pca, samples} = layer.getClassName() === 'Dense' ?
      await denseLayerPca(plan, step, data, numClasses, components, o,
                          progress) :
      await convLayerPca(plan, step, data, numClasses, components, o,
                         progress)
          .then(r => ({pca: r.pca, samples: r.patches}));
  const shape = layer.getWeights()[0].shape;
  const built = kernelFromPca(
      pca, shape, {pairs: o.pairs}, `fitByPCA ('${layer.name}')`);
  setKernelAndBias(layer, built.kernel, built.bias, shape);
  return {
    name: layer.name,
    className: layer.getClassName(),
    index: step.index,
    role: 'pca',
    units,
    samples,
    unitsPerClass: pca.classes.map(c => c.numComponents * perUnit),
    explainedVariance: pca.classes.reduce(
        (sum, c) => sum + c.explainedVarianceRatio.reduce((a, b) => a + b, 0),
        0) / numClasses,
    lambda: null,
    temperature: null,
    seconds: 0,
  };
}

/** The class-based PCA of a Dense layer's input rows. */
async function denseLayerPca(
    plan: PlannedLayer[], step: PlannedLayer, data: TrainingRows,
    numClasses: number, components: number, o: ResolvedFitOptions,
    progress: ProgressLine): Promise<{pca: ClassPcaResult, samples: number}> {
  const stats = await layerStatistics(plan, step, data, numClasses, o,
                                      progress);
  try {
    const pca = classPcaFromStatistics(stats, layerPcaOptions(components, o));
    return {pca, samples: stats.totalCount};
  } finally {
    stats.dispose();
  }
}

/** Per-class statistics of the input of `step`'s layer. */
async function layerStatistics(
    plan: PlannedLayer[], step: PlannedLayer, data: TrainingRows,
    numClasses: number, o: ResolvedFitOptions,
    progress: ProgressLine): Promise<ClassStatistics> {
  let stats: ClassStatistics|undefined;
  const total = data.kind === 'tensor' ?
      data.rows.reduce((a, r) => a + r.length, 0) : -1;
  let done = 0;
  try {
    await forEachFeatureBatch(data, plan, step.index, o.batchSize, batch => {
      stats = stats ?? new ClassStatistics(batch.features.shape[1], numClasses);
      if (batch.classIndex !== null) {
        stats.updateClass(batch.classIndex, batch.features, 'layer input');
      } else {
        stats.update(batch.features, batch.labels as tf.Tensor1D);
      }
      done += batch.features.shape[0];
      progress.update(`fitByPCA: ${step.layer.name}`, done, total);
    });
  } catch (e) {
    stats?.dispose();
    throw e;
  }
  if (stats === undefined) {
    throw new ValueError('fitByPCA: there are no training rows.');
  }
  return stats;
}

/** Solves (and optionally trains) the output layer. */
async function computeOutputLayer(
    model: LayersModel, plan: PlannedLayer[], step: PlannedLayer,
    data: TrainingRows,
    numClasses: number, o: ResolvedFitOptions,
    progress: ProgressLine): Promise<LayerReport> {
  const layer = step.layer;
  const config = layer.getConfig();
  const units = config.units as number;
  let readout: RidgeReadout|undefined;
  const kept = o.topLayer === 'softmax' ? new KeptFeatures() : null;
  let row = 0;
  let dim = 0;
  try {
    await forEachFeatureBatch(data, plan, step.index, o.batchSize, batch => {
      dim = batch.features.shape[1];
      readout = readout ?? new RidgeReadout(dim, numClasses);
      const n = batch.features.shape[0];
      const classOf = batch.classIndex !== null ?
          new Int32Array(n).fill(batch.classIndex) :
          readLabels(batch.labels as tf.Tensor1D, n, numClasses, 'ys');
      const held = Array.from(
          {length: n}, (_, i) => (row + i) % HOLD_OUT_EVERY ===
              HOLD_OUT_EVERY - 1);
      readout.add(batch.features, classOf, held);
      kept?.add(batch.features, classOf, held);
      row += n;
      progress.update(`fitByPCA: ${layer.name}`, row, -1);
    });
    if (readout === undefined) {
      throw new ValueError('fitByPCA: there are no training rows.');
    }
    const softmax = config.activation === 'softmax';
    const solved = readout.solve(softmax, fixedRidge(o));
    let {kernel, bias} = solved;
    if (kept !== null) {
      const refined = refineSoftmax(kept, numClasses, solved, o, layer.name);
      ({kernel, bias} = refined);
    }
    setKernelAndBias(layer, kernel, bias, [dim, units]);
    if (o.topLayer === 'train') {
      await trainOutputLayer(model, plan, step, data, o);
    }
    return {
      name: layer.name,
      className: layer.getClassName(),
      index: step.index,
      role: 'output',
      units,
      samples: row,
      unitsPerClass: [],
      explainedVariance: null,
      lambda: solved.lambda,
      temperature: softmax ? solved.temperature : null,
      seconds: 0,
    };
  } finally {
    readout?.dispose();
    kept?.dispose();
  }
}

/**
 * The softmax readout fitted by {@link fitSoftmaxReadout} from the ridge
 * solution, on the kept features.
 * @throws ValueError if the output layer is not a softmax.
 */
function refineSoftmax(
    kept: KeptFeatures, numClasses: number,
    start: {kernel: Float32Array, bias: Float32Array},
    o: ResolvedFitOptions, layerName: string) {
  const [train, held] = kept.take();
  try {
    return fitSoftmaxReadout(train, held, numClasses, start, {
      l2: SOFTMAX_L2,
      maxIterations: o.topIterations,
      patience: SOFTMAX_PATIENCE,
    });
  } finally {
    tf.dispose([train.features, held.features]);
  }
}

/**
 * The ridge λ to use as is, or undefined to choose it on held-out rows.
 * `'auto'` chooses it, unless end-to-end training follows: then the
 * measured {@link FINE_TUNE_RIDGE}, whose smaller output weights keep the
 * first steps of training from blowing the loss up.
 */
function fixedRidge(o: ResolvedFitOptions): number|undefined {
  if (o.ridge !== 'auto') {
    return o.ridge;
  }
  return o.fineTuneEpochs > 0 ? FINE_TUNE_RIDGE : undefined;
}

/**
 * Trains the output layer alone on features of the layers below computed
 * once: a one-layer model that shares the output layer's weights, compiled
 * with the model's optimizer and loss.
 */
async function trainOutputLayer(
    model: LayersModel, plan: PlannedLayer[], step: PlannedLayer,
    data: TrainingRows, o: ResolvedFitOptions) {
  if (data.kind !== 'tensor') {
    throw new ValueError(
        `fitByPCA: topLayer: 'train' needs a tensor \`x\`; with a Dataset ` +
        `use the default 'ridge'.`);
  }
  const features: tf.Tensor2D[] = [];
  const labels: number[] = [];
  try {
    await forEachFeatureBatch(data, plan, step.index, o.batchSize, batch => {
      features.push(tf.keep(tf.clone(batch.features)));
      labels.push(
          ...new Array(batch.features.shape[0]).fill(batch.classIndex));
    });
    const loss = (model as unknown as {loss: unknown}).loss;
    const lossName =
        typeof loss === 'string' ? loss : 'categoricalCrossentropy';
    // A twin of the output layer is trained and its weights copied back:
    // adding the layer itself to a second model would change its graph.
    const config = step.layer.getConfig();
    const twin = tfLayers.dense({
      units: config.units as number,
      activation: config.activation as 'softmax',
      useBias: config.useBias as boolean,
      inputShape: [features[0].shape[1]],
    });
    const top: Sequential = sequential({layers: [twin]});
    twin.setWeights(step.layer.getWeights());
    top.compile({optimizer: freshCopy(model.optimizer), loss: lossName});
    const xs = tf.concat(features);
    const ys = lossTargets(lossName, labels, config.units as number);
    try {
      await top.fit(xs, ys, {
        epochs: o.topEpochs,
        batchSize: o.fitBatchSize,
        shuffle: true,
        verbose: 0,
      });
      step.layer.setWeights(twin.getWeights());
    } finally {
      tf.dispose([xs, ys]);
      top.layers.forEach(l => l.dispose());
    }
  } finally {
    tf.dispose(features);
  }
}

/**
 * A new optimizer of the same class and settings. tfjs optimizers keep
 * their per-weight state by position in the weight list, so one shared by
 * two models would apply one model's moments to the other's weights.
 */
function freshCopy(optimizer: tf.Optimizer): tf.Optimizer {
  const cls = optimizer.constructor as unknown as
      tf.serialization.SerializableConstructor<tf.Optimizer>&{
        fromConfig: (c: unknown, config: tf.serialization.ConfigDict) =>
            tf.Optimizer,
      };
  return cls.fromConfig(cls, optimizer.getConfig());
}

/** Targets in the form the loss expects: class indices or one-hot. */
function lossTargets(loss: string, labels: number[], numClasses: number):
    tf.Tensor {
  return tf.tidy(() => {
    const indices = tf.tensor1d(labels, 'int32');
    return /sparse/i.test(loss) ?
        tf.cast(indices, 'float32') :
        tf.cast(tf.oneHot(indices, numClasses), 'float32');
  });
}

/**
 * Labels in the form a compiled loss takes: class indices as float32 for
 * the sparse losses, one-hot rows for the other built-in ones; for a
 * custom loss, the labels as given, in float32. `owned` tells whether the
 * tensor was made here (and is to be disposed).
 */
function targetsFor(
    loss: unknown, classes: Int32Array|null, given: LabelsInput,
    numClasses: number): {targets: tf.Tensor, owned: boolean} {
  if (typeof loss === 'string' && classes !== null) {
    return {targets: lossTargets(loss, Array.from(classes), numClasses),
            owned: true};
  }
  if (given instanceof tf.Tensor) {
    return given.dtype === 'float32' ?
        {targets: given, owned: false} :
        {targets: tf.cast(given, 'float32'), owned: true};
  }
  return {targets: tf.tensor1d(Array.from(given), 'float32'), owned: true};
}

async function fineTune(
    model: LayersModel, x: tf.Tensor|PcaDataset, y: LabelsInput|undefined,
    classOf: Int32Array|null, validationClasses: Int32Array|null,
    numClasses: number, o: ResolvedFitOptions) {
  if (!(x instanceof tf.Tensor)) {
    await (model as unknown as {
      fitDataset(ds: unknown, args: object): Promise<unknown>,
    }).fitDataset(x, {epochs: o.fineTuneEpochs, verbose: o.verbose});
    return;
  }
  const loss = (model as unknown as {loss: unknown}).loss;
  const ys = targetsFor(loss, classOf, y as LabelsInput, numClasses);
  const validationYs = o.validationData === undefined ? null :
      targetsFor(loss, validationClasses,
                 o.validationData[1] as LabelsInput, numClasses);
  const schedule = fineTuneSchedule(model, x.shape[0], o);
  try {
    await model.fit(x, ys.targets, {
      epochs: o.fineTuneEpochs,
      batchSize: o.fitBatchSize,
      shuffle: true,
      verbose: o.verbose,
      validationData: o.validationData === undefined ||
              validationYs === null ?
          undefined :
          [o.validationData[0], validationYs.targets],
      callbacks: schedule === null ? undefined : [schedule.callback],
    });
  } finally {
    schedule?.restore();
    for (const made of [ys, validationYs]) {
      if (made !== null && made.owned) {
        made.targets.dispose();
      }
    }
  }
}

/**
 * The cosine learning-rate schedule of fine-tuning, peaking at
 * `fineTunePeak` times the optimizer's own rate, or null when the schedule
 * is 'constant' or the optimizer has no numeric `learningRate`.
 */
function fineTuneSchedule(
    model: LayersModel, rows: number, o: ResolvedFitOptions) {
  const optimizer = model.optimizer;
  if (o.fineTuneSchedule !== 'cosine' || !hasLearningRate(optimizer)) {
    return null;
  }
  const steps = o.fineTuneEpochs * Math.ceil(rows / o.fitBatchSize);
  return cosineSchedule(
      optimizer, o.fineTunePeak * optimizer.learningRate, steps,
      Math.round(o.fineTuneWarmup * steps));
}

/** Sets a Dense or convolutional layer's kernel (of `shape`) and bias. */
function setKernelAndBias(
    layer: PlannedLayer['layer'], kernel: Float32Array, bias: Float32Array,
    shape: number[]) {
  const useBias = layer.getConfig().useBias !== false;
  const weights: tf.Tensor[] = [tf.tensor(kernel, shape)];
  if (useBias) {
    weights.push(tf.tensor1d(bias));
  }
  try {
    layer.setWeights(weights);
  } finally {
    tf.dispose(weights);
  }
}

/** Loss and accuracy on (at most EVALUATION_ROWS of) the training rows. */
function evaluate(
    model: LayersModel, data: TrainingRows, classOf: Int32Array|null,
    numClasses: number): Evaluation {
  if (data.kind !== 'tensor' || classOf === null) {
    return {loss: NaN, accuracy: NaN, rows: 0};
  }
  const all = data.rows.flatMap(r => Array.from(r));
  const stride = Math.max(1, Math.ceil(all.length / EVALUATION_ROWS));
  const rows = Int32Array.from(all.filter((_, i) => i % stride === 0));
  const x = gatherBatch(data.x, rows);
  try {
    return evaluateTensors(model, x, Int32Array.from(rows, r => classOf[r]),
                           numClasses);
  } finally {
    x.dispose();
  }
}

function evaluateTensors(
    model: LayersModel, x: tf.Tensor, classOf: Int32Array,
    numClasses: number): Evaluation {
  let loss = 0;
  let right = 0;
  const n = x.shape[0];
  for (let start = 0; start < n; start += 4096) {
    const size = Math.min(4096, n - start);
    const [l, r] = tf.tidy(() => {
      const xb = tf.slice(x, start, size);
      const out = model.predict(xb, {batchSize: size}) as tf.Tensor2D;
      const labels = tf.tensor1d(classOf.subarray(start, start + size),
                                 'int32');
      const probs = isProbability(model) ? out : tf.softmax(out);
      const picked = tf.sum(
          tf.mul(probs, tf.oneHot(labels, numClasses) as tf.Tensor2D), 1);
      const ce = tf.neg(tf.log(tf.maximum(picked, 1e-7)));
      const hit = tf.equal(tf.argMax(out, 1), labels);
      return [tf.sum(ce).dataSync()[0],
              tf.sum(tf.cast(hit, 'float32')).dataSync()[0]];
    });
    loss += l;
    right += r;
  }
  return {loss: loss / n, accuracy: right / n, rows: n};
}

function isProbability(model: LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  return last.getConfig().activation === 'softmax';
}

function now(): number {
  return Date.now() / 1000;
}

