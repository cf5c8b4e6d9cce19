import {FreezeReport} from './freeze';
import {LayerTimeScale} from './time-scales';

/** Where training stood when a summary was made. */
export interface SummaryContext {
  /** Training steps so far. */
  step: number;
  /** Records so far. */
  records: number;
  /** The steps at which layers were frozen, by layer name. */
  frozenAt: Map<string, number>;
  /** The freeze report, when freezing is on. */
  freeze: FreezeReport|null;
}

/**
 * The time scales as a plain-text table, one row per layer (bottom-up),
 * followed by the order of settling and, when freezing is on, the time it
 * saved.
 */
export function summaryTable(
    scales: LayerTimeScale[], context: SummaryContext): string {
  const header = [
    'layer', 'τ½ steps', '× below', 'rate/step', 'displacement',
    'alignment', 'settled at', 'frozen at',
  ];
  const rows = scales.map(s => [
    s.name, fixed(s.halfDisplacementStep, 0), fixed(s.ratioToBelow, 2),
    exponential(s.rate), fixed(s.displacement, 3), alignment(s),
    s.settledStep === null ? '-' : String(s.settledStep),
    String(context.frozenAt.get(s.name) ?? '-'),
  ]);
  const lines = [
    `time scales after ${context.step} steps (${context.records} records)`,
    ...alignColumns([header, ...rows]),
    `settle order: ${order(scales)}`,
  ];
  if (context.freeze !== null) {
    lines.push(freezeLine(context.freeze));
  }
  return lines.join('\n');
}

/** Columns padded to their widest cell, a rule under the header. */
function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map(r =>
      r[c].length)));
  const lines = rows.map(
      r => r.map((v, c) => c === 0 ? v.padEnd(widths[c]) :
                                     v.padStart(widths[c]))
               .join('  '));
  lines.splice(1, 0, widths.map(w => '-'.repeat(w)).join('  '));
  return lines;
}

function fixed(value: number|null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}

function exponential(value: number|null): string {
  return value === null ? '-' : value.toExponential(2);
}

/** The alignment with the dimension of its span, e.g. `0.962 (100)`. */
function alignment(s: LayerTimeScale): string {
  return s.alignment === null ? '-' :
                                `${s.alignment.toFixed(3)} (${s.spanDim})`;
}

function order(scales: LayerTimeScale[]): string {
  const settled = scales.filter(s => s.settleOrder !== null)
                      .sort((a, b) => (a.settleOrder as number) -
                                (b.settleOrder as number));
  const waiting = scales.filter(s => s.settleOrder === null);
  const parts = [
    settled.map(s => `${s.name} (step ${s.settledStep})`).join(' < '),
    waiting.length === 0 ? '' :
        `not settled: ${waiting.map(s => s.name).join(', ')}`,
  ];
  return parts.filter(p => p !== '').join('; ');
}

function freezeLine(report: FreezeReport): string {
  if (report.layers.length === 0) {
    return 'frozen: none yet';
  }
  const frozen = report.layers.map(l => `${l.name} after step ${l.step}`);
  const base = report.phases[0].stepSeconds;
  const last = report.phases[report.phases.length - 1];
  const speed = base !== null && last.stepSeconds !== null ?
      `; step ${(1000 * base).toFixed(1)} ms before, ` +
          `${(1000 * last.stepSeconds).toFixed(1)} ms now` :
      '';
  const saved = report.secondsSaved === null ?
      '' :
      `; saved ${report.secondsSaved.toFixed(1)} s (measured)`;
  return `frozen: ${frozen.join(', ')}${speed}${saved}`;
}
