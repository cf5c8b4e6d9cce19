/**
 * The sections of docs/BENCHMARKS.md that come from bench/fit-mlp.ts
 * results: fitByPCA against model.fit (table 1 and the bars), time to
 * accuracy, data efficiency, cost against the floor, the TimeScaleMonitor
 * overhead, peak memory, the paper's claims, and two SVG plots.
 */
import * as fs from 'fs';
import * as path from 'path';

import {DISTINCT_SINCE} from './report-fit-cnn';

import {chart} from './svg';

interface Stat {
  median: number;
  min: number;
  max: number;
}
interface Lap {
  wall: number;
  cpu: number;
}
interface CurvePoint {
  stage: string;
  epochs: number;
  accuracy: Stat;
  wall: Stat;
  cpu: Stat;
  /** Runs that reached this point. */
  runs?: number;
}
interface RawPoint {
  stage: string;
  epochs: number;
  wall: number;
  cpu: number;
  accuracy: number;
}
interface Reach {
  threshold: number;
  times: Array<number|null>;
  reachedRuns: number;
  runs: number;
  median: number|null;
}
interface MemorySample {
  rss: number;
  numBytes: number;
  numTensors: number;
}
interface Memory {
  rows: number;
  xBytes: number;
  before: MemorySample;
  peak: MemorySample;
  after: MemorySample;
  samples: number;
}
interface EfficiencyRow {
  samplesPerClass: number;
  rows: number;
  pca: {accuracy: number, time: Lap}|{error: string};
  fit: {accuracy: number, time: Lap, epochs: number, maxEpochs: number,
        stoppedEarly: boolean}|{error: string};
}
interface RawRun {
  run: number;
  load: {before: number, after: number};
  points?: RawPoint[];
}

function stat(values: number[]): Stat {
  const v = values.slice().sort((a, b) => a - b);
  const mid = v.length >> 1;
  return {median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2,
          min: v[0], max: v[v.length - 1]};
}

/**
 * Medians over runs at each point of the curves, for every point any run
 * reached (runs of model.fit may stop at different epochs).
 */
function curveFromRaw(runs: RawRun[]): CurvePoint[] {
  const length = Math.max(0, ...runs.map(r => r.points?.length ?? 0));
  return Array.from({length}, (_, i) => {
    const at = runs.map(r => r.points?.[i])
                   .filter((p): p is RawPoint => p !== undefined);
    return {stage: at[0].stage, epochs: at[0].epochs,
            accuracy: stat(at.map(p => p.accuracy)),
            wall: stat(at.map(p => p.wall)), cpu: stat(at.map(p => p.cpu)),
            runs: at.length};
  });
}

/** What bench/fit-mlp.ts writes (the parts read here). */
export interface FitResult {
  benchmark: 'fit-mlp';
  complete?: boolean;
  phasesDone?: string[];
  date: string;
  command: string;
  backend: string;
  quick: boolean;
  args: {runs: number, trainRuns: number, epochs: number, longRuns?: number,
         fineTuneEpochs: number};
  model: {architecture: string};
  data: {source: string, trainRows: number, testRows: number};
  bars: {pcaAlone: number, fineTuneTimeRatio: number, modelFitEpochs: number};
  thresholds: number[];
  machine: {cpuModel: string, nproc: number};
  git: {commit: string|null, srcDirty: boolean|null};
  load: {atStart: number[], atEnd: number[]};
  raw: {pca: RawRun[], fineTune: RawRun[], fit: RawRun[]};
  summary: {
    pca: {accuracy: Stat, wall: Stat, cpu: Stat, runs: number,
          layers: Array<{name: string, role: string, inputDim: number,
                         seconds: Stat}>}|null,
    fineTune: CurvePoint[],
    fit: CurvePoint[],
    bars: {
      pcaAlone: {threshold: number, accuracy: number, met: boolean}|null,
      fineTune: {modelFitEpochs: number, accuracy: number,
                 modelFitAccuracy: number, wall: number, modelFitWall: number,
                 timeRatio: number, cpuRatio?: number, maxTimeRatio: number,
                 accuracyMet: boolean, timeMet: boolean}|null,
    },
    timeToAccuracy: {pca: Reach[], fineTune: Reach[], fit: Reach[]},
    efficiency: EfficiencyRow[],
    floor: Array<{name: string, role: string, inputDim: number, seconds: Stat,
                  rows: number, floorWall: number|null,
                  floorCpu?: number|null, ratio: number|null}>,
    memory: {small: Memory|null, full: Memory|null},
  };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const s1 = (v: number) => v.toFixed(1);
const s2 = (v: number) => v.toFixed(2);
const mib = (v: number) => `${(v / 2 ** 20).toFixed(0)}`;
const int = (v: number) => v.toLocaleString('en-US');
const range = (s: Stat, f: (v: number) => string) =>
    s.min === s.max ? '' : `${f(s.min)} – ${f(s.max)}`;
/**
 * Two standard errors of the difference of two accuracies near p measured
 * on n test images: the smallest difference this report calls real.
 */
const resolution = (p: number, n: number) => 2 * Math.sqrt(2 * p * (1 - p) / n);

function ok(met: boolean): string {
  return met ? '**met**' : '**not met**';
}

function runsNote(r: FitResult): string {
  const n = r.raw.fit.length;
  const long = Math.min(r.args.longRuns ?? r.args.trainRuns, n);
  const plural = (k: number) => `${k} run${k === 1 ? '' : 's'}`;
  const fit = long === n || r.args.epochs === r.bars.modelFitEpochs ?
      `${plural(n)} to ${r.args.epochs} epochs` :
      `${plural(n)}, of which ${long} went to ${r.args.epochs} epochs and ` +
          `the others stopped at ${r.bars.modelFitEpochs} (so rows past ` +
          `epoch ${r.bars.modelFitEpochs} are ` +
          `${long === 1 ? 'single runs' : `medians of ${long} runs`})`;
  return `fitByPCA alone: ${plural(r.summary.pca?.runs ?? 0)}; fitByPCA + ` +
      `fine-tuning: ${plural(r.raw.fineTune.length)}; model.fit: ${fit}`;
}

/** Table 1 and the bars. */
function mainTable(r: FitResult): string[] {
  const s = r.summary;
  const fit5 = s.fit.find(p => p.epochs === r.bars.modelFitEpochs);
  const ratio = (wall: number) =>
      fit5 === undefined ? '' : s2(wall / fit5.wall.median);
  const row = (name: string, acc: Stat, wall: Stat, cpu: Stat, n: number) =>
      `| ${name} | ${pct(acc.median)} | ${range(acc, pct)} | ` +
      `${s1(wall.median)} | ${range(wall, s1)} | ${s1(cpu.median)} | ` +
      `${ratio(wall.median)} | ${n} |`;
  const lines = [
    `| method | test accuracy, median | min – max | wall s, median | ` +
        `min – max | CPU s | × model.fit ${r.bars.modelFitEpochs} epochs ` +
        `(wall) | runs |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  if (s.pca !== null) {
    lines.push(row('fitByPCA (no backprop)', s.pca.accuracy, s.pca.wall,
                   s.pca.cpu, s.pca.runs));
  }
  const nFt = r.raw.fineTune.length;
  for (const p of s.fineTune) {
    lines.push(row(
        p.epochs === 0 ?
            'fitByPCA `{fineTuneEpochs: 1}`: its computed weights, before ' +
                'the epoch' :
        p.epochs === 1 ? '**fitByPCA + 1 fine-tune epoch**' :
                         `fitByPCA + 1 epoch, then ${p.epochs - 1} more ` +
                             `epoch${p.epochs > 2 ? 's' : ''} of model.fit`,
        p.accuracy, p.wall, p.cpu, nFt));
  }
  for (const p of s.fit) {
    if (![1, 3, 5, 10].includes(p.epochs)) {
      continue;
    }
    const n = r.raw.fit.length;
    lines.push(row(`model.fit, ${p.epochs} epoch${p.epochs > 1 ? 's' : ''}`,
                   p.accuracy, p.wall, p.cpu, p.runs ?? n));
  }
  return lines;
}

function barLines(r: FitResult): string[] {
  const b = r.summary.bars;
  const out: string[] = [];
  if (b.pcaAlone !== null) {
    out.push(`- **fitByPCA alone ≥ ${pct(b.pcaAlone.threshold)}** test ` +
             `accuracy on the full data: ${pct(b.pcaAlone.accuracy)} ` +
             `(median of ${r.summary.pca?.runs} runs): ` +
             `${ok(b.pcaAlone.met)}.`);
  }
  const f = b.fineTune;
  if (f === null) {
    out.push(`- **fitByPCA + 1 epoch against model.fit at ` +
             `${r.bars.modelFitEpochs} epochs**: not measured in this run.`);
  } else {
    out.push(
        `- **fitByPCA + 1 epoch ≥ model.fit at ${f.modelFitEpochs} epochs ` +
            `in accuracy**: ${pct(f.accuracy)} against ` +
            `${pct(f.modelFitAccuracy)}: ${ok(f.accuracyMet)}.`,
        `- **… in ≤ ${Math.round(f.maxTimeRatio * 100)}% of its wall ` +
            `time**: ${s1(f.wall)} s against ${s1(f.modelFitWall)} s, ` +
            `${s1(f.timeRatio * 100)}%` +
            (f.cpuRatio === undefined ? '' :
                 ` (${s1(f.cpuRatio * 100)}% by CPU seconds)`) +
            `: ${ok(f.timeMet)}.`);
  }
  return out;
}

function reachCell(x: Reach): string {
  if (x.median === null) {
    return `not reached (${x.runs} run${x.runs > 1 ? 's' : ''})`;
  }
  return `${s1(x.median)} s` +
      (x.reachedRuns < x.runs ? ` (${x.reachedRuns} of ${x.runs} runs)` : '');
}

function timeToAccuracyTable(r: FitResult): string[] {
  const t = r.summary.timeToAccuracy;
  const maxFt = Math.max(0, ...r.summary.fineTune.map(p => p.epochs));
  const maxFit = Math.max(0, ...r.summary.fit.map(p => p.epochs));
  return [
    `| method | ${r.thresholds.map(pct).join(' | ')} |`,
    `|---|${r.thresholds.map(() => '---:').join('|')}|`,
    `| fitByPCA alone (one point) | ${t.pca.map(reachCell).join(' | ')} |`,
    `| fitByPCA + fine-tuning (up to ${maxFt} epochs) | ` +
        `${t.fineTune.map(reachCell).join(' | ')} |`,
    `| model.fit (up to ${maxFit} epochs) | ` +
        `${t.fit.map(reachCell).join(' | ')} |`,
  ];
}

function efficiencyTable(r: FitResult): string[] {
  const s = r.summary;
  const cell = (x: {accuracy: number}|{error: string}) =>
      'error' in x ? `failed: ${x.error.slice(0, 80)}` : pct(x.accuracy);
  const lines = [
    '| samples per class | train rows | fitByPCA | fitByPCA s | ' +
        'model.fit (early stopping) | epochs run (bound) | model.fit s |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...s.efficiency.map(e => `| ${int(e.samplesPerClass)} | ${int(e.rows)} | ` +
        `${cell(e.pca)} | ${'time' in e.pca ? s1(e.pca.time.wall) : ''} | ` +
        `${cell(e.fit)} | ${'epochs' in e.fit ?
            `${e.fit.epochs} (${e.fit.maxEpochs})` : ''} | ` +
        `${'time' in e.fit ? s1(e.fit.time.wall) : ''} |`),
  ];
  const fit = s.fit[s.fit.length - 1];
  if (s.pca !== null && fit !== undefined) {
    lines.push(`| all (${int(Math.round(r.data.trainRows / 10))}) | ` +
               `${int(r.data.trainRows)} | ${pct(s.pca.accuracy.median)} | ` +
               `${s1(s.pca.wall.median)} | ${pct(fit.accuracy.median)}*` +
               ` | ${fit.epochs} (no early stopping) | ` +
               `${s1(fit.wall.median)} |`);
  }
  return lines;
}

function floorTable(r: FitResult): string[] {
  return [
    '| layer | role | input | fitByPCA s (median) | floor: one xᵀx, ' +
        's | × floor |',
    '|---|---|---|---:|---:|---:|',
    ...r.summary.floor.map(l => `| ${l.name} | ${l.role} | ` +
        `${int(l.rows)}×${l.inputDim} | ${s2(l.seconds.median)} | ` +
        `${l.floorWall === null ? '' : s2(l.floorWall)} | ` +
        `${l.ratio === null ? '' : s1(l.ratio)} |`),
  ];
}

function memoryTable(r: FitResult): string[] {
  const m = r.summary.memory;
  const rows = [m.small, m.full].filter((x): x is Memory => x !== null);
  return [
    '| rows | x, MiB | RSS before, MiB | RSS peak, MiB | tensors before, ' +
        'MiB | tensors peak, MiB | peak − before (tensors), MiB | ' +
        'tensors, peak count | samples |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(x => `| ${int(x.rows)} | ${mib(x.xBytes)} | ` +
        `${mib(x.before.rss)} | ${mib(x.peak.rss)} | ` +
        `${mib(x.before.numBytes)} | ${mib(x.peak.numBytes)} | ` +
        `${mib(x.peak.numBytes - x.before.numBytes)} | ` +
        `${int(x.peak.numTensors)} | ${x.samples} |`),
  ];
}

function memoryVerdict(r: FitResult): string {
  const {small, full} = r.summary.memory;
  if (small === null || full === null) {
    return 'Only one size was measured in this run.';
  }
  const extraSmall = small.peak.numBytes - small.before.numBytes;
  const extraFull = full.peak.numBytes - full.before.numBytes;
  const rowsRatio = full.rows / small.rows;
  const grows = extraFull > 1.5 * extraSmall;
  // The output layer's input: the features the readout holds for all rows.
  const width = r.summary.floor.find(l => l.role === 'output')?.inputDim;
  const features = (rows: number) => rows * (width ?? 0) * 4;
  const featureNote = width === undefined ? '' :
      ` The growth matches the output layer's input features for all ` +
          `rows, N×${width} float32 (${mib(features(small.rows))} MiB at ` +
          `${int(small.rows)} rows, ${mib(features(full.rows))} MiB at ` +
          `${int(full.rows)}), which the readout computes once and keeps ` +
          `while it fits the output layer; what is left of the growth ` +
          `(${mib(extraSmall - features(small.rows))} and ` +
          `${mib(extraFull - features(full.rows))} MiB) does not grow ` +
          `with N. So apart from the data, ` +
          `memory grows by about ${s1(((width ?? 0) * 4) / 1024)} KiB per ` +
          `row: the readout is the place to bound it (stream its ` +
          `features in batches, or keep them in float16).`;
  return `Beyond the tensors that existed before the call (the data), ` +
      `fitByPCA's tensors peaked ${mib(extraSmall)} MiB higher at ` +
      `${int(small.rows)} rows and ${mib(extraFull)} MiB higher at ` +
      `${int(full.rows)} rows (${s1(rowsRatio)}× the rows): ` +
      (grows ? `**it grows with N** (${s1(extraFull / extraSmall)}×).` +
                   featureNote :
               `**it does not grow with N** beyond the data ` +
                   `(${s2(extraFull / extraSmall)}×).`) +
      ` RSS is coarser: it includes the wasm heap, which grows to the ` +
      `largest allocation seen and never shrinks, and the memory ` +
      `samples are taken only when fitByPCA yields to the event loop ` +
      `(${small.samples} and ${full.samples} samples), so short peaks ` +
      `between yields can be missed.`;
}

/** What the report knows of the TimeScaleMonitor benchmarks. */
export interface MonitorFigures {
  /** Backends with a bench/monitor-overhead.ts result (its own section). */
  overheadBackends: string[];
  /** bench/monitor-span-refresh.ts's run, or null when there is none. */
  span: SpanFigures|null;
}

/** The reference monitor (spans recomputed at every record) of that run. */
export interface SpanFigures {
  file: string;
  backend: string;
  settings: {optimizer: string, batchSize: number, images: number,
             epochs: number};
  alignment: Array<{step: number, layers: Array<number|null>}>;
  /** Absent in results written before they were recorded. */
  inputDims?: number[];
  spanDims?: Array<number|null>;
}

/**
 * The subspace claim from the span run: each layer's share of its weight
 * change inside the class-PCA span at steps near 10, 100 and 1,000 and
 * at the last record, next to a random span's r/d. **yes** when at the
 * last record every layer keeps at least 0.8 of its change in the span
 * and at least twice the random share; **partly** when only the latter.
 */
function subspaceClaim(span: SpanFigures|null): string {
  if (span === null || span.alignment.length === 0) {
    return 'not measured in this report (no ' +
        '`bench/results/monitor-span-refresh-*.json` from ' +
        '`bench/monitor-span-refresh.ts`).';
  }
  const records = span.alignment;
  const last = records[records.length - 1];
  const near = (step: number) => records.reduce(
      (a, b) => Math.abs(b.step - step) < Math.abs(a.step - step) ? b : a);
  const shown = [...new Set([near(10), near(100), near(1000), last])]
                    .sort((a, b) => a.step - b.step);
  const random = (k: number) => {
    const r = span.spanDims?.[k];
    const d = span.inputDims?.[k];
    return r == null || d === undefined ? null : r / d;
  };
  const f3 = (v: number|null) => v === null ? '-' : v.toFixed(3);
  const layers = last.layers.map((_, k) =>
      `layer ${k + 1}: ${shown.map(rec => `${f3(rec.layers[k])} at step ` +
                                          `${rec.step}`).join(', ')}` +
      ` (random span of that size: ${f3(random(k))})`);
  const shares = last.layers.map((a, k) => ({a, r: random(k)}));
  const measured = shares.every(x => x.a !== null && x.r !== null);
  const twice = measured && shares.every(x => (x.a as number) >= 2 * x.r!);
  const verdict = !measured ? 'measured (random levels not recorded)' :
      twice && shares.every(x => (x.a as number) >= 0.8) ? 'yes' :
      twice ? 'partly' : 'no';
  const st = span.settings;
  return `**${verdict}**: the share ‖Qᵀ(W_t − W_0)‖² / ‖W_t − W_0‖² of ` +
      `each Dense layer's weight change inside the span Q of the ` +
      `class-based PCA of its input (TimeScaleMonitor's alignment, spans ` +
      `recomputed at every record) during model.fit of the MLP ` +
      `(${st.optimizer}, batch ${st.batchSize}, ${st.images} images, ` +
      `${st.epochs} epochs): ${layers.join('; ')}. Rule: yes when at ` +
      `the last record every layer keeps at least 0.8 of its change in the ` +
      `span and at least twice a random span's share. Source: ` +
      `\`${span.file}\` (${span.backend}), bench/monitor-span-refresh.ts.`;
}

/** The paper's claims, each with yes/no and the number behind it. */
function claims(r: FitResult, monitor: MonitorFigures): string[] {
  const s = r.summary;
  const out: string[] = [];
  const n = r.data.testRows;
  const lastFit = s.fit[s.fit.length - 1];
  if (s.pca !== null && lastFit !== undefined) {
    const p = s.pca.accuracy.median;
    const q = lastFit.accuracy.median;
    const e = resolution(q, n);
    const match = p >= q - e;
    const fit1 = s.fit.find(x => x.epochs === 1);
    out.push(
        `- **Layers computed by class-based PCA match SGD's accuracy**: ` +
        `${match ? '**yes**' : '**no**'}. fitByPCA alone ${pct(p)} against ` +
        `model.fit's ${pct(q)} after ${lastFit.epochs} epochs ` +
        `(${s1(Math.abs(q - p) * 100)} points ` +
        `${q >= p ? 'lower' : 'higher'}; differences under ` +
        `${s1(e * 100)} points are within the noise of ${int(n)} test ` +
        `images)` + (fit1 === undefined ? '.' :
            `; a single epoch of model.fit gave ` +
                `${pct(fit1.accuracy.median)}.`) +
        (s.bars.fineTune === null ? '' :
             ` With one fine-tuning epoch fitByPCA reaches ` +
                 `${pct(s.bars.fineTune.accuracy)}.`));
  }
  const small = s.efficiency.filter(
      e => 'accuracy' in e.pca && 'accuracy' in e.fit);
  if (small.length > 0) {
    const wins = small.filter(e => (e.pca as {accuracy: number}).accuracy >
                                   (e.fit as {accuracy: number}).accuracy);
    const detail = small.map(e => `${e.samplesPerClass}/class ` +
        `${pct((e.pca as {accuracy: number}).accuracy)} vs ` +
        `${pct((e.fit as {accuracy: number}).accuracy)}`).join(', ');
    const verdict = wins.length === small.length ? '**yes**' :
        wins.length === 0 ? '**no**' : '**partly**';
    out.push(`- **They need less data**: ${verdict}: fitByPCA beat ` +
             `model.fit (early stopping) on ${wins.length} of ` +
             `${small.length} subset sizes (${detail}).`);
  }
  if (s.pca !== null && s.fit.length > 0) {
    // The first model.fit epoch whose accuracy is within the noise of
    // fitByPCA's (or above it).
    const p = s.pca.accuracy.median;
    const e = resolution(p, n);
    const reach = s.fit.find(x => x.accuracy.median >= p - e);
    const t = s.pca.wall.median;
    const c = s.pca.cpu.median;
    if (reach === undefined) {
      out.push(`- **They take less time**: **yes**: model.fit never came ` +
               `within ${s1(e * 100)} points of fitByPCA's ${pct(p)} in ` +
               `${lastFit.epochs} epochs.`);
    } else {
      const wallWin = t < reach.wall.median;
      const cpuWin = c < reach.cpu.median;
      const verdict = wallWin && cpuWin ? '**yes**' :
          !wallWin && !cpuWin ?
          '**no**' :
          `**mixed**: ${wallWin ? 'yes' : 'no'} by wall time, ` +
              `${cpuWin ? 'yes' : 'no'} by CPU seconds`;
      out.push(
          `- **They take less time**: ${verdict}. fitByPCA reached ` +
          `${pct(p)} in ${s1(t)} s (${s1(c)} CPU s); model.fit came within ` +
          `${s1(e * 100)} points of it (the test set's noise) after ` +
          `${reach.epochs} epoch${reach.epochs > 1 ? 's' : ''} ` +
          `(${pct(reach.accuracy.median)}) at ${s1(reach.wall.median)} s ` +
          `(${s1(reach.cpu.median)} CPU s): ` +
          `${s2(reach.wall.median / t)}× fitByPCA's wall time and ` +
          `${s2(reach.cpu.median / c)}× its CPU seconds. Wall times depend ` +
          `on the load while each side ran (see the load averages above); ` +
          `CPU seconds less so. Beyond fitByPCA's accuracy, only training ` +
          `gets there: see the time-to-accuracy table.`);
    }
  }
  out.push(`- **SGD's updates lie in the class-PCA subspace**: ` +
           subspaceClaim(monitor.span));
  return out;
}

function plots(r: FitResult, docs: string): string[] {
  const s = r.summary;
  const eff = s.efficiency;
  const allPerClass = Math.round(r.data.trainRows / 10);
  const pcaPts = eff.filter(e => 'accuracy' in e.pca).map(
      e => ({x: e.samplesPerClass,
             y: 100 * (e.pca as {accuracy: number}).accuracy}));
  const fitPts = eff.filter(e => 'accuracy' in e.fit).map(
      e => ({x: e.samplesPerClass,
             y: 100 * (e.fit as {accuracy: number}).accuracy}));
  const lastFit = s.fit[s.fit.length - 1];
  if (s.pca !== null) {
    pcaPts.push({x: allPerClass, y: 100 * s.pca.accuracy.median});
  }
  if (lastFit !== undefined) {
    fitPts.push({x: allPerClass, y: 100 * lastFit.accuracy.median});
  }
  const ticks = [...eff.map(e => e.samplesPerClass), allPerClass];
  const samples = chart({
    title: `Test accuracy against samples per class (${r.backend})`,
    xLabel: 'samples per class (log scale; last: all)',
    yLabel: 'test accuracy, %',
    logX: true,
    xTicks: ticks,
    xTickLabels: ticks.map(
        (t, i) => i === ticks.length - 1 ? `all (${t})` : String(t)),
    series: [
      {label: 'fitByPCA', color: '#1f77b4', points: pcaPts},
      {label: 'model.fit (early stop.)', color: '#d62728', points: fitPts},
    ],
    yFormat: v => String(v),
  });
  const curve = (points: CurvePoint[]) => points.map(
      p => ({x: p.wall.median, y: 100 * p.accuracy.median}));
  const seconds = chart({
    title: `Test accuracy against wall seconds (${r.backend}, medians)`,
    xLabel: 'wall seconds (evaluation excluded)',
    yLabel: 'test accuracy, %',
    series: [
      ...(s.pca === null ? [] : [{
        label: 'fitByPCA', color: '#1f77b4', line: false,
        points: [{x: s.pca.wall.median, y: 100 * s.pca.accuracy.median}],
      }]),
      {label: 'fitByPCA + epochs', color: '#2ca02c',
       points: curve(s.fineTune)},
      {label: 'model.fit', color: '#d62728', points: curve(s.fit)},
    ],
    yFormat: v => String(v),
  });
  const files = [`accuracy-vs-samples-${r.backend}.svg`,
                 `accuracy-vs-seconds-${r.backend}.svg`];
  fs.writeFileSync(path.join(docs, files[0]), samples);
  fs.writeFileSync(path.join(docs, files[1]), seconds);
  return files;
}

/** The fit-mlp sections of docs/BENCHMARKS.md; writes the plots. */
export function fitSections(
    results: Array<{file: string, r: FitResult}>, monitor: MonitorFigures,
    docs: string, rel: (f: string) => string,
    writePlots = true): string[] {
  const out: string[] = ['# fitByPCA against model.fit: the MLP', ''];
  if (results.length === 0) {
    out.push('No bench/fit-mlp.ts results yet: run `npx ts-node ' +
             '--transpile-only bench/fit-mlp.ts --backend wasm`.', '');
    return out;
  }
  for (const {file, r: given} of results) {
    // The curves from the raw runs: every epoch any run reached.
    const r: FitResult = {...given, summary: {
      ...given.summary,
      fineTune: curveFromRaw(given.raw.fineTune),
      fit: curveFromRaw(given.raw.fit),
    }};
    const ttaNote = 'Each cell is the median over runs of the wall time ' +
        'at the first evaluation (after fitByPCA, or after an epoch) at ' +
        'or above the threshold; evaluations are only made at those ' +
        'points, so a time is an upper bound.';
    out.push(
        `## ${r.backend}${r.quick ? ' (quick run)' : ''}`, '',
        `From \`${rel(file)}\` (${r.date}, commit ` +
            `\`${r.git.commit?.slice(0, 10)}\`` +
            `${r.git.srcDirty ? ', src/ modified' : ''}` +
            `${r.date < DISTINCT_SINCE ?
                   ', before `distinct` components and the fine-tuning ' +
                       'readout and rate of 2026-12-05 were fitByPCA\'s ' +
                       'defaults' :
                   ''})` +
            (r.complete === false ?
                 `, **a partial run** (phases done: ` +
                     `${(r.phasesDone ?? []).join(', ') || 'none'})` : '') +
            `. Model ${r.model.architecture} (ReLU, softmax); data: ` +
            `${r.data.source}. 1-minute load average ` +
            `${s2(r.load.atStart[0])} at the start and ` +
            `${s2(r.load.atEnd[0])} at the end; per measurement: ` +
            [...r.raw.pca.map(x => `fitByPCA ${s1(x.load.before)}→` +
                                   `${s1(x.load.after)}`),
             ...r.raw.fineTune.map(x => `fine-tuning ${s1(x.load.before)}→` +
                                        `${s1(x.load.after)}`),
             ...r.raw.fit.map(x => `model.fit ${s1(x.load.before)}→` +
                                   `${s1(x.load.after)}`)].join(', ') +
            '. Wall times are inflated by the other work on the machine; ' +
            'CPU seconds are given too.',
        '',
        'Command:', '', '```sh', r.command, '```', '',
        `### Table 1: accuracy and wall time`, '',
        `Runs: ${runsNote(r)}. In each run the sides alternate order. ` +
            'Wall time runs from the call to weights ready, test ' +
            'evaluations left out. The fine-tuning rows come from one ' +
            'process per run: `fitByPCA(model, x, y, {fineTuneEpochs: 1})` ' +
            'on a compiled model (Adam 1e-3, batch 128), the test set ' +
            'evaluated from `onLayerEnd` after the output layer (untimed), ' +
            'then further single epochs of `model.fit` on the same model ' +
            'and optimizer. The CNN rows are in the section ' +
            '"Convolutional networks" below (bench/fit-cnn.ts).', '',
        ...mainTable(r), '',
        'Bars (issue 3):', '',
        ...barLines(r), '',
        '### Time to accuracy', '',
        ...timeToAccuracyTable(r), '',
        ttaNote + ' A model.fit run that stopped at ' +
            `${r.bars.modelFitEpochs} epochs counts as not reaching a ` +
            'threshold it had not reached by then.', '',
        '### Data efficiency', '',
        'fitByPCA with `samplesPerClass` n (its default seed) against ' +
            '`model.fit` on exactly the same rows (shuffled), with early ' +
            'stopping on a 10% validation split of them (val_loss, ' +
            'patience 3, at most min(100, max(10, ⌈60,000 / rows⌉)) ' +
            'epochs; tfjs keeps the last weights, not the best). One run ' +
            'each; test accuracy on the full test set.', '',
        ...efficiencyTable(r), '',
        '\\* The "all" row reuses table 1: fitByPCA alone, and model.fit ' +
            'after its last epoch without early stopping.', '',
        '### Cost against the floor', '',
        'fitByPCA\'s seconds per layer (its report, median over the ' +
            'fitByPCA-alone runs) next to one `matMul` xᵀx of that ' +
            'layer\'s input size on the backend (operands transposed ' +
            'beforehand, untimed; median of 3): the product the layer\'s ' +
            'statistics cannot do without. The output layer\'s time is ' +
            'the readout (ridge solution then softmax L-BFGS), whose own ' +
            'floor is the same product.', '',
        ...floorTable(r), '',
        '### Peak memory', '',
        'RSS and `tf.memory()` sampled every 100 ms and after each layer ' +
            'while fitByPCA ran (the 10,000-row run first, before larger ' +
            'runs grow the heap; the full-size figures are from the first ' +
            'fitByPCA-alone run).', '',
        ...memoryTable(r), '',
        memoryVerdict(r), '',
        '### TimeScaleMonitor overhead', '',
        monitor.overheadBackends.length === 0 ?
            'Not measured in this report (no ' +
                '`bench/results/monitor-overhead-*.json` from ' +
                '`bench/monitor-overhead.ts`).' :
            `See "TimeScaleMonitor overhead" (${
                monitor.overheadBackends.join(', ')}) below` +
                (monitor.overheadBackends.includes(r.backend) ? '.' :
                     `: not measured on ${r.backend}.`),
        '');
    if (writePlots) {
      const files = plots(r, docs);
      out.push('### Plots', '',
               ...files.map(f => `![${f}](${f})`), '');
    }
    out.push('### The paper\'s claims', '', ...claims(r, monitor), '');
  }
  return out;
}
