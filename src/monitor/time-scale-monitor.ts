import * as tf from '@tensorflow/tfjs-core';
import {Callback, LayersModel, Logs} from '@tensorflow/tfjs-layers';

import {describe, ValueError} from '../errors';
import {resolveMonitorArgs, ResolvedMonitorArgs, TimeScaleMonitorArgs}
    from './args';
import {chartsHtml} from './charts';
import {ClassSpans} from './class-span';
import {writeMonitorFiles} from './files';
import {FreezeController, FreezeReport} from './freeze';
import {findKernel, KernelNorms, KernelTracker} from './kernel-tracker';
import {MonitorCost, TimeScaleMonitorJSON} from './monitor-json';
import {LayerRecord, logKey, MonitoredLayer, MonitorRecord} from './records';
import {isRecordStep} from './schedule';
import {SpanAnchors} from './span-anchors';
import {summaryTable} from './summary';
import {LayerTimeScale, SettleRule, timeScales} from './time-scales';

type Layer = LayersModel['layers'][number];

/** The tensors and helpers of one `model.fit`, released when it ends. */
interface Run {
  layers: Layer[];
  trackers: KernelTracker[];
  /** The spans of the aligned layers, or null without a probe set. */
  spans: ClassSpans|null;
  /** How far the kernels below each aligned layer moved since its span. */
  anchors: SpanAnchors|null;
  /** For each monitored layer, its index among the spans, or -1. */
  spanIndex: number[];
  /** Puts the model's own `isTraining` property back. */
  unwatch: () => void;
}

/**
 * A `model.fit` callback that measures how fast each layer's kernel moves,
 * when it settles, and how much of what it learns lies in the span of the
 * class-based PCA components of its input.
 *
 * After the steps (batches) chosen by `every` and `earlyRecords` it
 * records, for each layer with a kernel W (in `history`, one
 * {@link MonitorRecord} per sampling point):
 *
 * - the update rate per step since the previous record s,
 *   ‖W_t − W_s‖ / (‖W_t‖·(t − s));
 * - the displacement since training began, ‖W_t − W_0‖ / ‖W_0‖;
 * - with a `probe` set, for each Dense layer, the alignment: the fraction
 *   ‖Qᵀ(W_t − W_0)‖² / ‖W_t − W_0‖² of the update lying in the span Q of
 *   the class-based PCA components of the layer's input on the probe rows
 *   (`components` per class, uncentered). A random subspace of the same
 *   dimension r would hold r / inputDim on average. The spans are
 *   computed when training begins and recomputed for a layer once a
 *   kernel below it has moved by `spanRefreshMovement` of its size.
 *
 * From the records it estimates each layer's time scale τ½, the step at
 * which the displacement reached half of its latest value; the ratio of τ½
 * to the layer below; the step at which the layer settled, the first
 * record of the final run of at least `settlePatience` records whose rate
 * is at most `settleThreshold` times the layer's peak rate (only records
 * `every` steps apart are compared); and the order in which the layers
 * settled. `summary()` prints them as a table.
 *
 * Between records the monitor does no tensor work; each record reads a few
 * numbers back from the backend. The latest values are added to the logs
 * of `model.fit` under the keys of {@link logKey}, at each record
 * (batch logs) and at each epoch end (epoch logs, hence
 * `history.history`), for the callbacks listed after the monitor. With
 * `freeze`, settled layers are frozen bottom-up during training and their
 * trainable flags restored when it ends, stops early or throws.
 *
 * `history` and the estimates cover the latest `model.fit` call; a new
 * call starts afresh. Layers other than Dense (convolutions, say) get
 * rates and displacements but no alignment; so do Dense layers called more
 * than once.
 *
 * @example
 * ```js
 * import * as tf from '@tensorflow/tfjs';
 * import {TimeScaleMonitor} from 'tfjs-pca';
 *
 * const model = tf.sequential({layers: [
 *   tf.layers.dense({inputShape: [784], units: 256, activation: 'relu'}),
 *   tf.layers.dense({units: 256, activation: 'relu'}),
 *   tf.layers.dense({units: 10, activation: 'softmax'}),
 * ]});
 * model.compile({optimizer: tf.train.sgd(0.05),
 *                loss: 'sparseCategoricalCrossentropy'});
 * // A few thousand labelled rows for the class-based PCA spans.
 * const monitor = new TimeScaleMonitor({probe: {x: xProbe, y: yProbe}});
 * await model.fit(xTrain, yTrain, {epochs: 3, batchSize: 64,
 *                                  callbacks: [monitor]});
 * console.log(monitor.summary());
 * console.log(JSON.stringify(monitor.history[0]));
 * ```
 */
export class TimeScaleMonitor extends Callback {
  /** One record per sampling point of the latest `model.fit`. */
  history: MonitorRecord[] = [];
  /** The monitored layers, bottom-up; set when training begins. */
  monitoredLayers: MonitoredLayer[] = [];

  private readonly o: ResolvedMonitorArgs;
  private run: Run|null = null;
  private freezer: FreezeController|null = null;
  private step = 0;
  private epoch = 0;
  private trainStart = 0;
  private batchStart = 0;
  private cost: MonitorCost = emptyCost();

  /**
   * @param args - See {@link TimeScaleMonitorArgs}.
   * @throws ValueError for a bad argument, naming it.
   */
  constructor(args: TimeScaleMonitorArgs = {}) {
    super();
    this.o = resolveMonitorArgs(args);
  }

  /**
   * Picks the layers, keeps their kernels as they are and, with a probe
   * set, computes the spans of the aligned layers' inputs.
   *
   * @throws ValueError for a `layers` name that is not a layer with a
   *   kernel, a model without such layers, or probe rows that do not fit
   *   the model.
   */
  async onTrainBegin(logs?: Logs): Promise<void> {
    void logs;
    this.finish();
    this.history = [];
    this.step = 0;
    this.epoch = 0;
    this.cost = emptyCost();
    this.trainStart = tf.util.now();
    const layers = this.selectLayers();
    const aligned = layers.map(l => this.o.probe !== null && isAlignable(l));
    this.monitoredLayers = layers.map((l, i) => describeLayer(
        l, this.model.layers.indexOf(l), aligned[i]));
    this.freezer = this.o.freeze ? new FreezeController(this.model, layers) :
                                   null;
    const trackers: KernelTracker[] = [];
    const unwatch = this.watchTrainingEnd();
    try {
      layers.forEach(l => trackers.push(new KernelTracker(findKernel(l)!)));
      let next = 0;
      const spanIndex = aligned.map(a => a ? next++ : -1);
      this.run = {layers, trackers, spans: null, anchors: null, spanIndex,
                  unwatch};
      if (this.o.probe !== null && next > 0) {
        const alignedLayers = layers.filter((_, i) => aligned[i]);
        this.run.spans = new ClassSpans(
            this.model, alignedLayers, this.o.probe, this.o.components,
            this.o.probeBatchSize);
        this.run.anchors = new SpanAnchors(this.model, alignedLayers);
        await this.run.spans.refresh(range(next));
      }
      this.cost.trainBeginSeconds = (tf.util.now() - this.trainStart) / 1000;
    } catch (e) {
      if (this.run === null) {
        trackers.forEach(t => t.dispose());
        unwatch();
      } else {
        this.finish();
      }
      throw e;
    }
  }

  async onEpochBegin(epoch: number, logs?: Logs): Promise<void> {
    void logs;
    this.epoch = epoch;
  }

  async onBatchBegin(batch: number, logs?: Logs): Promise<void> {
    void batch;
    void logs;
    this.batchStart = tf.util.now();
  }

  /** Records when the step is due, and freezes settled layers. */
  async onBatchEnd(batch: number, logs?: Logs): Promise<void> {
    if (this.run === null) {
      return;
    }
    this.freezer?.addStep((tf.util.now() - this.batchStart) / 1000);
    this.step++;
    if (!isRecordStep(this.step, this.o.every, this.o.earlyRecords)) {
      return;
    }
    await this.record(batch);
    if (this.o.freeze) {
      this.freezeSettled();
    }
    if (logs != null && this.o.logs) {
      this.addToLogs(logs);
    }
  }

  async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    void epoch;
    if (logs != null && this.o.logs) {
      this.addToLogs(logs);
    }
    if (this.o.outDir !== null && this.run !== null) {
      await this.writeFiles(this.o.outDir);
    }
  }

  /** Writes the files, gives the trainable flags back, frees tensors. */
  async onTrainEnd(logs?: Logs): Promise<void> {
    void logs;
    try {
      if (this.o.outDir !== null && this.run !== null) {
        await this.writeFiles(this.o.outDir);
      }
    } finally {
      this.finish();
    }
  }

  /** The time scales of every monitored layer from the records so far. */
  timeScales(): LayerTimeScale[] {
    return timeScales(
        this.history, this.monitoredLayers.map(l => l.name),
        this.settleRule());
  }

  /** What the freeze action did, or null when `freeze` is off. */
  freezeReport(): FreezeReport|null {
    return this.freezer?.report() ?? null;
  }

  /**
   * The time scales as a text table: per layer τ½, its ratio to the layer
   * below, the latest rate, displacement and alignment (span dimension),
   * the step it settled at and the step it was frozen at; then the order
   * of settling and, with `freeze`, the time saved.
   */
  summary(): string {
    const freeze = this.freezeReport();
    return summaryTable(this.timeScales(), {
      step: this.history[this.history.length - 1]?.step ?? 0,
      records: this.history.length,
      frozenAt: new Map(freeze?.layers.map(l => [l.name, l.step]) ?? []),
      freeze,
    });
  }

  /** Everything measured, as plain JSON (what `time-scales.json` holds). */
  toJSON(): TimeScaleMonitorJSON {
    return {
      format: 'tfjs-pca/time-scales',
      version: 1,
      settings: {
        every: this.o.every,
        earlyRecords: this.o.earlyRecords,
        components: this.o.components,
        spanRefreshMovement: this.o.spanRefreshMovement,
        spanRefreshEvery: this.o.spanRefreshEvery,
        settleThreshold: this.o.settleThreshold,
        settlePatience: this.o.settlePatience,
        freeze: this.o.freeze,
        probeRows: this.o.probe?.x.shape[0] ?? null,
      },
      layers: this.monitoredLayers.map(
          l => ({...l, kernelShape: [...l.kernelShape]})),
      records: JSON.parse(JSON.stringify(this.history)),
      timeScales: this.timeScales(),
      freeze: this.freezeReport(),
      cost: {...this.cost},
    };
  }

  /**
   * A self-contained HTML page with charts of rate, displacement and
   * alignment against steps, one line per layer, and the summary table.
   */
  chartsHtml(): string {
    return chartsHtml(this.toJSON(), this.summary());
  }

  private settleRule(): SettleRule {
    return {
      every: this.o.every,
      threshold: this.o.settleThreshold,
      patience: this.o.settlePatience,
    };
  }

  /** The layers with a kernel, all or those named in `layers`, in order. */
  private selectLayers(): Layer[] {
    const withKernel = this.model.layers.filter(l => findKernel(l) !== null);
    if (this.o.layers === null) {
      if (withKernel.length === 0) {
        throw new ValueError(
            'TimeScaleMonitor: the model has no layer with a kernel to ' +
            'monitor.');
      }
      return withKernel;
    }
    for (const name of this.o.layers) {
      const layer = this.model.layers.find(l => l.name === name);
      if (layer === undefined || findKernel(layer) === null) {
        throw new ValueError(
            `TimeScaleMonitor: \`layers\` names ${describe(name)}, which ` +
            `is ${layer === undefined ? 'not a layer of the model' :
                                        'a layer without a kernel'}; ` +
            `layers with a kernel: ` +
            `${withKernel.map(l => l.name).join(', ') || 'none'}.`);
      }
    }
    const wanted = new Set(this.o.layers);
    return withKernel.filter(l => wanted.has(l.name));
  }

  /** One record: refreshes spans when due, measures, appends. */
  private async record(batch: number) {
    const run = this.run as Run;
    const start = tf.util.now();
    if (run.spans !== null) {
      await this.refreshSpans(run);
    }
    const bases = run.spanIndex.map(
        j => j < 0 ? null : (run.spans as ClassSpans).basis(j));
    const norms = await KernelTracker.measure(run.trackers, bases);
    const previous = this.history[this.history.length - 1]?.step ?? 0;
    const interval = this.step - previous;
    this.history.push({
      step: this.step,
      epoch: this.epoch,
      batch,
      interval,
      seconds: (tf.util.now() - this.trainStart) / 1000,
      layers: norms.map((n, i) => this.layerRecord(run, i, n, interval)),
    });
    this.cost.records++;
    this.cost.recordSeconds += (tf.util.now() - start) / 1000;
  }

  private layerRecord(run: Run, i: number, n: KernelNorms, interval: number):
      LayerRecord {
    const j = run.spanIndex[i];
    return {
      name: run.layers[i].name,
      rate: finiteOrNull(n.current > 0 ?
          Math.sqrt(n.step) / (Math.sqrt(n.current) * interval) :
          null),
      displacement: finiteOrNull(n.initial > 0 ?
          Math.sqrt(n.displacement / n.initial) : null),
      alignment: finiteOrNull(n.inSpan !== null && n.displacement > 0 ?
          Math.min(1, n.inSpan / n.displacement) :
          null),
      spanDim: j < 0 ? null : (run.spans as ClassSpans).dim(j),
      frozen: this.freezer?.isFrozen(i) ?? false,
    };
  }

  /**
   * Recomputes the spans that are due: those of layers below which a
   * kernel moved by more than `spanRefreshMovement` since their span was
   * computed and, every `spanRefreshEvery` records, those with a trainable
   * layer with weights below them.
   */
  private async refreshSpans(run: Run) {
    const spans = run.spans as ClassSpans;
    const anchors = run.anchors as SpanAnchors;
    const movement = await anchors.movement();
    const number = this.history.length + 1;
    const periodic = this.o.spanRefreshEvery !== null &&
        number % this.o.spanRefreshEvery === 0;
    const due: number[] = [];
    run.layers.forEach((layer, i) => {
      const j = run.spanIndex[i];
      if (j < 0) {
        return;
      }
      const position = this.model.layers.indexOf(layer);
      const trainedBelow = this.model.layers.slice(0, position)
                               .some(l => l.trainableWeights.length > 0);
      if (movement[j] > this.o.spanRefreshMovement ||
          (periodic && trainedBelow)) {
        due.push(j);
      }
    });
    if (due.length === 0) {
      return;
    }
    const start = tf.util.now();
    await spans.refresh(due);
    due.forEach(j => anchors.anchor(j));
    this.cost.refreshes++;
    this.cost.refreshSeconds += (tf.util.now() - start) / 1000;
  }

  /** Freezes, bottom-up, the layers that have settled and may be frozen. */
  private freezeSettled() {
    const freezer = this.freezer as FreezeController;
    this.timeScales().forEach((s, i) => {
      if (s.settledStep !== null && freezer.canFreeze(i)) {
        freezer.freeze(i, this.step);
      }
    });
  }

  /** Sets the log keys of every layer to its latest values. */
  private addToLogs(logs: Logs) {
    const latest = this.history[this.history.length - 1];
    if (latest === undefined) {
      return;
    }
    latest.layers.forEach((l, i) => {
      logs[logKey(l.name, 'rate')] = l.rate ?? NaN;
      logs[logKey(l.name, 'displacement')] = l.displacement ?? NaN;
      if (this.monitoredLayers[i].aligned) {
        logs[logKey(l.name, 'alignment')] = l.alignment ?? NaN;
      }
    });
  }

  private async writeFiles(dir: string) {
    await writeMonitorFiles(dir, this.toJSON(), this.chartsHtml());
  }

  /**
   * Ends a run: restores trainable flags, frees the tensors, stops
   * watching the model. Safe to call more than once.
   */
  private finish() {
    this.freezer?.restore();
    const run = this.run;
    if (run === null) {
      return;
    }
    this.run = null;
    run.trackers.forEach(t => t.dispose());
    run.spans?.dispose();
    run.anchors?.dispose();
    run.unwatch();
  }

  /**
   * tfjs calls no callback when `model.fit` throws, but its `finally`
   * block always clears the model's `isTraining` flag. Watching that
   * property lets the monitor restore the trainable flags and free its
   * tensors however training ends. Returns the function that stops
   * watching.
   */
  private watchTrainingEnd(): () => void {
    return watchTrainingEnd(this.model, () => this.finish());
  }
}

/**
 * NaN and ±Inf (weights that diverged) as null, so that the history stays
 * plain JSON.
 */
function finiteOrNull(v: number|null): number|null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/** Per model, the callbacks waiting for its `isTraining` to clear. */
const trainingEndListeners = new WeakMap<object, Set<() => void>>();

/**
 * Calls `listener` when `model.isTraining` is next set to false, until the
 * returned function is called. One accessor per model serves every
 * listener, so several monitors on one fit are all told; the plain
 * property comes back when the last one stops listening.
 */
function watchTrainingEnd(model: object, listener: () => void): () => void {
  const target = model as {isTraining: boolean};
  let listeners = trainingEndListeners.get(target);
  if (listeners === undefined) {
    const waiting = new Set<() => void>();
    listeners = waiting;
    trainingEndListeners.set(target, waiting);
    let value = target.isTraining;
    Object.defineProperty(target, 'isTraining', {
      configurable: true,
      enumerable: true,
      get: () => value,
      set: (training: boolean) => {
        value = training;
        if (!training) {
          [...waiting].forEach(call => call());
        }
      },
    });
  }
  const set = listeners;
  set.add(listener);
  return () => {
    if (!set.delete(listener) || set.size > 0) {
      return;
    }
    trainingEndListeners.delete(target);
    const value = target.isTraining;
    Object.defineProperty(target, 'isTraining', {
      configurable: true,
      enumerable: true,
      writable: true,
      value,
    });
  };
}

/** Dense layers called once, with rank-2 input, get an alignment. */
function isAlignable(layer: Layer): boolean {
  if (layer.getClassName() !== 'Dense' || layer.inboundNodes.length !== 1) {
    return false;
  }
  const input = layer.input;
  return !Array.isArray(input) && input.shape.length === 2;
}

function describeLayer(layer: Layer, index: number, aligned: boolean):
    MonitoredLayer {
  return {
    name: layer.name,
    className: layer.getClassName(),
    index,
    kernelShape: [...findKernel(layer)!.read().shape],
    trainable: layer.trainable,
    aligned,
  };
}

function emptyCost(): MonitorCost {
  return {
    trainBeginSeconds: 0,
    records: 0,
    recordSeconds: 0,
    refreshes: 0,
    refreshSeconds: 0,
  };
}

function range(n: number): number[] {
  return Array.from({length: n}, (_, i) => i);
}
