/**
 * Writes docs/BENCHMARKS.md from the JSON files of bench/class-pca.ts,
 * bench/fit-mlp.ts, bench/fit-cnn.ts (bench/report-fit-cnn.ts) and, when
 * present, bench/monitor-overhead.ts (monitor-overhead-<backend>.json), and
 * the plots next to it.
 *
 *   npx ts-node --transpile-only bench/report.ts [--out FILE.md]
 *       [FILE.json ...]
 *
 * Without files it takes, for each benchmark and backend, the newest full
 * (not `--quick`) result in bench/results/. Every figure in the document
 * comes from those files; nothing is typed by hand.
 */
import * as fs from 'fs';
import * as path from 'path';

import {fitSections, FitResult, MonitorFigures, SpanFigures} from './report-fit';
import {fitCnnSection} from './report-fit-cnn';

interface Stat {
  median: number;
  min: number;
  max: number;
}
interface Lap {
  wall: number;
  cpu: number;
}
interface Summarized {
  wall: Stat;
  cpu: Stat;
  gflops?: number;
  ratioToFloor?: number;
  ratioToFloorCpu?: number;
  pairedRatioToFloor?: Stat;
}
interface Breakdown {
  reps: number;
  chunkRows: number;
  chunksPerPass: number;
  blocks: number;
  chunk: Record<string, number>;
  chunkStepSum: number;
  context: {upload: number, gramFullMatMul: number, firstChunkMean: number};
  perPass: Record<string, number>;
  updateRows: number;
  fromStatistics: Lap;
  gramBlocksGflops: number;
  gramFullGflops: number;
  gramBlockFlopShare: number;
  eigenBasisRows: number;
  eigenIteration: {
    perIteration?: number, qTimesA: number, basisGram: number,
    residuals?: number, nextBasis: number, hostSmallProblems?: number,
  };
  floorChunkedSeconds: Lap[];
  passes?: Passes;
}
interface Result {
  benchmark: 'class-pca';
  formatVersion: number;
  date: string;
  command: string;
  backend: string;
  quick: boolean;
  runs: number;
  data: {dir: string, rows: number, dim: number, numClasses: number};
  options: {components: number, batchSize: number};
  goals: {ratioToFloor: number, wasmSeconds: number, numpySeconds: number};
  machine: {
    nproc: number, cpuModel: string, cpuFlags: string[], memTotalGiB: number,
    node: string, platform: string, tfjsCore: string, wasmSimd: boolean|null,
    wasmThreads: boolean|null,
  };
  git: {commit: string|null, srcDirty: boolean|null};
  flops: {xtx: number, eigenQA: number, eigenBasisRows: number};
  load: {atStart: number[],
         perRun: Array<{run: number, before: number, after: number}>};
  raw: {floorMode: string, eigenConverged: boolean};
  summary: {
    floor: Summarized,
    transposeA: (Lap&{gflops: number, ratioToFloor: number})|null,
    statistics: Summarized,
    matrices: Summarized,
    eigen: Summarized&{iterations: number, iterationsPerClass: number[]},
    classPca: Summarized&{iterations: number},
    classPcaSync?: Summarized&{iterations: number},
    classPcaOther: number,
    eigenvalueMaxRelDiff: number,
  };
  breakdown: Breakdown|null;
  memory: {tensorsAtStart: number, tensorsWithData: number,
           tensorsAtEnd: number, tensorsAfterDispose: number};
}

const ROOT = path.join(__dirname, '..');
const RESULTS = path.join(__dirname, 'results');

/** The command line: `--out FILE` and result files. */
function parseArgs(argv: string[]) {
  let out = path.join(ROOT, 'docs', 'BENCHMARKS.md');
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') {
      out = path.resolve(argv[++i]);
    } else {
      files.push(path.resolve(argv[i]));
    }
  }
  return {out, files};
}

/** For each backend, the newest full result (all of `given` if any). */
function pick<R extends {backend: string, quick: boolean, date: string}>(
    all: Array<{file: string, r: R}>, given: boolean):
    Array<{file: string, r: R}> {
  if (given) {
    return all;
  }
  const newest = new Map<string, {file: string, r: R}>();
  for (const e of all.filter(e => !e.r.quick)) {
    const seen = newest.get(e.r.backend);
    if (seen === undefined || seen.r.date < e.r.date) {
      newest.set(e.r.backend, e);
    }
  }
  const order = ['wasm', 'cpu'];
  return [...newest.values()].sort(
      (a, b) => order.indexOf(a.r.backend) - order.indexOf(b.r.backend));
}

const s3 = (v: number) => v.toFixed(3);
const s2 = (v: number) => v.toFixed(2);
const s1 = (v: number) => v.toFixed(1);
const ms = (v: number) => (v * 1000).toFixed(1);
const int = (v: number) => v.toLocaleString('en-US');

function resultTable(r: Result): string[] {
  const s = r.summary;
  const row = (name: string, v: Summarized, ratio?: number,
               ratioCpu?: number) =>
      `| ${name} | ${s3(v.wall.median)} | ${s3(v.wall.min)} – ` +
      `${s3(v.wall.max)} | ${s3(v.cpu.median)} | ` +
      `${v.gflops === undefined ? '' : s2(v.gflops)} | ` +
      `${ratio === undefined ? '' : s2(ratio)} | ` +
      `${ratioCpu === undefined ? '' : s2(ratioCpu)} |`;
  const lines = [
    '| step | wall s, median | wall s, min – max | CPU s, median | ' +
        'GFLOP/s (wall) | × floor (wall) | × floor (CPU s) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    row(`floor: \`matMul(xt, x)\`${r.raw.floorMode === 'full' ? '' :
                                   ` (${r.raw.floorMode})`}`,
        s.floor, 1, 1),
    row(currentPath(r) ? 'statistics (`ClassStatistics.updateRows`)' :
                         'statistics (old path: `gatherRows` + `updateClass`)',
        s.statistics,
        s.statistics.ratioToFloor, s.statistics.ratioToFloorCpu),
    row('second moments (10 × `secondMoment`)', s.matrices),
    row(`eigensolver (\`topEigen\`, ${s.eigen.iterations} iterations)`,
        s.eigen),
    `| **classPca, end to end** | **${s3(s.classPca.wall.median)}** | ` +
        `${s3(s.classPca.wall.min)} – ${s3(s.classPca.wall.max)} | ` +
        `**${s3(s.classPca.cpu.median)}** | ${s2(s.classPca.gflops ?? 0)} | ` +
        `**${s2(s.classPca.ratioToFloor ?? 0)}** | ` +
        `**${s2(s.classPca.ratioToFloorCpu ?? 0)}** |`,
  ];
  if (s.classPcaSync !== undefined) {
    lines.push(row('`classPcaSync`, end to end', s.classPcaSync,
                   s.classPcaSync.ratioToFloor,
                   s.classPcaSync.ratioToFloorCpu));
  }
  if (s.transposeA !== null) {
    lines.push(
        `| context: \`matMul(x, x, true)\` (transposeA), once | ` +
        `${s3(s.transposeA.wall)} | | ${s3(s.transposeA.cpu)} | ` +
        `${s2(s.transposeA.gflops)} | ${s2(s.transposeA.ratioToFloor)} | ` +
        `${s2(s.transposeA.cpu / s.floor.cpu.median)} |`);
  }
  return lines;
}

function verdict(ok: boolean[]): string {
  if (ok.every(v => v)) {
    return '**met**';
  }
  if (ok.every(v => !v)) {
    return '**not met**';
  }
  return '**met on one measure only** (see the figures)';
}

interface Part {
  name: string;
  what: string;
  seconds: number;
}

/** The parts of classPca after the statistics, shared by both splits. */
function afterStatistics(r: Result): Part[] {
  const s = r.summary;
  return [
    {name: 'moments', what: 'the 10 second moments from the accumulators',
     seconds: best(s.matrices)},
    {name: 'eigen', what: `the eigensolver \`topEigen\` ` +
         `(${s.eigen.iterations} subspace iterations over the ` +
         `${r.data.numClasses} classes)`,
     seconds: best(s.eigen)},
    {name: 'other', what: 'the rest of `classPca`: label reading, data ' +
         'mean and covariance, per-class projections, matrix checks, ' +
         'yielding between batches',
     seconds: best(s.classPca) - best(s.statistics) -
         best(s.matrices) - best(s.eigen)},
  ];
}

/**
 * classPca's least wall time minus the floor's, split into parts that add
 * up to it exactly: each part is the difference of two measured times.
 * Least times (over the runs, or the rounds of the passes) are used
 * throughout, as the least disturbed by other processes.
 */
function excessParts(r: Result): Part[] {
  const s = r.summary;
  const b = r.breakdown as Breakdown;
  const p = b.passes as Passes;
  const gram = least(p.gramOnly);
  const products = least(p.blockProducts);
  return [
    {name: 'chunking', what: `one full Gram product per ` +
         `${int(r.options.batchSize)}-row class chunk instead of one ` +
         `product for all rows` + (gram < best(s.floor) ?
                                       ' (negative: the chunks are faster)' :
                                       ''),
     seconds: gram - best(s.floor)},
    {name: 'blocks', what: `the ${b.blocks}-block symmetric Gram ` +
         `(${s1(b.gramBlockFlopShare * 100)}% of the flops, operands ` +
         `uploaded from the host) instead of the full product per chunk` +
         (products < gram ? ' (negative: the blocks are faster)' : ''),
     seconds: products - gram},
    {name: 'accumulation', what: `the accumulation \`add\`s of the ` +
         `${b.blocks * (b.blocks + 1) / 2} blocks per chunk`,
     seconds: least(p.blocksAccumulated) - products},
    {name: 'centring', what: 'host centring, finite check and transpose ' +
         'of each chunk (`centredRows`: row copy, shift, column sums, ' +
         'tiled transpose)',
     seconds: least(p.centring)},
    {name: 'rest', what: 'the rest of `updateRows`: argument and row ' +
         'checks, the sum upload and add, keeping and disposing, and ' +
         'running centring and products in one loop (allocation, caches)',
     seconds: least(p.updateRows) - least(p.centring) -
         least(p.blocksAccumulated)},
    {name: 'loop', what: 'the statistics step beyond the bare ' +
         '`updateRows` pass: labels, grouping by class, the first read-' +
         'back, and the run-to-run difference between the two measurements',
     seconds: best(s.statistics) - least(p.updateRows)},
    ...afterStatistics(r),
  ];
}

interface Passes {
  chunks: number;
  updateRows: Lap[];
  centring: Lap[];
  blocksAccumulated: Lap[];
  blockProducts: Lap[];
  gramOnly: Lap[];
}

/**
 * What the split of classPca − floor is measured in: wall seconds, or CPU
 * seconds when the machine was busy (load average above half the cores),
 * since waiting for a core then dwarfs the differences.
 */
let basis: 'wall'|'cpu' = 'wall';

/** The least time of some laps, on the basis: the least disturbed. */
function least(laps: Lap[]): number {
  return Math.min(...laps.map(l => l[basis]));
}

/** The least time of a summarized step, on the basis. */
function best(v: Summarized): number {
  return v[basis].min;
}

/** Whether the run's load average exceeded half the cores. */
function busy(r: Result): boolean {
  const loads = [r.load.atStart[0], ...r.load.perRun.map(l => l.after)];
  return Math.max(...loads) > r.machine.nproc / 2;
}

const NEXT_STEP: Record<string, string> = {
  eigen: 'The eigensolver is the first place to look (its iteration is ' +
      'broken down below): fewer iterations (a better start, a larger ' +
      'block), less per-iteration work besides the Q·A product, or one ' +
      'product for all classes per iteration.',
  centring: 'The host centring and transpose are the first place to look: ' +
      'the tiled transpose of each chunk is plain JavaScript; writing the ' +
      'transposed copy straight from the source rows (one pass instead of ' +
      'two), or doing it in the wasm module, would save most of it.',
  accumulation: 'The accumulation is the first place to look: one `add` ' +
      'per block and chunk makes many small kernels; summing larger ' +
      'chunks per class before adding, or accumulating into one buffer, ' +
      'would cut their number.',
  blocks: 'The blocked Gram is the first place to look: the operand ' +
      'uploads and the many smaller products cost more than the flops they ' +
      'save.',
  rest: 'The per-chunk bookkeeping of `updateRows` is the first place to ' +
      'look (allocation of the centred copies and their uploads).',
  loop: 'The statistics loop around `updateRows` is the first place to ' +
      'look.',
  other: 'The work around the solve in `classPca` is the first place to ' +
      'look.',
  moments: 'Forming the second moments is the first place to look.',
};

const STEP_LABEL: Record<string, string> = {
  hostCopy: 'host row copy (`copyRows`)',
  hostCentreTranspose: 'host centring, finite check, transpose',
  gramBlocks: 'symmetric block Gram (uploads and products)',
  accumulateAdd: 'accumulator `add`s (blocks and sum)',
  firstChunkMean: 'shift mean (first chunk of a class)',
  labelsAndGrouping: 'labels and grouping',
};

function eigenParagraph(r: Result): string {
  const e = (r.breakdown as Breakdown).eigenIteration;
  const d = r.data.dim;
  const m = (r.breakdown as Breakdown).eigenBasisRows;
  const perIteration = r.summary.eigen.wall.median / r.summary.eigen.iterations;
  const head = `The eigensolver ran ${r.summary.eigen.iterations} ` +
      `iterations, ${ms(perIteration)} ms each on average over the ` +
      `classes. `;
  if (e.perIteration === undefined || e.hostSmallProblems === undefined ||
      e.residuals === undefined) {
    return head + `Its Q·A product (${m}×${d} by ${d}×${d}) takes ` +
        `${ms(e.qTimesA)} ms.`;
  }
  const parts: Array<[string, number]> = [
    [`Q·A (${m}×${d} by ${d}×${d}, ` +
         `${s2(2 * m * d * d / e.qTimesA / 1e9)} GFLOP/s)`, e.qTimesA],
    [`the host-side m×m work (two orthonormalizations and a Jacobi ` +
         `eigensolve in float64)`, e.hostSmallProblems],
    ['the Gram of [Q; Z]', e.basisGram],
    ['the residuals', e.residuals],
    ['the next basis', e.nextBasis],
  ];
  return head + `Timed alone on class 0 (least of ` +
      `${(r.breakdown as Breakdown).reps}; ten iterations from a random ` +
      `start), an iteration takes ${ms(e.perIteration)} ms. Its parts, ` +
      `each timed on its own on a random orthonormal basis (so they need ` +
      `not add up): ` +
      parts.map(([name, v]) => `${name} ${ms(v)} ms`).join(', ') + '. ' +
      `So Q·A, the one product with the d×d matrix, is about ` +
      `${s1(e.qTimesA / e.perIteration * 100)}% of a lone iteration and ` +
      `the host-side m×m work about ` +
      `${s1(e.hostSmallProblems / e.perIteration * 100)}%; in the real ` +
      `solve, the ten classes iterated in turn, an iteration averages ` +
      `${ms(perIteration)} ms.`;
}

/** Rounds of the whole-pass runs needed to show their differences. */
const MIN_ROUNDS = 3;

/**
 * Coarse split of classPca − floor for a run with too few rounds of the
 * passes: statistics − floor, second moments, eigensolver, the rest.
 */
function coarseParts(r: Result): Part[] {
  const s = r.summary;
  return [
    {name: 'statistics', what: 'statistics beyond the floor (host ' +
         'centring and transpose, block products, accumulation, chunking; ' +
         'see the per-step table)',
     seconds: best(s.statistics) - best(s.floor)},
    ...afterStatistics(r),
  ];
}

/** Per-step costs other than the Gram products, as parts. */
function stepParts(b: Breakdown): Part[] {
  return Object.entries(b.perPass)
      .filter(([name]) => name !== 'gramBlocks')
      .map(([name, seconds]) => ({
             name: name === 'hostCopy' || name === 'hostCentreTranspose' ?
                 'centring' :
                 name === 'accumulateAdd' ? 'accumulation' : name,
             what: `${STEP_LABEL[name] ?? name} (per-step estimate)`,
             seconds,
           }));
}

/** Whether `r` measured the statistics path of updateRows (8c03d3e). */
function currentPath(r: Result): boolean {
  return (r.formatVersion ?? 1) >= 2;
}

function whereTimeGoes(r: Result): string[] {
  const b = r.breakdown;
  const s = r.summary;
  if (!currentPath(r)) {
    return [`### ${r.backend}`, '',
            `The ${r.backend} run (commit ` +
                `\`${r.git.commit?.slice(0, 10)}\`) predates the present ` +
                `statistics path (host centring and symmetric blocks, ` +
                `commit 8c03d3e): its breakdown measured steps that no ` +
                `longer exist (gather, \`checkFinite\` kernel, \`sub\`, ` +
                `\`transpose\`, column-sum matMul) and is not shown. Rerun ` +
                `\`bench/class-pca.ts --backend ${r.backend} --breakdown\`.`];
  }
  if (b === null || b.passes === undefined) {
    return [`No breakdown in the ${r.backend} run (run with ` +
            `\`--breakdown\`).`];
  }
  basis = busy(r) ? 'cpu' : 'wall';
  const unit = basis === 'cpu' ? 'CPU s' : 's';
  const basisNote = basis === 'cpu' ?
      `The machine was busy during this run (1-minute load average up to ` +
          `${s2(Math.max(r.load.atStart[0],
                         ...r.load.perRun.map(l => l.after)))} on ` +
          `${r.machine.nproc} cores), so waiting for a core swamped the wall ` +
          `times; this split therefore uses CPU seconds of the process ` +
          `(least over runs and rounds), which leave that waiting out. ` :
      '';
  const pass = b.passes;
  const fine = pass.updateRows.length >= MIN_ROUNDS;
  const parts = fine ? excessParts(r) : coarseParts(r);
  const total = best(s.classPca) - best(s.floor);
  // Candidates for the largest cost beyond the matMul: the parts that name
  // one cause, and, in the coarse view, the per-step estimates.
  const ranked = [...parts.filter(p => !['chunking', 'statistics', 'loop',
                                        'blocks'].includes(p.name)),
                  ...(fine ? [] : stepParts(b))]
                     .sort((x, y) => y.seconds - x.seconds);
  const top = ranked[0];
  const chunked = least(b.floorChunkedSeconds);
  const passes = `\`updateRows\` on every chunk ` +
      `${s3(least(pass.updateRows))} ${unit}; the host centring and ` +
      `transpose alone ${s3(least(pass.centring))} ${unit}; on chunks ` +
      `centred beforehand, the ${b.blocks}-block Gram products and their ` +
      `accumulation ${s3(least(pass.blocksAccumulated))} ${unit}, the ` +
      `block products alone ${s3(least(pass.blockProducts))} ${unit}; one ` +
      `full Gram product per chunk and its sum, on chunks transposed ` +
      `beforehand, ${s3(least(pass.gramOnly))} ${unit}`;
  const intro = fine ?
      [basisNote +
           `In its fastest run classPca took ${s3(best(s.classPca))} ` +
           `${unit}, the floor ${s3(best(s.floor))} ${unit} in its ` +
           `fastest: ${s3(total)} ${unit} ` +
           `more. To split that, the statistics loop was also run whole ` +
           `with parts of its work taken away (${pass.chunks} chunks, ` +
           `${pass.updateRows.length} interleaved rounds, least time): ` +
           `${passes}. With the fastest runs of the statistics, second ` +
           `moments, eigensolver and classPca, the differences add up to ` +
           `the ${s3(total)} ${unit}:`] :
      [basisNote + `classPca took ${s3(best(s.classPca))} ${unit}, the ` +
           `floor ${s3(best(s.floor))} ${unit}: ${s3(total)} ${unit} more, ` +
           `split as ` +
           `below (single runs, so each part carries the run-to-run noise, ` +
           `which this run does not measure).`];
  const loop = parts.find(p => p.name === 'loop');
  const loopNote = loop === undefined || loop.seconds >= 0 ? '' :
      ` The statistics step took less than the bare \`updateRows\` pass ` +
          `of the ablation (${s3(loop.seconds)} ${unit}): the ablation ` +
          `keeps every chunk's centred copy and tensors alive for its other ` +
          `passes, which makes more work for the garbage collector, so the ` +
          `"rest of \`updateRows\`" above is overstated by up to ` +
          `${s3(-loop.seconds)} ${unit}.`;
  const caveat = fine ?
      `Each part is a difference of times that themselves vary from run to ` +
          `run (the floor's ${r.runs} runs spread over ` +
          `${s3(s.floor[basis].max - best(s.floor))} ${unit}, the ` +
          `statistics' over ` +
          `${s3(s.statistics[basis].max - best(s.statistics))} ${unit}), ` +
          `so parts smaller than that are not resolved; the per-step table ` +
          `below is the finer view.` + loopNote :
      `The statistics were also run whole with parts of their work taken ` +
          `away, but in ${pass.updateRows.length} round` +
          `${pass.updateRows.length === 1 ? '' : 's'} only (${passes}); ` +
          `fewer than ${MIN_ROUNDS} rounds do not separate these parts from ` +
          `the noise, so the statistics are split by the per-step table ` +
          `below instead.`;
  return [
    `### ${r.backend}`,
    '',
    ...intro,
    '',
    `| part of classPca − floor | ${unit} |`,
    '|---|---:|',
    ...parts.map(p => `| ${p.what} | ${s3(p.seconds)} |`),
    `| **total** | **${s3(parts.reduce((a, p) => a + p.seconds, 0))}** |`,
    '',
    caveat,
    '',
    `The largest cost beyond the matMul is **${top.what}**, ` +
        `${s3(top.seconds)} ${unit} (${s1(top.seconds / total * 100)}% of ` +
        `the excess), then ${ranked[1].what}, ${s3(ranked[1].seconds)} ` +
        `${unit}. ` +
        (NEXT_STEP[top.name] ?? ''),
    '',
    `For reference, xᵀx over ${int(r.options.batchSize)}-row chunks in ` +
        `row order (\`bench\` floor, chunked) took ` +
        `${b.floorChunkedSeconds.map(l => s3(l[basis])).join(', ')} ` +
        `${unit}, best ${s3(chunked)} ${unit}: ` +
        `${s2(chunked / best(s.floor))}× the ` +
        `single product's best` +
        (chunked < best(s.floor) ?
             `, so against that stricter floor classPca's best is ` +
                 `${s2(best(s.classPca) / chunked)}×.` :
             '.'),
    '',
    `Per step of \`updateRows\` on one ${int(b.chunkRows)}-row chunk ` +
        `(wall time, least of ${b.reps} repetitions, scaled to a pass: × ` +
        `rows/${int(b.chunkRows)}, or × ${b.chunksPerPass} chunks for the ` +
        `accumulator adds, × ${r.data.numClasses} first chunks for the ` +
        `shift mean):`,
    '',
    '| step | ms per chunk | s per pass |',
    '|---|---:|---:|',
    ...Object.entries(b.perPass).map(
        ([name, v]) => `| ${STEP_LABEL[name] ?? name} | ` +
            `${b.chunk[name] === undefined ? '' : ms(b.chunk[name])} | ` +
            `${s3(v)} |`),
    '',
    `The steps add up to ${ms(b.chunkStepSum)} ms per chunk; ` +
        `\`updateRows\` on one chunk as a whole took ${ms(b.updateRows)} ms. ` +
        `The ${b.blocks}-block Gram of a chunk does ` +
        `${s1(b.gramBlockFlopShare * 100)}% of the full product's flops at ` +
        `${s2(b.gramBlocksGflops)} GFLOP/s (uploads included); one full ` +
        `Gram matMul of the chunk, for comparison, took ` +
        `${ms(b.context.gramFullMatMul)} ms (${s2(b.gramFullGflops)} ` +
        `GFLOP/s), and uploading the centred rows and their transpose ` +
        `${ms(b.context.upload)} ms. The single full-size product (the ` +
        `floor) runs at ${s2(s.floor.gflops ?? NaN)} GFLOP/s.`,
    '',
    eigenParagraph(r),
  ];
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const OUT = args.out;
  const given = args.files.length > 0;
  const files = given ? args.files :
      fs.readdirSync(RESULTS)
          .filter(f => f.endsWith('.json') &&
                       !/^(monitor-|fit-cnn-|patch-extraction-|eigen-filter-)/
                            .test(f))
          .map(f => path.join(RESULTS, f));
  const all = files.map(file => ({
    file, r: JSON.parse(fs.readFileSync(file, 'utf8')),
  }));
  // Results written before the `benchmark` field are class-pca's.
  const chosen = pick(all.filter(e => (e.r.benchmark ?? 'class-pca') ===
                                      'class-pca') as
                          Array<{file: string, r: Result}>, given);
  const fits = pick(all.filter(e => e.r.benchmark === 'fit-mlp') as
                        Array<{file: string, r: FitResult}>, given);
  const rel = (f: string) => path.relative(ROOT, f);
  const monitor = monitorFigures(rel);
  if (chosen.length === 0 && fits.length === 0) {
    process.stderr.write(
        'bench/report: no full results in bench/results; run ' +
        '`npm run bench -- --backend wasm` first.\n');
    process.exit(2);
  }
  if (chosen.length === 0) {
    // A quick run without the training split: fit-mlp only.
    fs.mkdirSync(path.dirname(OUT), {recursive: true});
    fs.writeFileSync(OUT, ['# Benchmarks', '', ...fitSections(
        fits, monitor, path.dirname(OUT), rel).map(
        line => line.startsWith('#') ? `#${line}` : line)].join('\n'));
    process.stdout.write(`wrote ${rel(OUT)}\n`);
    return;
  }
  const first = chosen[0].r;
  const m = first.machine;
  const g = first.goals;
  const out: string[] = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npx ts-node --transpile-only bench/report.ts` from ' +
        'the JSON in bench/results/. Do not edit by hand: rerun the ' +
        'benchmark and the report. -->',
    '',
    'Class-based PCA of Fashion-MNIST (training split, ' +
        `${int(first.data.rows)}×${first.data.dim}, pixels/255, ` +
        `${first.data.numClasses} classes, ${first.options.components} ` +
        'components per class) against the matMul floor, measured by ' +
        '`bench/class-pca.ts`; then fitByPCA against `model.fit` on the ' +
        'MLP 784-256-256-10, measured by `bench/fit-mlp.ts` (from ' +
        '"fitByPCA against model.fit" on). `npm run bench` runs both and ' +
        'this report.',
    '',
    'Sources: ' + [...chosen, ...fits].map(c => `\`${rel(c.file)}\``)
        .join(', ') + '.',
    '',
    '## Machine',
    '',
    `- ${m.nproc} cores (\`nproc\`), CPU model \`${m.cpuModel}\` ` +
        `(/proc/cpuinfo; flags ${m.cpuFlags.join(', ')}), ` +
        `${s1(m.memTotalGiB)} GiB RAM, ${m.platform}`,
    `- Node ${m.node}, TensorFlow.js ${m.tfjsCore} (tfjs-core, ` +
        `tfjs-backend-cpu, tfjs-backend-wasm); wasm with SIMD ` +
        `${chosen.find(c => c.r.backend === 'wasm')?.r.machine.wasmSimd ?
              'on' : 'off'}, without threads`,
    ...chosen.map(
        c => `- ${c.r.backend}: commit \`${c.r.git.commit?.slice(0, 10)}\`` +
            `${c.r.git.srcDirty ? ' (src/ modified)' : ''}, ${c.r.date}; ` +
            `1-minute load average ${s2(c.r.load.atStart[0])} at the start, ` +
            `${c.r.load.perRun.map(l => s2(l.after)).join(', ')} after ` +
            `each run`),
    '',
    'Other work shared this machine while these ran (see the load ' +
        'averages), which inflates wall times by however long other ' +
        'processes held a core and spreads them from run to run. The ' +
        'backends compute on one thread; the CPU seconds of the process ' +
        '(user + system, `process.cpuUsage()`) are given beside the wall ' +
        'times: they leave out time spent waiting for a core, but count ' +
        'Node\'s garbage-collector threads, which run in parallel, so on a ' +
        'quiet machine they can exceed the wall time. The goals are judged ' +
        'on both.',
    '',
    '## Method',
    '',
    'One process per backend; in each run the floor, the split classPca, ' +
        '`classPca` and `classPcaSync` are timed in turn, the order ' +
        'reversed every other run, after a warm-up on the first 4,096 rows. ' +
        'Each timing ends by reading a result back (`await t.data()`, or ' +
        'the plain arrays classPca returns).',
    '',
    '- **floor**: one `tf.matMul(xt, x)` with `xt` transposed beforehand ' +
        '(untimed): xᵀx for all rows in the layout that is fast on wasm. ' +
        '2·N·d² flops.',
    '- **statistics**: `new ClassStatistics` and ' +
        '`updateRows(c, x, rows)` over each class\'s rows in chunks of ' +
        `${int(first.options.batchSize)}, as \`classPca\` does: each ` +
        'chunk is centred, checked and transposed on the host ' +
        '(`centredRows`) and its Gram built as symmetric column blocks ' +
        '(`gramBlocksFromHost`), then added to the class accumulators; ' +
        'GFLOP/s counts 2·N·d².',
    '- **second moments** and **eigensolver**: the 10 matrices ' +
        '`secondMoment(c)`, then `topEigen` on them; its GFLOP/s counts ' +
        'only the Q·A products (2·m·d² per iteration, m = ' +
        `${first.flops.eigenBasisRows}).`,
    '- **classPca, end to end**: `await classPca(x, y, {components: ' +
        `${first.options.components}})\`, which yields to the event loop ` +
        'between batches; and `classPcaSync` with the same arguments, which ' +
        'does not. GFLOP/s is 2·N·d² over the time.',
    '',
    'Commands:',
    '',
    '```sh',
    ...chosen.map(c => c.r.command),
    'npx ts-node --transpile-only bench/report.ts',
    '```',
    '',
    '## Results',
    '',
  ];
  for (const {r} of chosen) {
    const s = r.summary;
    out.push(
        `### ${r.backend}`,
        '',
        `${r.runs} run${r.runs === 1 ? '' : 's'}` +
            `${r.runs === 1 ? ' (a single run: no spread)' : ''}, ` +
            `${int(r.data.rows)} rows.` +
            (r.runs !== 1 ? '' :
                 ` One run only because every step takes minutes on this ` +
                     `backend: one run of the sequence (floor, split ` +
                     `classPca, classPca, classPcaSync) took ` +
                     `${s1((s.floor.wall.median + s.statistics.wall.median +
                           s.matrices.wall.median + s.eigen.wall.median +
                           s.classPca.wall.median +
                           (s.classPcaSync?.wall.median ?? 0)) / 60)} ` +
                     `minutes.`),
        '',
        ...resultTable(r),
        '',
        `classPca over the floor, run by run: median ` +
            `${s2(s.classPca.pairedRatioToFloor?.median ?? NaN)} (` +
            `${s2(s.classPca.pairedRatioToFloor?.min ?? NaN)} – ` +
            `${s2(s.classPca.pairedRatioToFloor?.max ?? NaN)}). ` +
            `Eigensolver iterations per class: ` +
            `${s.eigen.iterationsPerClass.join(', ')}` +
            `${r.raw.eigenConverged ? ' (all converged)' :
                                      ' (not all converged)'}. ` +
            `The split and the end-to-end eigenvalues agree to ` +
            `${s.eigenvalueMaxRelDiff.toExponential(1)} (relative). ` +
            `Tensors: ${r.memory.tensorsWithData} with x and y loaded, ` +
            `${r.memory.tensorsAtEnd} at the end, ` +
            `${r.memory.tensorsAfterDispose} after disposing them.`,
        '');
  }

  out.push('## Goals', '');
  const wasm = chosen.find(c => c.r.backend === 'wasm')?.r;
  for (const {r} of chosen) {
    const c = r.summary.classPca;
    const ok = [(c.ratioToFloor ?? Infinity) <= g.ratioToFloor,
                (c.ratioToFloorCpu ?? Infinity) <= g.ratioToFloor];
    const sync = r.summary.classPcaSync;
    const chunked = r.breakdown === null ? null :
        Math.min(...r.breakdown.floorChunkedSeconds.map(l => l.wall));
    out.push(
        `- **Whole class-based PCA within ${g.ratioToFloor}× the matMul ` +
        `floor, ${r.backend}**${r.runs === 1 ? ' (one run)' : ''}` +
        (currentPath(r) ? '' :
             ` (measured on the old statistics path, commit ` +
                 `${r.git.commit?.slice(0, 7)})`) +
        ': ' +
        `${s2(c.ratioToFloor ?? NaN)}× by median wall ` +
        `time, ${s2(c.ratioToFloorCpu ?? NaN)}× by CPU seconds: ` +
        `${verdict(ok)}.` +
        (sync === undefined ? '' :
             ` (\`classPcaSync\`: ${s2(sync.ratioToFloor ?? NaN)}× and ` +
                 `${s2(sync.ratioToFloorCpu ?? NaN)}×.)`) +
        (r.summary.transposeA === null ||
                 r.summary.transposeA.wall >= r.summary.floor.wall.median ?
             '' :
             ` On this backend the transposeA form \`matMul(x, x, true)\` ` +
                 `was faster than the floor (${s3(r.summary.transposeA.wall)}` +
                 ` s, one run); against it classPca is ` +
                 `${s2(c.wall.median / r.summary.transposeA.wall)}×.`) +
        (chunked === null || chunked >= r.summary.floor.wall.min ? '' :
             ` The single product is not the fastest way to xᵀx here: ` +
                 `${int(r.options.batchSize)}-row chunks did it in ` +
                 `${s3(chunked)} s, against which classPca's fastest run ` +
                 `is ${s2(c.wall.min / chunked)}×.`));
  }
  if (wasm !== undefined) {
    const c = wasm.summary.classPca;
    const ok = [c.wall.median < g.wasmSeconds, c.cpu.median < g.wasmSeconds];
    out.push(
        `- **Under ${g.wasmSeconds} s on wasm for Fashion-MNIST**: ` +
            `${s3(c.wall.median)} s median wall time (fastest run ` +
            `${s3(c.wall.min)} s), ${s3(c.cpu.median)} CPU s: ` +
            `${verdict(ok)}.`,
        `- **NumPy with a native BLAS: ${g.numpySeconds} s** (the issue's ` +
            `figure, not measured here): classPca on wasm takes ` +
            `${s1(c.cpu.median / g.numpySeconds)}× that by CPU seconds ` +
            `(${s1(c.wall.median / g.numpySeconds)}× by median wall time), ` +
            `and the wasm floor alone ` +
            `${s1(wasm.summary.floor.cpu.median / g.numpySeconds)}×` +
            (wasm.summary.floor.cpu.median > g.numpySeconds ?
                 ': out of reach of the single-threaded wasm matMul, ' +
                     'whatever classPca does around it.' :
                 '.'));
  }
  out.push('', '## Where the time goes', '');
  for (const {r} of chosen) {
    out.push(...whereTimeGoes(r), '');
  }
  fs.mkdirSync(path.dirname(OUT), {recursive: true});
  out.push(...fitSections(fits, monitor, path.dirname(OUT), rel)
                .map(line => line.startsWith('#') ? `#${line}` : line));
  const monitorFiles = fs.readdirSync(RESULTS)
                           .filter(f => /^monitor-overhead-.*\.json$/.test(f))
                           .map(f => path.join(RESULTS, f));
  for (const file of monitorFiles) {
    out.push(...monitorSection(
        rel(file), JSON.parse(fs.readFileSync(file, 'utf8'))));
  }
  const eigenFiles = newestPerBackend('eigen-filter-');
  for (const file of eigenFiles) {
    out.push(...eigenFilterSection(
        rel(file), JSON.parse(fs.readFileSync(file, 'utf8'))));
  }
  out.push(...fitCnnSection(RESULTS, ROOT));
  const variantFiles = fs.readdirSync(RESULTS)
                           .filter(f => /^fit-\w+-variants-\w+\.jsonl$/.test(f))
                           .map(f => path.join(RESULTS, f));
  out.push(...variantSection(variantFiles.map(rel)));
  fs.writeFileSync(OUT, out.join('\n'));
  process.stdout.write(
      `wrote ${rel(OUT)} from ` +
      `${[...[...chosen, ...fits].map(c => c.file), ...monitorFiles,
          ...eigenFiles, ...variantFiles]
             .map(rel).join(', ')}\n`);
}

/** The newest bench/results file starting with `prefix`, per backend. */
function newestPerBackend(prefix: string): string[] {
  const newest = new Map<string, string>();
  for (const f of fs.readdirSync(RESULTS).sort()) {
    const m = new RegExp(`^${prefix}(\\w+)-\\d{4}-.*\\.json$`).exec(f);
    if (m !== null) {
      newest.set(m[1], path.join(RESULTS, f));
    }
  }
  return [...newest.values()];
}

/**
 * The TimeScaleMonitor benchmarks' results: the backends with an overhead
 * run, and the reference spans of the span-refresh run (wasm's when there
 * are several).
 */
function monitorFigures(rel: (f: string) => string): MonitorFigures {
  const files = fs.readdirSync(RESULTS).sort();
  const overheadBackends = files.map(
      f => /^monitor-overhead-(\w+)\.json$/.exec(f)?.[1]).filter(
          (b): b is string => b !== undefined);
  const spanFiles = files.filter(
      f => /^monitor-span-refresh-\w+\.json$/.test(f))
      .sort((a, b) => Number(b.includes('-wasm')) - Number(a.includes('-wasm')));
  if (spanFiles.length === 0) {
    return {overheadBackends, span: null};
  }
  const file = path.join(RESULTS, spanFiles[0]);
  const run = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    backend: string, settings: SpanFigures['settings'],
    results: Array<{name: string, alignment: SpanFigures['alignment'],
                    inputDims?: number[], spanDims?: Array<number|null>}>,
  };
  const reference = run.results.find(x => x.name === 'every record');
  return {
    overheadBackends,
    span: reference === undefined ? null : {
      file: rel(file), backend: run.backend, settings: run.settings,
      alignment: reference.alignment, inputDims: reference.inputDims,
      spanDims: reference.spanDims,
    },
  };
}

/** One line of bench/fit-variant.ts's JSON Lines. */
interface VariantRun {
  date: string;
  commit: string|null;
  srcDirty?: boolean|null;
  /** Absent in lines of bench/fit-cnn-variant.ts (CNN, one epoch). */
  model?: string;
  fineTuneEpochs?: number;
  mode?: string;
  options: object;
  before: number;
  after: number;
  wallSeconds: number;
}

/**
 * The single runs bench/fit-variant.ts appended while defaults were
 * chosen, every line of each file in order: the figures the option docs
 * quote.
 */
function variantSection(files: string[]): string[] {
  if (files.length === 0) {
    return [];
  }
  const out = [
    '## Variant runs', '',
    'Single runs of `bench/fit-variant.ts` (`npx ts-node --transpile-only ' +
        'bench/fit-variant.ts \'{options}\' --model cnn|mlp ' +
        '[--fine-tune-epochs N] [--callback]`), made while choosing ' +
        'defaults, on the full Fashion-MNIST (wasm): the demo model (seed ' +
        '0) computed by fitByPCA with the given options over the defaults ' +
        'of its commit, then N fine-tuning epochs (or, marked callback, ' +
        '`model.fit` for N epochs with a `FitByPcaCallback`). Runs were ' +
        'often made two at a time, so wall seconds are only roughly ' +
        'comparable; the accuracy is the figure (standard error about 0.35 ' +
        'points). Every run is listed, in order. Lines without a model ' +
        'came from its predecessor bench/fit-cnn-variant.ts (the CNN, one ' +
        'fine-tuning epoch). "+src" marks a run of a commit ' +
        'with uncommitted changes under src/.', '',
  ];
  for (const file of files) {
    const runs = fs.readFileSync(path.join(ROOT, file), 'utf8')
                     .split('\n').filter(l => l.trim() !== '')
                     .map(l => JSON.parse(l) as VariantRun);
    out.push(
        `### \`${file}\``, '',
        '| date | commit | model | options | fine-tuning | computed | ' +
            'end | wall s |',
        '|---|---|---|---|---|---:|---:|---:|',
        ...runs.map(v => `| ${v.date.slice(0, 16).replace('T', ' ')} | ` +
                    `\`${(v.commit ?? 'unknown').slice(0, 7)}\`` +
                    `${v.srcDirty === true ? ' +src' : ''} | ` +
                    `${v.model ?? '(cnn)'} | ` +
                    `\`${JSON.stringify(v.options)}\` | ` +
                    `${v.fineTuneEpochs ?? 1} epoch(s)` +
                    `${v.mode === undefined ? '' : ', callback'} | ` +
                    `${(100 * v.before).toFixed(2)}% | ` +
                    `${(100 * v.after).toFixed(2)}% | ` +
                    `${v.wallSeconds.toFixed(0)} |`),
        '');
  }
  return out;
}

/** What bench/eigen-filter.ts writes (the parts used here). */
interface EigenFilter {
  date: string;
  commit: string|null;
  machine: {cpuModel: string};
  options: {backend: string, runs: number, centered: boolean};
  components: number;
  summary: Array<{
    degree: number, wall: Stat, cpu: Stat, iterations: number[],
    worstValueError: number, worstAngle: number,
  }>;
}

/** The section on the eigensolver's Chebyshev filter degree. */
function eigenFilterSection(file: string, e: EigenFilter): string[] {
  const plain = e.summary.find(s => s.degree === 1);
  const rows = e.summary.map(s => {
    const ratio = plain === undefined ? '' :
        ` | ${s2(s.wall.median / plain.wall.median)}`;
    return `| ${s.degree} | ${s3(s.wall.median)} | ${s3(s.wall.min)} – ` +
        `${s3(s.wall.max)} | ${s3(s.cpu.median)} | ` +
        `${s.iterations.join(', ')} | ` +
        `${s.worstValueError.toExponential(1)} | ` +
        `${s.worstAngle.toExponential(1)}${ratio} |`;
  });
  return [
    `## Eigensolver: Chebyshev filter degree (${e.options.backend})`, '',
    `Measured by \`bench/eigen-filter.ts\` (source: \`${file}\`; ` +
        `${e.date}, commit \`${(e.commit ?? 'unknown').slice(0, 10)}\`, ` +
        `${e.machine.cpuModel}): \`topEigen\` on the 10 class ` +
        `${e.options.centered ? 'covariances' : 'second moments'} of ` +
        `Fashion-MNIST's 60,000 training images, top ${e.components} ` +
        `pairs each, ${e.options.runs} runs alternating the degrees. ` +
        `Errors are against a reference solve (degree 1, tolerance 1e-7): ` +
        `the largest eigenvalue difference relative to the class's ` +
        `largest eigenvalue, and the largest principal angle between the ` +
        `top-${e.components} subspaces.`, '',
    '| filter degree | wall s, median | min – max | CPU s, median | ' +
        'iterations per class | eigenvalue error | angle (rad) | ' +
        '× degree 1 |',
    '|---:|---:|---:|---:|---|---:|---:|---:|',
    ...rows, '',
  ];
}

/** What bench/monitor-overhead.ts writes (the parts used here). */
interface MonitorOverhead {
  date: string;
  commit: string|null;
  command: string;
  machine: {backend: string, loadAverage1m: {start: number,
                                             afterEachRun: number[]}};
  settings: {model: string, optimizer: string, batchSize: number,
             images: number, epochs: number, steps: number,
             probeRows: number};
  summary: Record<string, {
    medianWall: number, ratioWall: number, pairedRatioWall: number,
    ratioCpu: number, medianMonitorSeconds: number|null,
    medianTrainBeginSeconds: number|null, selfTimedRatio: number|null,
  }>;
  runs: Array<Record<string, {wall: number, cost: {
    trainBeginSeconds: number, records: number, recordSeconds: number,
    refreshes: number, refreshSeconds: number,
  }|null}>>;
}

/** The section on the TimeScaleMonitor's overhead on model.fit. */
function monitorSection(file: string, m: MonitorOverhead): string[] {
  const row = (name: string, label: string) => {
    const s = m.summary[name];
    const own = s.medianMonitorSeconds === null ? '-' :
        `${s2(s.medianMonitorSeconds)} ` +
            `(${s2(s.medianTrainBeginSeconds as number)})`;
    return `| ${label} | ${s2(s.medianWall)} | ${s3(s.ratioWall)} | ` +
        `${s3(s.pairedRatioWall)} | ${s3(s.ratioCpu)} | ${own} | ` +
        `${s.selfTimedRatio === null ? '-' : s3(s.selfTimedRatio)} |`;
  };
  const loads = [m.machine.loadAverage1m.start,
                 ...m.machine.loadAverage1m.afterEachRun].map(s2);
  const median = (values: number[]) => {
    const v = values.slice().sort((a, b) => a - b);
    const mid = v.length >> 1;
    return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  };
  const split = (name: string) => {
    const costs = m.runs.map(r => r[name].cost as NonNullable<
                                 typeof r[string]['cost']>);
    const records = median(costs.map(c => c.recordSeconds -
                                          c.refreshSeconds));
    return `train begin ${s2(median(costs.map(c => c.trainBeginSeconds)))} ` +
        `s, ${median(costs.map(c => c.records))} records ` +
        `${s2(records)} s (${ms(records / median(costs.map(
            c => c.records)))} ms each), ` +
        `${median(costs.map(c => c.refreshes))} span refreshes ` +
        `${s2(median(costs.map(c => c.refreshSeconds)))} s`;
  };
  return [
    `## TimeScaleMonitor overhead (${m.machine.backend})`, '',
    `Measured by \`bench/monitor-overhead.ts\` (source: \`${file}\`; ` +
        `${m.date}, commit \`${(m.commit ?? 'unknown').slice(0, 10)}\`; ` +
        `1-minute load average ${loads.join(', ')}): ${m.settings.model}, ` +
        `${m.settings.optimizer}, batch ${m.settings.batchSize}, ` +
        `${int(m.settings.images)} committed Fashion-MNIST images, ` +
        `${m.settings.epochs} epochs (${m.settings.steps} steps) per fit, ` +
        `${m.runs.length} runs alternating plain fits and fits with the ` +
        `monitor at its defaults, without a probe set (\`rates\`) and with ` +
        `${int(m.settings.probeRows)} probe rows (\`probe\`).`,
    '',
    '| fit | median wall s | × plain (wall) | × plain (paired) | ' +
        '× plain (CPU s) | monitor s (train begin) | monitor s / rest ' +
        'of fit |',
    '|---|---:|---:|---:|---:|---:|---:|',
    row('plain', '`model.fit`'),
    row('rates', 'with `new TimeScaleMonitor()`'),
    row('probe', 'with `new TimeScaleMonitor({probe})`'),
    '',
    `The monitor's own time, medians over the runs: without a probe set ` +
        `${split('rates')}; with it ${split('probe')}.`,
    '',
    'The monitor times its own work (`toJSON().cost`: its train begin and ' +
        'its records, span refreshes included); the last column is that ' +
        'time over the rest of the fit. The ratios of wall times compare ' +
        'separate fits and carry the noise of a shared machine (see the ' +
        'load averages), which can exceed the effect measured.',
    '',
    'Command:', '', '```sh', m.command, '```', '',
  ];
}

main();
