import {LayerRecord, MonitorRecord} from './records';

/** The settling rule's parameters (see {@link settledStep}). */
export interface SettleRule {
  /** The regular record period, in steps. */
  every: number;
  /** A fraction of the peak rate, in (0, 1]. */
  threshold: number;
  /** Records in a row at or below the threshold. */
  patience: number;
}

/** The time scales of one layer, estimated from the records so far. */
export interface LayerTimeScale {
  /** The layer's name. */
  name: string;
  /**
   * τ½: the step at which the displacement ‖W_t − W_0‖ / ‖W_0‖ first
   * reached half of its latest value, interpolated linearly between
   * records (from 0 at step 0). Null while the displacement is 0 or
   * undefined.
   */
  halfDisplacementStep: number|null;
  /**
   * τ½ of this layer over τ½ of the monitored layer below it; null for the
   * lowest layer or when either is null. Above 1: this layer is slower.
   */
  ratioToBelow: number|null;
  /**
   * The step the layer settled at: the first record of the final run of
   * at least `settlePatience` records whose rate is at most
   * `settleThreshold` times its peak rate (records `every` steps apart
   * only); null while there is none.
   */
  settledStep: number|null;
  /**
   * The layer's place in the order of settling, 1 for the first layer to
   * settle (ties: by τ½, then bottom-up); null while not settled.
   */
  settleOrder: number|null;
  /** The latest rate, displacement and alignment (see LayerRecord). */
  rate: number|null;
  displacement: number|null;
  alignment: number|null;
  /** The latest span dimension, or null. */
  spanDim: number|null;
}

/**
 * τ½ from (step, displacement) points in step order: the first step at
 * which the displacement reaches half of its last value, interpolated
 * linearly from the point before (and from 0 at step 0).
 */
export function halfDisplacementStep(
    points: Array<{step: number, value: number|null}>): number|null {
  const last = points[points.length - 1]?.value;
  if (last == null || !(last > 0)) {
    return null;
  }
  const half = last / 2;
  let before = {step: 0, value: 0};
  for (const p of points) {
    if (p.value === null) {
      continue;
    }
    if (p.value >= half) {
      const rise = p.value - before.value;
      const share = rise > 0 ? (half - before.value) / rise : 1;
      return before.step + share * (p.step - before.step);
    }
    before = {step: p.step, value: p.value};
  }
  return null;
}

/**
 * The step at which a layer settled: the first record of the final run of
 * records whose update rate is at or below `threshold` times the peak
 * rate, provided that run holds at least `patience` records; null
 * otherwise. Only records `every` steps after the one before take part,
 * so every rate compared is averaged over the same number of steps (an
 * update rate over fewer steps keeps more of the gradient noise and
 * reads higher).
 */
export function settledStep(
    points: Array<{step: number, interval: number, rate: number|null}>,
    rule: SettleRule): number|null {
  const regular = points.filter(
      p => p.interval === rule.every && p.rate !== null) as
      Array<{step: number, rate: number}>;
  if (regular.length === 0) {
    return null;
  }
  const peak = Math.max(...regular.map(p => p.rate));
  let first = regular.length;
  while (first > 0 && regular[first - 1].rate <= rule.threshold * peak) {
    first--;
  }
  return regular.length - first >= rule.patience ? regular[first].step :
                                                   null;
}

/** The time scales of every monitored layer, bottom-up. */
export function timeScales(
    records: MonitorRecord[], names: string[],
    rule: SettleRule): LayerTimeScale[] {
  const scales = names.map((name, i): LayerTimeScale => {
    const series = records.map(r => ({...r.layers[i], step: r.step,
                                      interval: r.interval}));
    const latest: LayerRecord|undefined = records[records.length - 1]
        ?.layers[i];
    return {
      name,
      halfDisplacementStep: halfDisplacementStep(
          series.map(p => ({step: p.step, value: p.displacement}))),
      ratioToBelow: null,
      settledStep: settledStep(series, rule),
      settleOrder: null,
      rate: latest?.rate ?? null,
      displacement: latest?.displacement ?? null,
      alignment: latest?.alignment ?? null,
      spanDim: latest?.spanDim ?? null,
    };
  });
  scales.forEach((s, i) => {
    const below = scales[i - 1]?.halfDisplacementStep ?? null;
    if (below !== null && below > 0 && s.halfDisplacementStep !== null) {
      s.ratioToBelow = s.halfDisplacementStep / below;
    }
  });
  settleOrder(scales);
  return scales;
}

/** Numbers the settled layers by settled step, then τ½, then position. */
function settleOrder(scales: LayerTimeScale[]) {
  const settled = scales.map((s, i) => ({s, i}))
                      .filter(({s}) => s.settledStep !== null);
  settled.sort((a, b) =>
      (a.s.settledStep as number) - (b.s.settledStep as number) ||
      (a.s.halfDisplacementStep ?? Infinity) -
          (b.s.halfDisplacementStep ?? Infinity) ||
      a.i - b.i);
  settled.forEach(({s}, rank) => s.settleOrder = rank + 1);
}
