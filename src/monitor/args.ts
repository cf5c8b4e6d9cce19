import * as tf from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors';
import {LabelsInput} from '../stats/labels';

/** Rows with their labels, on which the class-PCA spans are computed. */
export interface ProbeSet {
  /** Inputs of the model, first axis the rows (a few thousand suffice). */
  x: tf.Tensor;
  /** Their classes: indices (tensor or array) or one-hot rows. */
  y: LabelsInput;
}

/** Arguments of {@link TimeScaleMonitor}. */
export interface TimeScaleMonitorArgs {
  /**
   * Record every this many batches (training steps). Each record reads a
   * few numbers per layer back from the backend; between records the
   * monitor does no tensor work. Defaults to 20: on the demo MLP
   * (bench/monitor-overhead.ts, wasm) the records then took 0.3% of
   * `model.fit`'s time without a probe set and 1.4% with one; the spans
   * of a probe set cost extra, when training begins and at each refresh
   * (docs/MONITOR.md).
   */
  every?: number;
  /**
   * Also record at steps 1, 2, 5, 10, 20, 50, … (a 1-2-5 sequence) below
   * `every`, to resolve the fast first phase of training. Defaults to true.
   */
  earlyRecords?: boolean;
  /**
   * Names of the layers to monitor, each a layer with a kernel. Defaults to
   * every layer of the model that has a kernel, in model order.
   */
  layers?: string[];
  /**
   * Rows and labels for the alignment: for each Dense layer, the fraction
   * of its kernel's displacement that lies in the span of the class-based
   * PCA components of its input on these rows. The monitor only reads
   * them; the caller keeps and disposes them. Defaults to none (no
   * alignment is measured).
   */
  probe?: ProbeSet;
  /**
   * Components per class of the class-based PCA that spans the alignment
   * subspace (C·components directions for C classes, fewer if some are
   * dependent). Defaults to 10.
   */
  components?: number;
  /**
   * Recompute a layer's span, streaming the probe set through the layers
   * below as they are then, once a kernel K below it has moved by more
   * than this fraction of its size since the span was computed:
   * ‖K − K_r‖ / ‖K_r‖ above spanRefreshMovement, checked at every record. The
   * input of a layer changes only when the layers below it move, so this
   * refreshes often early in training, when they move fast, and rarely
   * later. The first layer's span, and that of a layer with only frozen
   * layers below, never changes. A positive number (Infinity: never).
   * Defaults to 0.05: on the demo MLP (1,000 steps of SGD) it recomputed
   * the spans 4 times and kept the alignment within 0.03 (second layer)
   * and 0.08 (output layer) of that on spans recomputed at every record,
   * where 0.02 took 11 refreshes (within 0.02 and 0.03) and never
   * refreshing drifted by 0.11 and 0.22 (docs/MONITOR.md).
   */
  spanRefreshMovement?: number;
  /**
   * Also recompute the spans of layers with a trainable kernel below them
   * every this many records, however little it moved. Defaults to none.
   */
  spanRefreshEvery?: number;
  /** Probe rows per batch when streaming them. Defaults to 1024. */
  probeBatchSize?: number;
  /**
   * A layer has settled once its update rate stays at or below this
   * fraction of its peak rate (see {@link TimeScaleMonitor}). A number in
   * (0, 1]. Defaults to 0.5: with a constant learning rate the rate does
   * not fall to 0 but to a floor set by the gradient noise, which in the
   * demo (plain SGD 0.05, batch 64) lay at 20–40% of the peak, so a
   * smaller threshold may never be met.
   */
  settleThreshold?: number;
  /**
   * Records in a row, counting the first, at or below the threshold before
   * a layer counts as settled. Defaults to 3.
   */
  settlePatience?: number;
  /**
   * Freeze each layer once it has settled and every monitored layer below
   * it is frozen (bottom-up, so backpropagation stops below the lowest
   * trained layer), never the last monitored layer. Trainable flags are
   * restored when training ends, stops early or throws. Defaults to false.
   */
  freeze?: boolean;
  /**
   * Add the latest values to the logs that `model.fit` passes to the
   * callbacks after this one (keys in {@link logKey}). Defaults to true.
   */
  logs?: boolean;
  /**
   * A folder (Node only) to write `time-scales.json` and `time-scales.html`
   * to at every epoch end and when training ends. Defaults to none.
   */
  outDir?: string;
}

/** {@link TimeScaleMonitorArgs} with every default filled in. */
export interface ResolvedMonitorArgs {
  every: number;
  earlyRecords: boolean;
  layers: string[]|null;
  probe: ProbeSet|null;
  components: number;
  spanRefreshMovement: number;
  spanRefreshEvery: number|null;
  probeBatchSize: number;
  settleThreshold: number;
  settlePatience: number;
  freeze: boolean;
  logs: boolean;
  outDir: string|null;
}

/** The defaults, as documented on {@link TimeScaleMonitorArgs}. */
export const MONITOR_DEFAULTS = Object.freeze({
  every: 20,
  earlyRecords: true,
  components: 10,
  spanRefreshMovement: 0.05,
  probeBatchSize: 1024,
  settleThreshold: 0.5,
  settlePatience: 3,
  freeze: false,
  logs: true,
});

const KNOWN = new Set([
  ...Object.keys(MONITOR_DEFAULTS), 'layers', 'probe', 'spanRefreshEvery',
  'outDir',
]);

/**
 * Checks the arguments and fills in defaults.
 * @throws ValueError naming the argument, the value and what is expected.
 */
export function resolveMonitorArgs(args: TimeScaleMonitorArgs = {}):
    ResolvedMonitorArgs {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    fail('args', args, 'an object');
  }
  for (const key of Object.keys(args)) {
    if (!KNOWN.has(key)) {
      throw new ValueError(
          `TimeScaleMonitor: unknown argument ${describe(key)}; known ` +
          `arguments are ${[...KNOWN].join(', ')}.`);
    }
  }
  const pick = <K extends keyof typeof MONITOR_DEFAULTS>(key: K) =>
      (args[key] ?? MONITOR_DEFAULTS[key]) as typeof MONITOR_DEFAULTS[K];
  const o: ResolvedMonitorArgs = {
    every: pick('every'),
    earlyRecords: pick('earlyRecords'),
    layers: args.layers ?? null,
    probe: args.probe ?? null,
    components: pick('components'),
    spanRefreshMovement: pick('spanRefreshMovement'),
    spanRefreshEvery: args.spanRefreshEvery ?? null,
    probeBatchSize: pick('probeBatchSize'),
    settleThreshold: pick('settleThreshold'),
    settlePatience: pick('settlePatience'),
    freeze: pick('freeze'),
    logs: pick('logs'),
    outDir: args.outDir ?? null,
  };
  for (const key of ['every', 'components', 'probeBatchSize',
                     'settlePatience'] as const) {
    if (!(Number.isInteger(o[key]) && o[key] > 0)) {
      fail(key, o[key], 'a positive integer');
    }
  }
  if (o.spanRefreshEvery !== null &&
      !(Number.isInteger(o.spanRefreshEvery) && o.spanRefreshEvery > 0)) {
    fail('spanRefreshEvery', o.spanRefreshEvery, 'a positive integer');
  }
  if (!(typeof o.spanRefreshMovement === 'number' &&
        o.spanRefreshMovement > 0)) {
    fail('spanRefreshMovement', o.spanRefreshMovement,
         'a positive number (Infinity: never)');
  }
  if (!(typeof o.settleThreshold === 'number' && o.settleThreshold > 0 &&
        o.settleThreshold <= 1)) {
    fail('settleThreshold', o.settleThreshold, 'a number in (0, 1]');
  }
  for (const key of ['earlyRecords', 'freeze', 'logs'] as const) {
    if (typeof o[key] !== 'boolean') {
      fail(key, o[key], 'a boolean');
    }
  }
  if (o.layers !== null &&
      !(Array.isArray(o.layers) && o.layers.length > 0 &&
        o.layers.every(n => typeof n === 'string'))) {
    fail('layers', o.layers, 'a non-empty array of layer names');
  }
  if (o.outDir !== null && !(typeof o.outDir === 'string' && o.outDir)) {
    fail('outDir', o.outDir, 'a non-empty folder path');
  }
  if (o.probe !== null) {
    checkProbe(o.probe);
  }
  return o;
}

/** The probe must be {x, y} with a live tensor x of at least one row. */
function checkProbe(probe: ProbeSet) {
  if (typeof probe !== 'object' || !(probe.x instanceof tf.Tensor) ||
      probe.y == null) {
    fail('probe', probe, '{x, y} with x a tensor of rows and y its labels');
  }
  if (probe.x.isDisposed) {
    throw new ValueError(
        'TimeScaleMonitor: `probe.x` was disposed; the monitor reads it ' +
        'during training, so keep it until training ends.');
  }
  if (probe.x.rank < 2 || probe.x.shape[0] < 1) {
    fail('probe.x', probe.x, 'a tensor of rank 2 or more with rows');
  }
}

function fail(name: string, value: unknown, expected: string): never {
  throw new ValueError(
      `TimeScaleMonitor: \`${name}\` must be ${expected}, received ` +
      `${describe(value)}.`);
}
