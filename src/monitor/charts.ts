import {TimeScaleMonitorJSON} from './monitor-json';

/** One line of a chart: points (x, y) in data units. */
interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

interface ChartSpec {
  title: string;
  series: Series[];
  logY: boolean;
  /** Fixed y range, or null to fit the data. */
  yRange: [number, number]|null;
}

const WIDTH = 640;
const HEIGHT = 240;
const MARGIN = {left: 64, right: 16, top: 28, bottom: 36};

/** Distinct colours, one per layer (the Tableau 10 palette). */
const COLORS = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948',
  '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
];

/**
 * A self-contained HTML page (no scripts, no external files) with three
 * charts against training steps on a log axis: update rate per step (log
 * scale), displacement, and alignment (with each layer's random-subspace
 * level dashed), one line per layer, and the summary table below.
 */
export function chartsHtml(data: TimeScaleMonitorJSON, summary: string):
    string {
  const charts = [
    chart({title: 'update rate per step ‖W_t − W_s‖ / (‖W_t‖·(t − s))',
           series: seriesOf(data, 'rate'), logY: true, yRange: null}),
    chart({title: 'displacement ‖W_t − W_0‖ / ‖W_0‖',
           series: seriesOf(data, 'displacement'), logY: false,
           yRange: null}),
  ];
  if (data.layers.some(l => l.aligned) && data.settings.probeRows !== null) {
    charts.push(chart({
      title: 'alignment ‖Qᵀ(W_t − W_0)‖² / ‖W_t − W_0‖² (dashed: random ' +
          'span)',
      series: [...seriesOf(data, 'alignment'), ...randomLevels(data)],
      logY: false,
      yRange: [0, 1],
    }));
  }
  const legend = data.layers.map((l, i) =>
      `<span style="color:${color(i)}">&#9632;</span> ${escape(l.name)}`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<title>tfjs-pca time scales</title>',
    '<style>body{font:14px sans-serif;margin:24px;color:#222}' +
        'svg{display:block;margin:12px 0}text{font:11px sans-serif}' +
        'pre{font:12px monospace}</style>',
    '</head><body>',
    '<h1>Time scales of training</h1>',
    `<p>${legend.join(' &nbsp; ')}</p>`,
    ...charts,
    `<pre>${escape(summary)}</pre>`,
    '</body></html>',
    '',
  ].join('\n');
}

function color(i: number): string {
  return COLORS[i % COLORS.length];
}

/** One series per layer of a measurement against steps. */
function seriesOf(
    data: TimeScaleMonitorJSON,
    what: 'rate'|'displacement'|'alignment'): Series[] {
  return data.layers.map((l, i) => ({
    name: l.name,
    color: color(i),
    points: data.records
                .map(r => [r.step, r.layers[i][what]] as [number,
                                                          number | null])
                .filter((p): p is [number, number] => p[1] !== null),
  }));
}

/** Each aligned layer's random level, spanDim / inputDim, dashed. */
function randomLevels(data: TimeScaleMonitorJSON): Series[] {
  return data.layers.flatMap((l, i) => {
    const points = data.records
                       .filter(r => r.layers[i].spanDim !== null)
                       .map(r => [r.step,
                                  (r.layers[i].spanDim as number) /
                                      l.kernelShape[0]] as [number, number]);
    return points.length === 0 ? [] :
                                 [{name: l.name, color: color(i), points,
                                   dashed: true}];
  });
}

/** An SVG line chart with a log x axis. */
function chart(spec: ChartSpec): string {
  const all = spec.series.flatMap(s => s.points)
                  .filter(([x, y]) => x > 0 && (!spec.logY || y > 0));
  if (all.length === 0) {
    return `<p>${escape(spec.title)}: no data yet.</p>`;
  }
  const xs = all.map(p => Math.log10(p[0]));
  const ys = all.map(p => spec.logY ? Math.log10(p[1]) : p[1]);
  const [x0, x1] = padRange(Math.min(...xs), Math.max(...xs));
  const [y0, y1] = spec.yRange ??
      padRange(spec.logY ? Math.min(...ys) : Math.min(0, ...ys),
               Math.max(...ys));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + (Math.log10(x) - x0) / (x1 - x0) *
      plotW;
  const py = (y: number) => MARGIN.top + plotH -
      ((spec.logY ? Math.log10(y) : y) - y0) / (y1 - y0) * plotH;

  const lines = spec.series.map(s => {
    const pts = s.points.filter(([x, y]) => x > 0 && (!spec.logY || y > 0))
                    .map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    return `<polyline fill="none" stroke="${s.color}" stroke-width="1.5"` +
        `${s.dashed ? ' stroke-dasharray="4 3"' : ''} ` +
        `points="${pts.join(' ')}"><title>${escape(s.name)}</title>` +
        `</polyline>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" ` +
        `height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<text x="${MARGIN.left}" y="16" style="font-size:13px">` +
        `${escape(spec.title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" ` +
        `height="${plotH}" fill="none" stroke="#bbb"/>`,
    ...xTicks(x0, x1, px, plotH),
    ...yTicks(y0, y1, spec.logY, py),
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 4}" ` +
        `text-anchor="middle">training step</text>`,
    ...lines,
    '</svg>',
  ].join('\n');
}

/** A range widened a little, never empty. */
function padRange(lo: number, hi: number): [number, number] {
  if (hi - lo < 1e-9) {
    return [lo - 0.5, hi + 0.5];
  }
  const pad = 0.04 * (hi - lo);
  return [lo - pad, hi + pad];
}

/** Ticks at 1, 2 and 5 times powers of ten within [10^x0, 10^x1]. */
function xTicks(
    x0: number, x1: number, px: (x: number) => number,
    plotH: number): string[] {
  const out: string[] = [];
  for (let e = Math.floor(x0); e <= Math.ceil(x1); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      const l = Math.log10(v);
      if (l < x0 || l > x1) {
        continue;
      }
      const x = px(v).toFixed(1);
      out.push(
          `<line x1="${x}" x2="${x}" y1="${MARGIN.top}" ` +
              `y2="${MARGIN.top + plotH}" stroke="#eee"/>`,
          `<text x="${x}" y="${MARGIN.top + plotH + 14}" ` +
              `text-anchor="middle">${v}</text>`);
    }
  }
  return out;
}

/** Five linear ticks, or one per power of ten on a log axis. */
function yTicks(
    y0: number, y1: number, logY: boolean,
    py: (y: number) => number): string[] {
  const values: number[] = [];
  if (logY) {
    for (let e = Math.ceil(y0); e <= Math.floor(y1); e++) {
      values.push(10 ** e);
    }
  } else {
    for (let i = 0; i <= 4; i++) {
      values.push(y0 + (i / 4) * (y1 - y0));
    }
  }
  return values.flatMap(v => {
    const y = py(v).toFixed(1);
    const label = logY ? v.toExponential(0) : Number(v.toPrecision(3));
    return [
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" ` +
          `y2="${y}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" ` +
          `dominant-baseline="middle">${label}</text>`,
    ];
  });
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
      .replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
