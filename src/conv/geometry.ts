import {describe, NotImplementedError, ValueError} from '../errors';

/**
 * How a convolution reads its input, as the options of a tfjs-layers
 * Conv2D layer spell it. Conv1D geometries are the same with one spatial
 * axis (a number for each field).
 */
export interface PatchGeometryArgs {
  /**
   * The kernel's height and width (one number for both), or its length for
   * a Conv1D layer. Where a kernel shape is at hand (PcaInitializer) it is
   * read from there and this field, if given, must agree with it.
   */
  kernelSize?: number|number[];
  /** Steps between patches along each axis. Defaults to 1. */
  strides?: number|number[];
  /**
   * `'valid'`: patches lie wholly inside the input; `'same'`: the input is
   * padded with zeros so that there are ⌈size / stride⌉ patches along each
   * axis, as tfjs pads it. (tfjs-layers does not run Conv1D's `'causal'`
   * padding.) Defaults to 'valid'.
   */
  padding?: 'valid'|'same';
  /** Spacing between the kernel's taps along each axis. Defaults to 1. */
  dilationRate?: number|number[];
  /**
   * `'channelsLast'` (input [N, height, width, channels]) or
   * `'channelsFirst'` ([N, channels, height, width]). Defaults to
   * 'channelsLast'.
   */
  dataFormat?: 'channelsLast'|'channelsFirst';
}

/**
 * A convolution's geometry with every default filled in, always with two
 * spatial axes: a Conv1D layer is a Conv2D of height 1.
 */
export interface ConvGeometry {
  /** Spatial axes of the layer: 1 (Conv1D) or 2 (Conv2D). */
  spatialRank: 1|2;
  /** [kh, kw]. */
  kernel: [number, number];
  /** [sh, sw]. */
  strides: [number, number];
  /** [dh, dw]. */
  dilation: [number, number];
  padding: 'valid'|'same';
  dataFormat: 'channelsLast'|'channelsFirst';
}

/** Where the patches of one input image lie, for a geometry. */
export interface PatchGrid {
  /** Input height, width and channels. */
  height: number;
  width: number;
  channels: number;
  /** Patches along each axis: the layer's output height and width. */
  outHeight: number;
  outWidth: number;
  /** Zero rows above and zero columns left of the input. */
  padTop: number;
  padLeft: number;
  /** Values per patch, kh·kw·channels: the kernel's input dimension. */
  patchSize: number;
  /** Patches per image, outHeight·outWidth. */
  positions: number;
}

/**
 * Checks a geometry and fills in the defaults of tfjs-layers.
 *
 * @param args - The geometry; `kernelSize` is required.
 * @param spatialRank - 2 for Conv2D, 1 for Conv1D.
 * @param who - The name error messages start with.
 * @throws ValueError naming the field, the value and what is expected.
 */
export function resolveGeometry(
    args: PatchGeometryArgs, spatialRank: 1|2, who: string): ConvGeometry {
  if (args === null || typeof args !== 'object') {
    throw new ValueError(
        `${who}: the patch geometry must be an object ` +
        `{kernelSize, strides, padding, dilationRate, dataFormat}, ` +
        `received ${describe(args)}.`);
  }
  const known = ['kernelSize', 'strides', 'padding', 'dilationRate',
                 'dataFormat'];
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) {
      throw new ValueError(
          `${who}: unknown patch option ${describe(key)}; known options ` +
          `are ${known.join(', ')}.`);
    }
  }
  if (args.kernelSize === undefined) {
    throw new ValueError(`${who}: \`kernelSize\` is missing.`);
  }
  const kernel = axisPair(args.kernelSize, spatialRank, 'kernelSize', who);
  const strides = axisPair(args.strides ?? 1, spatialRank, 'strides', who);
  const dilation =
      axisPair(args.dilationRate ?? 1, spatialRank, 'dilationRate', who);
  const padding = args.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') {
    throw new ValueError(
        `${who}: \`padding\` must be 'valid' or 'same', received ` +
        `${describe(args.padding)}.`);
  }
  const dataFormat = args.dataFormat ?? 'channelsLast';
  if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
    throw new ValueError(
        `${who}: \`dataFormat\` must be 'channelsLast' or 'channelsFirst', ` +
        `received ${describe(args.dataFormat)}.`);
  }
  if (spatialRank === 1 && dataFormat === 'channelsFirst') {
    // A Conv1D input is read as [length, channels]; its channels-first
    // layout is not supported.
    throw new NotImplementedError(
        `${who}: a one-dimensional input ([length, channels]) must be ` +
        `'channelsLast'; 'channelsFirst' is not supported for Conv1D.`);
  }
  return {spatialRank, kernel, strides, dilation, padding, dataFormat};
}

/**
 * A geometry argument as [height axis, width axis]. A Conv1D value is its
 * width, with height 1.
 */
function axisPair(
    value: unknown, spatialRank: 1|2, name: string,
    who: string): [number, number] {
  const values = typeof value === 'number' ?
      new Array<number>(spatialRank).fill(value) :
      value;
  if (!Array.isArray(values) || values.length !== spatialRank ||
      !values.every(v => Number.isInteger(v) && v > 0)) {
    throw new ValueError(
        `${who}: \`${name}\` must be a positive integer` +
        `${spatialRank === 2 ? ' or two of them' : ''}, received ` +
        `${describe(value)}.`);
  }
  return spatialRank === 2 ? [values[0], values[1]] : [1, values[0]];
}

/**
 * The geometry of a tfjs-layers Conv2D or Conv1D layer, from its config.
 */
export function geometryOfLayer(
    config: Record<string, unknown>, spatialRank: 1|2,
    who: string): ConvGeometry {
  return resolveGeometry({
    kernelSize: config.kernelSize as number[],
    strides: config.strides as number[],
    padding: config.padding as PatchGeometryArgs['padding'],
    dilationRate: config.dilationRate as number[],
    dataFormat: (config.dataFormat ?? 'channelsLast') as
        PatchGeometryArgs['dataFormat'],
  }, spatialRank, who);
}

/**
 * The patch grid of an input whose shape, without the batch axis, is
 * `imageShape`: [height, width, channels] or [channels, height, width] by
 * `dataFormat` for Conv2D, [length, channels] for Conv1D.
 *
 * Output sizes and padding follow tfjs (and TensorFlow): with `'valid'`,
 * ⌊(size − e) / s⌋ + 1 patches for an effective kernel size
 * e = (k − 1)·d + 1; with `'same'`, ⌈size / s⌉ and max(0, (out − 1)·s +
 * e − size) zeros, the smaller half before.
 *
 * @throws ValueError if the input has the wrong rank or is smaller than the
 *   kernel.
 */
export function patchGrid(
    imageShape: number[], g: ConvGeometry, who: string): PatchGrid {
  if (imageShape.length !== g.spatialRank + 1 ||
      !imageShape.every(n => Number.isInteger(n) && n > 0)) {
    const expected = g.spatialRank === 1 ? '[length, channels]' :
        g.dataFormat === 'channelsLast'  ? '[height, width, channels]' :
                                           '[channels, height, width]';
    throw new ValueError(
        `${who}: each input image must have shape ${expected}, received ` +
        `${describe(imageShape)}.`);
  }
  const [height, width, channels] = g.spatialRank === 1 ?
      [1, imageShape[0], imageShape[1]] :
      g.dataFormat === 'channelsLast' ?
      [imageShape[0], imageShape[1], imageShape[2]] :
      [imageShape[1], imageShape[2], imageShape[0]];
  const [outHeight, padTop] =
      axisOutput(height, g.kernel[0], g.strides[0], g.dilation[0], g.padding);
  const [outWidth, padLeft] =
      axisOutput(width, g.kernel[1], g.strides[1], g.dilation[1], g.padding);
  if (outHeight < 1 || outWidth < 1) {
    throw new ValueError(
        `${who}: an input of shape ${describe(imageShape)} is smaller than ` +
        `the dilated kernel [${effective(g.kernel[0], g.dilation[0])}, ` +
        `${effective(g.kernel[1], g.dilation[1])}] with padding ` +
        `'${g.padding}': it has no patch.`);
  }
  return {
    height, width, channels, outHeight, outWidth, padTop, padLeft,
    patchSize: g.kernel[0] * g.kernel[1] * channels,
    positions: outHeight * outWidth,
  };
}

/** Patches along one axis and the zeros padded before it. */
function axisOutput(
    size: number, k: number, s: number, d: number,
    padding: ConvGeometry['padding']): [number, number] {
  const e = effective(k, d);
  if (padding === 'valid') {
    return [Math.floor((size - e) / s) + 1, 0];
  }
  const out = Math.ceil(size / s);
  const total = Math.max(0, (out - 1) * s + e - size);
  return [out, Math.floor(total / 2)];
}

function effective(k: number, d: number): number {
  return (k - 1) * d + 1;
}
