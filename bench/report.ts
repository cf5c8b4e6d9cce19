/**
 * Writes docs/BENCHMARKS.md from the JSON files of bench/class-pca.ts,
 * and of bench/fit-cnn.ts for its last section (bench/report-fit-cnn.ts).
 *
 *   npx ts-node --transpile-only bench/report.ts [FILE.json ...]
 *
 * Without arguments it takes, for each backend, the newest full (not
 * `--quick`) result in bench/results/. Every figure in the document comes
 * from those files; nothing is typed by hand.
 */
import * as fs from 'fs';
import * as path from 'path';

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
  chunk: Record<string, number>;
  perPass: Record<string, number>;
  updateClass: number;
  fromStatistics: Lap;
  gramMatMulGflops: number;
  eigenBasisRows: number;
  eigenIteration: {
    perIteration?: number, qTimesA: number, basisGram: number,
    residuals?: number, nextBasis: number, hostSmallProblems?: number,
  };
  floorChunkedSeconds: Lap[];
  passes?: Passes;
}
interface Result {
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
const OUT = path.join(ROOT, 'docs', 'BENCHMARKS.md');

function pick(files: string[]): Array<{file: string, r: Result}> {
  const all = files.map(file => ({
    file,
    r: JSON.parse(fs.readFileSync(file, 'utf8')) as Result,
  }));
  if (process.argv.length > 2) {
    return all;
  }
  const newest = new Map<string, {file: string, r: Result}>();
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
    row('statistics (`ClassStatistics.updateClass`)', s.statistics,
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

/**
 * classPca's least wall time minus the floor's, split into parts that add
 * up to it exactly: each part is the difference of two measured times.
 * Least times (over the runs, or the rounds of the passes) are used
 * throughout, as the least disturbed by other processes.
 */
/** The parts of classPca after the statistics, shared by both splits. */
function afterStatistics(r: Result): Part[] {
  const s = r.summary;
  return [
    {name: 'moments', what: 'the 10 second moments from the accumulators',
     seconds: s.matrices.wall.min},
    {name: 'eigen', what: `the eigensolver \`topEigen\` ` +
         `(${s.eigen.iterations} subspace iterations over the ` +
         `${r.data.numClasses} classes)`,
     seconds: s.eigen.wall.min},
    {name: 'other', what: 'the rest of `classPca`: label reading, data ' +
         'mean and covariance, per-class projections, matrix checks, ' +
         'yielding between batches',
     seconds: s.classPca.wall.min - s.statistics.wall.min -
         s.matrices.wall.min - s.eigen.wall.min},
  ];
}

function excessParts(r: Result): Part[] {
  const s = r.summary;
  const p = (r.breakdown as Breakdown).passes as Passes;
  return [
    {name: 'chunking', what: `the Gram products in ` +
         `${int(r.options.batchSize)}-row class chunks instead of one ` +
         `product` + (least(p.gramOnly) < s.floor.wall.min ?
                          ' (negative: the chunks are faster)' : ''),
     seconds: least(p.gramOnly) - s.floor.wall.min},
    {name: 'accumulateOps', what: 'the other ops of the accumulation: ' +
         'shift, centring `sub`, `transpose`, column-sum matMul',
     seconds: least(p.uncheckedOps) - least(p.gramOnly)},
    {name: 'checks', what: '`updateClass`\'s checks: `checkRows`, the ' +
         'class label, `checkFinite` (a kernel and a read-back per chunk), ' +
         'and the sum accumulator',
     seconds: least(p.updateClass) - least(p.uncheckedOps)},
    {name: 'gather', what: '`gatherRows`: host copy of each chunk\'s rows ' +
         'into a new tensor',
     seconds: least(p.gather)},
    {name: 'interaction', what: 'gathering and updating in one loop rather ' +
         'than in separate passes (allocation, garbage collection, caches)',
     seconds: s.statistics.wall.min - least(p.gather) -
         least(p.updateClass)},
    ...afterStatistics(r),
  ];
}

interface Passes {
  chunks: number;
  gather: Lap[];
  updateClass: Lap[];
  uncheckedOps: Lap[];
  gramOnly: Lap[];
}

/** The least wall time of some laps: the least disturbed. */
function least(laps: Lap[]): number {
  return Math.min(...laps.map(l => l.wall));
}

const NEXT_STEP: Record<string, string> = {
  eigen: 'The eigensolver is the first place to look (its iteration is ' +
      'broken down below): fewer iterations (a better start, a larger ' +
      'block), less per-iteration work besides the Q·A product, or one ' +
      'product for all classes per iteration.',
  accumulateOps: 'The ops around the Gram product are the first place to ' +
      'look, the transpose above all: the host copy in `gatherRows` could ' +
      'write the rows in both layouts (and centred) in the same pass, so ' +
      'that no transpose kernel runs.',
  gather: 'The host row copy is the first place to look: copying the rows ' +
      'of each class once into class order (or reading them in place when ' +
      'they are contiguous) would save most of it.',
  checks: 'The per-chunk checks are the first place to look: one finite ' +
      'check on the whole input, or one folded into the host copy, would ' +
      'replace a kernel and a read-back per chunk.',
  interaction: 'Allocation is the first place to look: each chunk makes ' +
      'fresh rows-sized tensors (the copy, the centred rows, their ' +
      'transpose); reusing buffers would take the pressure off.',
  other: 'The work around the solve in `classPca` is the first place to ' +
      'look.',
  moments: 'Forming the second moments is the first place to look.',
};

const STEP_LABEL: Record<string, string> = {
  gatherRows: '`gatherRows`',
  checkFinite: '`checkFinite`',
  sub: 'centring `sub`',
  transpose: '`transpose`',
  gramMatMul: 'Gram matMul',
  sumMatMul: 'column-sum matMul',
  accumulateAdd: 'accumulator `add`',
  firstChunkMean: 'shift `mean` (first chunk of a class)',
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
    {name: 'statistics', what: 'statistics beyond the floor (gathers, ' +
         'checks, centring, transpose, sums, chunking; see the per-step ' +
         'table)',
     seconds: s.statistics.wall.min - s.floor.wall.min},
    ...afterStatistics(r),
  ];
}

/** Per-step costs other than the Gram product, as parts. */
function stepParts(b: Breakdown): Part[] {
  return Object.entries(b.perPass)
      .filter(([name]) => name !== 'gramMatMul')
      .map(([name, seconds]) => ({
             name: name === 'transpose' || name === 'sub' ||
                     name === 'sumMatMul' ? 'accumulateOps' :
                 name === 'gatherRows' ? 'gather' :
                 name === 'checkFinite' ? 'checks' : name,
             what: `${STEP_LABEL[name] ?? name} (per-step estimate)`,
             seconds,
           }));
}

function whereTimeGoes(r: Result): string[] {
  const b = r.breakdown;
  const s = r.summary;
  if (b === null || b.passes === undefined) {
    return [`No breakdown in the ${r.backend} run (run with ` +
            `\`--breakdown\`).`];
  }
  const pass = b.passes;
  const fine = pass.gather.length >= MIN_ROUNDS;
  const parts = fine ? excessParts(r) : coarseParts(r);
  const total = s.classPca.wall.min - s.floor.wall.min;
  // Candidates for the largest cost beyond the matMul: the parts that name
  // one cause, and, in the coarse view, the per-step estimates.
  const ranked = [...parts.filter(p => p.name !== 'chunking' &&
                                       p.name !== 'statistics'),
                  ...(fine ? [] : stepParts(b))]
                     .sort((x, y) => y.seconds - x.seconds);
  const top = ranked[0];
  const chunked = Math.min(...b.floorChunkedSeconds.map(l => l.wall));
  const passes = `the gathers alone ${s3(least(pass.gather))} s; ` +
      `\`updateClass\` on chunks gathered beforehand ` +
      `${s3(least(pass.updateClass))} s; its ops without the checks ` +
      `${s3(least(pass.uncheckedOps))} s; the Gram products and their sum ` +
      `alone, on chunks transposed beforehand, ${s3(least(pass.gramOnly))} s`;
  const intro = fine ?
      [`In its fastest run classPca took ${s3(s.classPca.wall.min)} s, the ` +
           `floor ${s3(s.floor.wall.min)} s in its fastest: ${s3(total)} s ` +
           `more. To split that, the statistics loop was also run whole ` +
           `with parts of its work taken away (${pass.chunks} chunks, ` +
           `${pass.gather.length} interleaved rounds, least time): ` +
           `${passes}. With the fastest runs of the statistics, second ` +
           `moments, eigensolver and classPca, the differences add up to ` +
           `the ${s3(total)} s:`] :
      [`classPca took ${s3(s.classPca.wall.min)} s, the floor ` +
           `${s3(s.floor.wall.min)} s: ${s3(total)} s more, split as ` +
           `below (single runs, so each part carries the run-to-run noise, ` +
           `which this run does not measure).`];
  const caveat = fine ?
      `Each part is a difference of times that themselves vary from run to ` +
          `run (the floor's ${r.runs} runs spread over ` +
          `${s3(s.floor.wall.max - s.floor.wall.min)} s, the statistics' ` +
          `over ${s3(s.statistics.wall.max - s.statistics.wall.min)} s), ` +
          `so parts smaller than that are not resolved; the per-step table ` +
          `below is the finer view.` :
      `The statistics were also run whole with parts of their work taken ` +
          `away, but in ${pass.gather.length} round` +
          `${pass.gather.length === 1 ? '' : 's'} only (${passes}); ` +
          `fewer than ${MIN_ROUNDS} rounds do not separate these parts from ` +
          `the noise, so the statistics are split by the per-step table ` +
          `below instead.`;
  return [
    `### ${r.backend}`,
    '',
    ...intro,
    '',
    '| part of classPca − floor | seconds |',
    '|---|---:|',
    ...parts.map(p => `| ${p.what} | ${s3(p.seconds)} |`),
    `| **total** | **${s3(parts.reduce((a, p) => a + p.seconds, 0))}** |`,
    '',
    caveat,
    '',
    `The largest cost beyond the matMul is **${top.what}**, ` +
        `${s3(top.seconds)} s (${s1(top.seconds / total * 100)}% of the ` +
        `excess), then ${ranked[1].what}, ${s3(ranked[1].seconds)} s. ` +
        (NEXT_STEP[top.name] ?? ''),
    '',
    `For reference, xᵀx over ${int(r.options.batchSize)}-row chunks in ` +
        `row order (\`bench\` floor, chunked) took ` +
        `${b.floorChunkedSeconds.map(l => s3(l.wall)).join(', ')} s, best ` +
        `${s3(chunked)} s: ${s2(chunked / s.floor.wall.min)}× the ` +
        `single product's best` +
        (chunked < s.floor.wall.min ?
             `, so against that stricter floor classPca's best is ` +
                 `${s2(s.classPca.wall.min / chunked)}×.` :
             '.'),
    '',
    `Per step of one ${int(b.chunkRows)}-row chunk (least of ${b.reps} ` +
        `repetitions, scaled to a pass: × rows/${int(b.chunkRows)}, or × ` +
        `${b.chunksPerPass} chunks for the accumulator add, × ` +
        `${r.data.numClasses} first chunks for the shift mean):`,
    '',
    '| step | ms per chunk | s per pass |',
    '|---|---:|---:|',
    ...Object.entries(b.perPass).map(
        ([name, v]) => `| ${STEP_LABEL[name] ?? name} | ` +
            `${b.chunk[name] === undefined ? '' : ms(b.chunk[name])} | ` +
            `${s3(v)} |`),
    '',
    `A lone Gram product of a chunk runs at ${s2(b.gramMatMulGflops)} ` +
        `GFLOP/s, against ${s2(s.floor.gflops ?? NaN)} for the single ` +
        `full-size product.`,
    '',
    eigenParagraph(r),
  ];
}

function main() {
  const files = process.argv.length > 2 ?
      process.argv.slice(2) :
      fs.readdirSync(RESULTS)
          .filter(f => f.startsWith('class-pca-') && f.endsWith('.json'))
          .map(f => path.join(RESULTS, f));
  const chosen = pick(files);
  if (chosen.length === 0) {
    process.stderr.write(
        'bench/report: no full results in bench/results; run ' +
        '`npm run bench -- --backend wasm` first.\n');
    process.exit(2);
  }
  const first = chosen[0].r;
  const m = first.machine;
  const g = first.goals;
  const rel = (f: string) => path.relative(ROOT, f);
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
        '`bench/class-pca.ts`.',
    '',
    'Sources: ' + chosen.map(c => `\`${rel(c.file)}\``).join(', ') + '.',
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
    '- **statistics**: `new ClassStatistics` and class-grouped ' +
        '`updateClass` over `gatherRows` chunks of ' +
        `${int(first.options.batchSize)} rows, as \`classPca\` does; ` +
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
        `floor, ${r.backend}**${r.runs === 1 ? ' (one run)' : ''}: ` +
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
  out.push(...fitCnnSection(RESULTS, ROOT));
  fs.writeFileSync(OUT, out.join('\n'));
  process.stdout.write(`wrote ${rel(OUT)} from ` +
                       `${chosen.map(c => rel(c.file)).join(', ')}\n`);
}

main();
