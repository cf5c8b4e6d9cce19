/**
 * What the time-scale monitor records: plain JSON values, nothing to
 * dispose. Undefined quantities (0/0) are `null`, never NaN, so a record
 * survives `JSON.stringify` unchanged.
 */

/** One monitored layer, as it was when training began. */
export interface MonitoredLayer {
  /** The layer's name, as in `model.layers`. */
  name: string;
  /** Its class name, e.g. 'Dense'. */
  className: string;
  /** Its position in the model's layers (the model the callback sees). */
  index: number;
  /** The kernel's shape, e.g. [inputDim, units] for Dense. */
  kernelShape: number[];
  /** Whether the layer was trainable when training began. */
  trainable: boolean;
  /**
   * Whether the alignment is measured for it: Dense layers with rank-2
   * input, given a probe set.
   */
  aligned: boolean;
}

/** The measurements of one layer at one record. */
export interface LayerRecord {
  /** The layer's name. */
  name: string;
  /**
   * The relative update rate per step since the previous record s:
   * ‖W_t − W_s‖ / (‖W_t‖ · (t − s)). Null when ‖W_t‖ = 0, or when the
   * weights are no longer finite (training diverged); so are the other
   * measurements then.
   */
  rate: number|null;
  /**
   * The displacement since training began: ‖W_t − W_0‖ / ‖W_0‖. Null when
   * ‖W_0‖ = 0 or not finite.
   */
  displacement: number|null;
  /**
   * The fraction of ‖W_t − W_0‖² in the span of the class-based PCA
   * components of the layer's input: ‖Qᵀ(W_t − W_0)‖² / ‖W_t − W_0‖² with
   * Q an orthonormal basis of the span. Null without a probe set, for a
   * layer whose alignment is not measured, or when W_t = W_0.
   */
  alignment: number|null;
  /**
   * The dimension of that span (C·components unless some components are
   * dependent); null when the alignment is not measured. A random
   * subspace of this dimension holds spanDim / inputDim of an update on
   * average.
   */
  spanDim: number|null;
  /** Whether the layer was frozen by the monitor at this record. */
  frozen: boolean;
}

/** One sampling point. */
export interface MonitorRecord {
  /** Training steps (batches) since training began, counting from 1. */
  step: number;
  /** The epoch, counting from 0. */
  epoch: number;
  /** The batch within the epoch, counting from 0. */
  batch: number;
  /** Steps since the previous record (the first: since training began). */
  interval: number;
  /** Wall seconds since training began. */
  seconds: number;
  /** One entry per monitored layer, in model order. */
  layers: LayerRecord[];
}

/** The log keys of one layer's measurement. */
export type Measurement = 'rate'|'displacement'|'alignment';

/**
 * The key under which the monitor adds a layer's latest measurement to
 * the logs of `model.fit`: `ts/<layer name>/rate`,
 * `ts/<layer name>/displacement` and `ts/<layer name>/alignment` (the last
 * only with a probe set). Undefined values are logged as NaN.
 *
 * @example
 * ```js
 * const monitor = new TimeScaleMonitor({probe: {x: xProbe, y: yProbe}});
 * const history = await model.fit(x, y, {epochs: 3, callbacks: [monitor]});
 * // The first layer's alignment at the last record of each epoch:
 * console.log(history.history[logKey(model.layers[0].name, 'alignment')]);
 * ```
 */
export function logKey(layerName: string, what: Measurement): string {
  return `ts/${layerName}/${what}`;
}
