import {LayersModel} from '@tensorflow/tfjs-layers';

import {describe, NotImplementedError, ValueError} from '../errors';

/**
 * What fitByPCA does with a layer: runs it as it is (`'pass'`), computes
 * it by class-based PCA (`'pca'`), sets a BatchNormalization layer
 * (`'normalize'`), or solves the output layer (`'output'`).
 */
export type LayerRole = 'pass'|'pca'|'normalize'|'output';

/** One layer of a model and what fitByPCA does with it. */
export interface PlannedLayer {
  /** The layer (a tfjs-layers Layer). */
  layer: LayersModel['layers'][number];
  /** Its position in `model.layers`. */
  index: number;
  role: LayerRole;
}

/**
 * Layers without weights that fitByPCA runs as they are (in inference mode,
 * so Dropout and the noise layers are the identity).
 */
export const PASS_THROUGH = new Set([
  'InputLayer', 'Flatten', 'Dropout', 'Activation', 'Reshape',
  'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'SpatialDropout1D',
  'SpatialDropout2D', 'Permute', 'MaxPooling1D', 'MaxPooling2D',
  'AveragePooling1D', 'AveragePooling2D', 'GlobalAveragePooling1D',
  'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
  'ZeroPadding2D',
]);

/**
 * Layers whose weights fitByPCA computes: Dense from its input rows,
 * Conv2D and Conv1D from the patches they read.
 */
export const COMPUTED = new Set(['Dense', 'Conv2D', 'Conv1D']);

/** Layers set from statistics of their input (see `batchNormalization`). */
export const NORMALIZATION = new Set(['BatchNormalization']);

/** Why some layers are not supported, for their error message. */
const REFUSED: Record<string, string> = {
  DepthwiseConv2D: 'a depthwise kernel filters each input channel apart, ' +
      'and class components of whole patches do not fill it',
  SeparableConv2D: 'its depthwise and pointwise kernels are a product ' +
      'that class components of whole patches do not fill',
  Conv2DTranspose: 'a transposed convolution reads no patches of its input',
};

/**
 * Decides the role of every layer of `model`: weightless layers pass,
 * hidden Dense, Conv2D and Conv1D layers are computed by class-based PCA,
 * BatchNormalization layers are set from the data, and the last layer with
 * weights, a Dense layer with one unit per class, is the output.
 *
 * @throws NotImplementedError naming the first layer fitByPCA cannot handle.
 * @throws ValueError if the model is not a linear stack or has no output
 *   Dense layer with `numClasses` units.
 */
export function planLayers(model: LayersModel, numClasses: number):
    PlannedLayer[] {
  if (model == null || !Array.isArray((model as LayersModel).layers)) {
    throw new ValueError(
        `fitByPCA: \`model\` must be a tf.Sequential or tf.LayersModel, ` +
        `received ${describe(model)}.`);
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new NotImplementedError(
        `fitByPCA: only models with one input and one output are ` +
        `supported, this one has ${model.inputs.length} and ` +
        `${model.outputs.length}.`);
  }
  const plan = model.layers.map((layer, index): PlannedLayer => {
    const kind = layer.getClassName();
    if (PASS_THROUGH.has(kind)) {
      return {layer, index, role: 'pass'};
    }
    if (COMPUTED.has(kind)) {
      return {layer, index, role: 'pca'};
    }
    if (NORMALIZATION.has(kind)) {
      return {layer, index, role: 'normalize'};
    }
    throw new NotImplementedError(
        `fitByPCA: layer '${layer.name}' (${kind}) is not supported yet` +
        `${REFUSED[kind] === undefined ? '' : `: ${REFUSED[kind]}`}. ` +
        `Supported: ${[...COMPUTED].join(', ')} (computed), ` +
        `${[...NORMALIZATION].join(', ')} (set from the data) and ` +
        `${[...PASS_THROUGH].join(', ')} (passed through).`);
  });
  checkLinearStack(model);

  const computed = plan.filter(p => p.role === 'pca');
  const output = computed[computed.length - 1];
  if (output === undefined) {
    throw new ValueError(
        'fitByPCA: the model has no Dense or convolutional layer; its last ' +
        'Dense layer is the output that fitByPCA solves for.');
  }
  if (output.layer.getClassName() !== 'Dense') {
    throw new NotImplementedError(
        `fitByPCA: the last layer with weights, '${output.layer.name}' ` +
        `(${output.layer.getClassName()}), is the output layer and must ` +
        `be Dense with one unit per class (add Flatten or ` +
        `GlobalAveragePooling2D and a Dense layer after it).`);
  }
  output.role = 'output';
  if (output.layer.getConfig().useBias === false) {
    throw new NotImplementedError(
        `fitByPCA: the output layer '${output.layer.name}' has no bias ` +
        `(useBias: false); its readout is solved with a bias, which ` +
        `cannot be dropped without losing accuracy. Give it useBias: true.`);
  }
  const units = (output.layer.getConfig().units as number);
  if (units !== numClasses) {
    throw new ValueError(
        `fitByPCA: the output layer '${output.layer.name}' has ${units} ` +
        `units but the labels have ${numClasses} classes; it needs one ` +
        `unit per class.`);
  }
  const after = plan.slice(output.index + 1).find(p => p.role !== 'pass');
  if (after !== undefined) {
    throw new NotImplementedError(
        `fitByPCA: layer '${after.layer.name}' follows the output layer.`);
  }
  return plan;
}

/** Throws unless each layer feeds only the next one. */
function checkLinearStack(model: LayersModel) {
  model.layers.forEach((layer, i) => {
    if (layer.inboundNodes.length > 1) {
      throw new NotImplementedError(
          `fitByPCA: layer '${layer.name}' is shared or used more than ` +
          `once; only plain stacks of layers are supported.`);
    }
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    const previous = model.layers[i - 1];
    const fromPrevious = inbound.length === 0 ||
        (inbound.length === 1 &&
         (inbound[0] === previous ||
          (i === 0 && inbound[0].getClassName() === 'InputLayer')));
    if (!fromPrevious) {
      throw new NotImplementedError(
          `fitByPCA: layer '${layer.name}' does not take its input from ` +
          `the layer before it; only plain stacks of layers are supported.`);
    }
  });
}
