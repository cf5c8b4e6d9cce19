/**
 * The section of docs/BENCHMARKS.md on convolutional networks, from
 * bench/results/fit-cnn-<backend>.json (bench/fit-cnn.ts). bench/report.ts
 * appends it; every figure comes from those files.
 */
import * as fs from 'fs';
import * as path from 'path';

interface Measurement {
  method: string;
  trainImages: number;
  testAccuracy: number;
  testAccuracyPerStage: number[];
  /** Absent in results written before it was recorded. */
  wallSecondsPerStage?: number[];
  wallSeconds: number;
  cpuSeconds: number;
  load1m: {start: number, end: number};
}

/**
 * One layer's fitByPCA seconds next to its statistics' matMul floor (as
 * bench/fit-cnn.ts writes it; `F` the floor's record).
 */
export interface LayerFloor<
    F = {wall: {median: number}, cpu: {median: number}}> {
  name: string;
  className: string;
  role: string;
  /** Rows of the floor's xᵀx: the layer's samples. */
  rows: number;
  /** Features of a row: the patch size, or the output layer's inputs. */
  features: number;
  seconds: number;
  floor: F;
}

interface PartResult {
  date: string;
  data: {source: string, trainRowsPerClass: number|null};
  machine: {commit: string|null, backend: string, nproc?: number};
  runs: Measurement[][];
  /** The floor part: per run, each layer's time and floor. */
  floors?: LayerFloor[][];
  /** The batches part: per run, model.fit's seconds per batch. */
  batches?: Array<{batchSize: number, seconds: number[],
                   epochBatches: number, epochSeconds: number,
                   load1m: {start: number, end: number}}>;
}

interface FitCnnFile {
  parts: Record<string, PartResult>;
}

/**
 * When fitByPCA's `distinct` default came in: parts run before it computed
 * plain class-based PCA components.
 */
export const DISTINCT_SINCE = '2026-12-05T00:30:00Z';

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const s0 = (v: number) => v.toFixed(0);

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One table row per method of a part: medians over its runs. */
function partTable(part: PartResult): string[] {
  const lines = [
    '| method | train images | test accuracy | wall s | CPU s | ' +
        'load (1 min) |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  part.runs[0].forEach((first, i) => {
    const ms = part.runs.map(r => r[i]);
    const stages = first.testAccuracyPerStage.length > 1 ?
        ` (${stageList(ms)})` :
        '';
    lines.push(
        `| ${first.method} | ${first.trainImages} | ` +
        `${pct(median(ms.map(m => m.testAccuracy)))}${stages} | ` +
        `${s0(median(ms.map(m => m.wallSeconds)))} | ` +
        `${s0(median(ms.map(m => m.cpuSeconds)))} | ` +
        `${first.load1m.start.toFixed(1)}–${first.load1m.end.toFixed(1)} |`);
  });
  return lines;
}

/**
 * The accuracy after each stage, with its wall seconds when recorded:
 * medians over the runs.
 */
function stageList(ms: Measurement[]): string {
  return ms[0].testAccuracyPerStage.map((_, k) => {
    const accuracy = pct(median(ms.map(m => m.testAccuracyPerStage[k])));
    const times = ms.map(m => m.wallSecondsPerStage?.[k])
                      .filter((t): t is number => t !== undefined);
    return times.length === ms.length ?
        `${accuracy} at ${s0(median(times))} s` : accuracy;
  }).join(' → ');
}

/** Median accuracy and wall seconds of one method over runs. */
interface Medians {
  accuracy: number;
  wall: number;
  runs: number;
}

/**
 * The medians of the method `pick` finds in every run of `part` (at its
 * stage `stage`, 1-based; its end by default), or null when a run lacks
 * it or that stage.
 */
function mediansOf(
    part: PartResult|undefined, pick: (m: Measurement) => boolean,
    stage?: number): Medians|null {
  const found = part?.runs.map(r => r.find(pick));
  if (found === undefined || found.some(
          m => m === undefined || (stage !== undefined &&
              (m.testAccuracyPerStage.length < stage ||
               m.wallSecondsPerStage === undefined)))) {
    return null;
  }
  const ms = found as Measurement[];
  return stage === undefined ?
      {accuracy: median(ms.map(m => m.testAccuracy)),
       wall: median(ms.map(m => m.wallSeconds)), runs: ms.length} :
      {accuracy: median(ms.map(m => m.testAccuracyPerStage[stage - 1])),
       wall: median(ms.map(
           m => (m.wallSecondsPerStage as number[])[stage - 1])),
       runs: ms.length};
}

const isModelFit = (m: Measurement) => m.method.startsWith('model.fit');

/**
 * model.fit's side of the finetune comparison: in the finetune part
 * itself, or, when that part ran without it (bench/fit-cnn.ts
 * `--without-model-fit`), in the `fit` part, run by a second process.
 */
function modelFitSide(parts: Record<string, PartResult>):
    {name: string, part: PartResult}|null {
  for (const name of ['finetune', 'fit']) {
    const part = parts[name];
    if (part !== undefined &&
        part.runs.every(r => r.some(isModelFit))) {
      return {name, part};
    }
  }
  return null;
}

/**
 * model.fit's medians after `epochs` epochs, or after as many as every
 * run got through (`reached`), with the part they came from; null when
 * there is no model.fit side.
 */
function modelFitAt(parts: Record<string, PartResult>, epochs: number):
    {name: string, reached: number, f: Medians}|null {
  const side = modelFitSide(parts);
  if (side === null) {
    return null;
  }
  const reached = Math.min(epochs, ...side.part.runs.map(
      r => r.find(isModelFit)?.testAccuracyPerStage.length ?? 0));
  const f = mediansOf(side.part, isModelFit, reached);
  return f === null ? null : {name: side.name, reached, f};
}

const runsNote = (runs: number) =>
    runs === 1 ? 'one run' : `medians of ${runs} runs`;

/**
 * fitByPCA + fine-tuning (part `finetune`) against model.fit after
 * `epochs` epochs (or as many as it got through, said so), both as
 * medians, and whether the bar holds.
 */
function barLine(parts: Record<string, PartResult>, epochs: number):
    string[] {
  const side = modelFitAt(parts, epochs);
  const t = mediansOf(parts.finetune, m => m.method.startsWith('fitByPCA'));
  if (side === null || t === null) {
    return [];
  }
  const {reached, f} = side;
  const met = t.accuracy >= f.accuracy && t.wall < f.wall;
  const short = reached < epochs ?
      `; model.fit's run stopped after ${reached} of its ${epochs} ` +
          `epochs, so this compares with epoch ${reached}` :
      '';
  const where = side.name === 'finetune' ? '' :
      `; model.fit from part \`${side.name}\`, run by a second process ` +
          'at the same time, one core each';
  return [
    `Bar (fitByPCA + fine-tuning at least model.fit's accuracy after ` +
        `${epochs} epochs, in less wall time): ${pct(t.accuracy)} in ` +
        `${s0(t.wall)} s against ${pct(f.accuracy)} in ${s0(f.wall)} s ` +
        `after ${reached} epoch${reached === 1 ? '' : 's'} ` +
        `(${(t.wall / f.wall).toFixed(2)} of its time): ` +
        `**${met ? 'met' : 'not met'}**` +
        `${reached < epochs ? ' at that epoch' : ''} ` +
        `(fitByPCA: ${runsNote(t.runs)}; model.fit: ${runsNote(f.runs)}` +
        `${short}${where}).`,
    '',
  ];
}

/**
 * The paper's first claim on the CNN: fitByPCA alone (part `alone`)
 * against model.fit after `epochs` epochs (or as many as it got
 * through), medians.
 */
function claimLine(parts: Record<string, PartResult>, epochs: number):
    string[] {
  const side = modelFitAt(parts, epochs);
  const a = mediansOf(parts.alone, m => m.method === 'fitByPCA, CNN');
  if (side === null || a === null) {
    return [];
  }
  const {reached, f} = side;
  return [
    `Computed layers against SGD on the CNN: fitByPCA alone, no ` +
        `backpropagation, ${pct(a.accuracy)} in ${s0(a.wall)} s (part ` +
        `\`alone\`, ${a.runs} run(s)) against model.fit's ` +
        `${pct(f.accuracy)} after ${reached} epoch${reached === 1 ? '' : 's'}` +
        ` in ${s0(f.wall)} s ` +
        `(part \`${side.name}\`, ${f.runs} run(s)): ` +
        `**${a.accuracy >= f.accuracy ? 'matched' : 'not matched'}**, in ` +
        `${(a.wall / f.wall).toFixed(2)} of the time.`,
    '',
  ];
}

/** Accuracy thresholds of the time-to-accuracy table. */
const THRESHOLDS = [0.80, 0.83, 0.85, 0.87, 0.88];

/**
 * For the CNN: the wall time at which each method's first evaluated stage
 * reaches each threshold (medians over runs; fitByPCA alone from the
 * `alone` part, one point).
 */
function timeToAccuracy(
    parts: Record<string, PartResult>, backend: string): string[] {
  const methods: Array<{label: string, ms: Measurement[]}> = [];
  const alone = parts.alone?.runs.map(
      r => r.find(m => m.method === 'fitByPCA, CNN'));
  if (alone !== undefined && alone.every(m => m !== undefined)) {
    methods.push({label: 'fitByPCA alone (one point)',
                  ms: (alone as Measurement[]).map(m => ({
                    ...m, testAccuracyPerStage: [m.testAccuracy],
                    wallSecondsPerStage: [m.wallSeconds],
                  }))});
  }
  for (const [name, part] of Object.entries(parts)) {
    if (name.startsWith('finetune') || name === 'fit') {
      part.runs[0].forEach((first, i) => methods.push(
          {label: `${first.method} (part \`${name}\`)`,
           ms: part.runs.map(r => r[i])}));
    }
  }
  const usable = methods.filter(
      ({ms}) => ms.every(m => m.wallSecondsPerStage !== undefined));
  if (usable.length === 0) {
    return [];
  }
  const cell = (ms: Measurement[], threshold: number) => {
    const times = ms.map(m => {
      const k = m.testAccuracyPerStage.findIndex(a => a >= threshold);
      return k < 0 ? null : (m.wallSecondsPerStage as number[])[k];
    });
    const reached = times.filter((t): t is number => t !== null);
    return reached.length < times.length ?
        `not reached (${times.length - reached.length} of ${times.length})` :
        `${s0(median(reached))} s`;
  };
  return [
    `### Time to accuracy, CNN (${backend})`, '',
    `| method | ${THRESHOLDS.map(pct).join(' | ')} |`,
    `|---|${THRESHOLDS.map(() => '---:').join('|')}|`,
    ...usable.map(({label, ms}) =>
        `| ${label} | ${THRESHOLDS.map(t => cell(ms, t)).join(' | ')} |`),
    '',
    'Each cell is the wall time at the first evaluation (after fitByPCA, ' +
        'or after an epoch) at or above the threshold, median over runs; ' +
        'evaluations are only made at those points, so a time is an upper ' +
        'bound.',
    '',
  ];
}

const TITLES: Record<string, string> = {
  alone: 'fitByPCA alone: CNN against MLP',
  finetune: 'fitByPCA + 1 fine-tuning epoch against model.fit',
  fit: 'model.fit alone, every epoch evaluated',
  batches: 'model.fit\'s epoch time, from timed batches',
  variants: 'fitByPCA alone on the CNN, one option changed at a time',
  bn: 'BatchNormalization from the data or the identity',
  floor: 'Cost against the floor, per CNN layer',
};

/**
 * The floor part's table: per layer, fitByPCA's seconds (median over
 * runs) next to the median seconds of one xᵀx of the rows it read.
 */
function floorTable(part: PartResult): string[] {
  const runs = part.floors ?? [];
  if (runs.length === 0) {
    return [];
  }
  const s2 = (v: number) => v.toFixed(2);
  return [
    'Each layer\'s seconds inside fitByPCA (defaults, no fine-tuning) next ' +
        'to the floor of its statistics: one `matMul(xᵀ, x)` of as many ' +
        'rows as the layer read (sampled patches, patch-size wide, for a ' +
        'convolution; the training images\' flattened features for the ' +
        'output layer), operands transposed beforehand. A convolution\'s ' +
        'time also holds the forward pass of the layers below over the ' +
        'sampled images and the patch extraction; the output layer\'s is ' +
        'the readout (ridge, then softmax L-BFGS).',
    '',
    '| layer | role | rows × features | fitByPCA s | floor: one xᵀx, s | ' +
        '× floor |',
    '|---|---|---|---:|---:|---:|',
    ...runs[0].map((first, i) => {
      const seconds = median(runs.map(r => r[i].seconds));
      const floor = median(runs.map(r => r[i].floor.wall.median));
      return `| ${first.name} (${first.className}) | ${first.role} | ` +
          `${first.rows}×${first.features} | ${s2(seconds)} | ` +
          `${s2(floor)} | ${(seconds / floor).toFixed(1)} |`;
    }),
    '',
  ];
}

/**
 * The batches part: model.fit's seconds per batch on the CNN and the
 * epoch they add up to, next to fitByPCA alone (part `alone`).
 */
function batchLines(parts: Record<string, PartResult>): string[] {
  const runs = parts.batches?.batches ?? [];
  if (runs.length === 0) {
    return [];
  }
  const epoch = median(runs.map(r => r.epochSeconds));
  const first = runs[0];
  const alone = mediansOf(parts.alone, m => m.method === 'fitByPCA, CNN');
  return [
    `model.fit (Adam 1e-3) on the CNN over its first ` +
        `${first.seconds.length} batches of ${first.batchSize} images: ` +
        `${runs.map(r => r.seconds.map(s0).join(', ')).join('; ')} s per ` +
        `batch, so an epoch of all ${first.epochBatches} batches would ` +
        `take about ${s0(epoch)} s (${(epoch / 3600).toFixed(1)} hours; ` +
        `median batch × batches, ${runs.length} run(s); 1-minute load ` +
        `${runs.map(r => `${r.load1m.start.toFixed(1)}–` +
                         `${r.load1m.end.toFixed(1)}`).join(', ')}` +
        `${parts.batches?.machine.nproc === undefined ? '' :
                                                       ` on ${parts.batches.machine.nproc} cores`}).` +
        (alone === null ? '' :
             ` fitByPCA alone computed the whole CNN to ` +
                 `${pct(alone.accuracy)} in ${s0(alone.wall)} s, ` +
                 `${(alone.wall / epoch).toFixed(2)} of one such epoch; ` +
                 'model.fit\'s accuracy per epoch is measured on wasm ' +
                 '(same model, seed and optimizer).'),
    '',
  ];
}

/** A title for `finetune<N>[-fit<M>]`. */
function fineTuneTitle(name: string): string {
  const m = /^finetune(\d*)(?:-fit(\d+))?$/.exec(name);
  if (m === null) {
    return name;
  }
  const tune = m[1] === '' ? 1 : Number(m[1]);
  return `fitByPCA + ${tune} fine-tuning epoch${tune === 1 ? '' : 's'} ` +
      `against model.fit${m[2] === undefined ? '' :
                          `, ${m[2]} epochs (every epoch evaluated)`}`;
}

/** The section's lines, or none when there are no results. */
export function fitCnnSection(resultsDir: string, root: string): string[] {
  const files = fs.readdirSync(resultsDir)
                    .filter(f => /^fit-cnn-[a-z]+\.json$/.test(f))
                    .map(f => path.join(resultsDir, f));
  if (files.length === 0) {
    return [];
  }
  const out = [
    '## Convolutional networks',
    '',
    'The demo CNN (conv 5×5×32 → max-pool 2 → conv 5×5×64 → max-pool 2 → ' +
        'dense 10) computed by fitByPCA, against the MLP 784-256-256-10 and ' +
        'against `model.fit` (Adam 1e-3, batch 128), measured by ' +
        '`bench/fit-cnn.ts`. Accuracy is on the 10,000 test images ' +
        '(standard error about 0.35 points); wall and CPU seconds run from ' +
        'the call to weights ready, test evaluations left out. A test ' +
        'accuracy with arrows lists it after each stage: computed weights, ' +
        'then each epoch.',
    '',
  ];
  for (const file of files) {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as FitCnnFile;
    for (const [name, part] of Object.entries(r.parts)) {
      const title = TITLES[name] ?? fineTuneTitle(name);
      const rows = part.data.trainRowsPerClass;
      out.push(
          `### ${title} (${part.machine.backend})`, '',
          `\`${path.relative(root, file)}\`, part \`${name}\`: ` +
              `${(part.batches ?? part.runs).length} run(s), ${part.date}, commit ` +
              `\`${(part.machine.commit ?? 'unknown').slice(0, 10)}\`; ` +
              `${rows === null ? 'all training images' :
                                 `the first ${rows} training images of ` +
                                     'each class'}` +
              `${part.date < DISTINCT_SINCE ?
                     '; before `distinct` components were fitByPCA\'s ' +
                         'default (plain class-based PCA)' :
                     ''}.`,
          '', ...(part.runs.length > 0 ? [...partTable(part), ''] : []),
          ...(name === 'batches' ? batchLines(r.parts) : []),
          ...(name === 'finetune' ? [...barLine(r.parts, 3),
                                     ...claimLine(r.parts, 3)] :
                                    []),
          ...(name === 'floor' ? floorTable(part) : []));
    }
    out.push(...timeToAccuracy(
        r.parts, /fit-cnn-([a-z]+)\.json$/.exec(file)?.[1] ?? ''));
  }
  return out;
}
