/**
 * A small line-and-point chart as an SVG document, for the plots of
 * docs/BENCHMARKS.md (no plotting package: the figures are few).
 */

/** One series: points joined by a line (or not), with a legend label. */
export interface Series {
  label: string;
  color: string;
  points: Array<{x: number, y: number}>;
  /** Join the points with a line. Defaults to true. */
  line?: boolean;
}

export interface ChartArgs {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** A logarithmic x axis. Defaults to false. */
  logX?: boolean;
  /** Tick values of the x axis; defaults to 5 even steps. */
  xTicks?: number[];
  /** Labels of the x ticks, one per tick; defaults to the values. */
  xTickLabels?: string[];
  /** Format of the y tick labels. Defaults to the value as is. */
  yFormat?: (v: number) => string;
}

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = {left: 64, right: 180, top: 36, bottom: 52};

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
      .replace(/>/g, '&gt;');
}

/** Rounded tick values from at or below `lo` to at or above `hi`. */
function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const step = [1, 2, 2.5, 5, 10].map(m => m * 10 ** Math.floor(
      Math.log10(raw))).find(s => s >= raw) as number;
  const ticks: number[] = [];
  const top = Math.ceil(hi / step - 1e-9) * step;
  for (let v = Math.floor(lo / step + 1e-9) * step; v <= top + 1e-9;
       v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/** The chart as an SVG document. */
export function chart(a: ChartArgs): string {
  const all = a.series.flatMap(s => s.points);
  const tx = (v: number) => a.logX ? Math.log10(v) : v;
  const xs = all.map(p => tx(p.x));
  const ys = all.map(p => p.y);
  // Tick values in data units (for a log axis without given ticks, the
  // powers of ten around the data).
  const xTicks = a.xTicks ?? (a.logX ?
      niceTicks(Math.min(...xs), Math.max(...xs)).map(v => 10 ** v) :
      niceTicks(Math.min(...xs), Math.max(...xs)));
  const xLo = Math.min(...xs, ...xTicks.map(tx));
  const xHi = Math.max(...xs, ...xTicks.map(tx));
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys));
  const yLo = Math.min(yTicks[0], ...ys);
  const yHi = Math.max(yTicks[yTicks.length - 1], ...ys);
  const w = WIDTH - MARGIN.left - MARGIN.right;
  const h = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (v: number) =>
      MARGIN.left + (xHi === xLo ? w / 2 : (tx(v) - xLo) / (xHi - xLo) * w);
  const py = (v: number) =>
      MARGIN.top + h - (yHi === yLo ? h / 2 : (v - yLo) / (yHi - yLo) * h);
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" ` +
        `height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14">${escape(a.title)}</text>`,
  ];
  for (const v of yTicks) {
    out.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + w}" y1="${f(py(v))}" ` +
            `y2="${f(py(v))}" stroke="#ddd"/>`,
        `<text x="${MARGIN.left - 6}" y="${f(py(v) + 4)}" ` +
            `text-anchor="end">${escape(a.yFormat?.(v) ?? String(v))}</text>`);
  }
  xTicks.forEach((value, i) => {
    const label = a.xTickLabels?.[i] ?? String(value);
    out.push(
        `<line x1="${f(px(value))}" x2="${f(px(value))}" ` +
            `y1="${MARGIN.top}" y2="${MARGIN.top + h}" stroke="#eee"/>`,
        `<text x="${f(px(value))}" y="${MARGIN.top + h + 16}" ` +
            `text-anchor="middle">${escape(label)}</text>`);
  });
  out.push(
      `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${w}" ` +
          `height="${h}" fill="none" stroke="#888"/>`,
      `<text x="${MARGIN.left + w / 2}" y="${HEIGHT - 12}" ` +
          `text-anchor="middle">${escape(a.xLabel)}</text>`,
      `<text transform="translate(16 ${MARGIN.top + h / 2}) rotate(-90)" ` +
          `text-anchor="middle">${escape(a.yLabel)}</text>`);
  a.series.forEach((s, k) => {
    const pts = s.points.map(p => `${f(px(p.x))},${f(py(p.y))}`);
    if (s.line !== false && pts.length > 1) {
      out.push(`<polyline points="${pts.join(' ')}" fill="none" ` +
               `stroke="${s.color}" stroke-width="2"/>`);
    }
    for (const p of pts) {
      const [x, y] = p.split(',');
      out.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${s.color}"/>`);
    }
    const ly = MARGIN.top + 14 + k * 20;
    const lx = MARGIN.left + w + 14;
    out.push(
        `<rect x="${lx}" y="${ly - 9}" width="12" height="12" ` +
            `fill="${s.color}"/>`,
        `<text x="${lx + 18}" y="${ly + 1}">${escape(s.label)}</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}
