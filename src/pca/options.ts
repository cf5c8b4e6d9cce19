import {describe, ValueError} from '../errors';
import {TopEigenOptions} from '../linalg/top-eigen';
import {MAX_CLASSES} from '../stats/labels';

/** How a budget of components is shared among the classes. */
export type Allocation = 'equal'|'eigenvalue';

/** Progress of a long computation, reported through `onProgress`. */
export interface PcaProgress {
  /** `'statistics'` while reading rows, `'components'` while solving. */
  stage: 'statistics'|'components';
  /**
   * Units of work done: rows read, or classes solved (with `distinct`,
   * components placed).
   */
  done: number;
  /** Units of work in all, when known (-1 for a Dataset of unknown size). */
  total: number;
}

/** Options of {@link classPca}. */
export interface ClassPcaOptions {
  /**
   * Components to compute for each class. Ignored when `totalComponents` is
   * set. Defaults to 25 (250 units for 10 classes, the width at which
   * class-based PCA was first measured on Fashion-MNIST).
   */
  components?: number;
  /**
   * A budget of components for all classes together, shared according to
   * `allocation`. Defaults to undefined (use `components` per class).
   */
  totalComponents?: number;
  /**
   * How `totalComponents` is shared: `'equal'` gives each class the same
   * number (the first classes get one more when it does not divide);
   * `'eigenvalue'` ranks the eigenvalues of all classes together and takes
   * the largest, at least one and at most twice the (rounded up) equal
   * share per class.
   * Defaults to 'equal'.
   */
  allocation?: Allocation;
  /**
   * Decompose the class covariance Σ_c (true) or the uncentered second
   * moment M_c = E[xxᵀ | c] (false). Uncentered components include the
   * class mean direction, which is what separates classes; on
   * Fashion-MNIST they measured better. Defaults to false.
   */
  centered?: boolean;
  /**
   * Keep components of different classes apart: the classes take their
   * components in turns (class 0's first, class 1's first, …, then each
   * class's second), and each is the top eigenvector of its class matrix
   * with every component taken before projected out, S' = P·S·P with
   * P = I − QᵀQ. Without it the classes' top components can be nearly the
   * same direction (on small image patches every class's first component
   * is the same blob), so units repeat. A class whose projected matrix
   * holds nothing more (top eigenvalue below 1e-6 of its trace) fills its
   * remaining places from the pooled matrix of all classes with the
   * components taken projected out (directions other classes' rows have),
   * and once that is empty too, repeats its own components: a direction
   * without variance in the data would get an unbounded scale in a
   * layer. Those places have eigenvalue 0 and are listed in `shortfalls`.
   * Not available with `allocation: 'eigenvalue'`. Defaults to false.
   */
  distinct?: boolean;
  /**
   * Use at most this many rows of each class, chosen at random with `seed`
   * (for a Dataset: the first rows of each class in stream order). Defaults
   * to undefined (all rows).
   */
  samplesPerClass?: number;
  /**
   * Shrink each class matrix toward the pooled matrix of all classes:
   * (1 − α)·S_c + α·T. A number is α itself, in [0, 1]; `'auto'` picks α
   * per class with a Ledoit–Wolf-type rule under a Gaussian approximation,
   * α_c = min(1, (‖S_c‖²_F + tr(S_c)²) / (n_c·‖S_c − T‖²_F)), which is large
   * for classes with few rows and near 0 for well-sampled ones. Helps
   * classes with fewer rows than features. Defaults to 0 (no shrinkage).
   */
  shrinkage?: number|'auto';
  /** Rows per backend batch while accumulating statistics. Defaults to 2048. */
  batchSize?: number;
  /** Seed of every random choice (subsets, solver start). Defaults to 0. */
  seed?: number;
  /**
   * The number of classes. Defaults to the one-hot width, or the largest
   * label + 1. Every class below it must have rows.
   */
  numClasses?: number;
  /** Options of the eigensolver. Defaults as in {@link TopEigenOptions}. */
  solver?: Omit<TopEigenOptions, 'seed'>;
  /** Called as rows are read and classes are solved. Defaults to none. */
  onProgress?: (progress: PcaProgress) => void;
}

/** {@link ClassPcaOptions} with every default filled in. */
export interface ResolvedPcaOptions {
  components: number;
  totalComponents: number|undefined;
  allocation: Allocation;
  centered: boolean;
  distinct: boolean;
  samplesPerClass: number|undefined;
  shrinkage: number|'auto';
  batchSize: number;
  seed: number;
  numClasses: number|undefined;
  solver: Omit<TopEigenOptions, 'seed'>;
  onProgress: ((progress: PcaProgress) => void)|undefined;
}

const KNOWN_OPTIONS = new Set([
  'components', 'totalComponents', 'allocation', 'centered', 'distinct',
  'samplesPerClass', 'shrinkage', 'batchSize', 'seed', 'numClasses',
  'solver', 'onProgress',
]);

/**
 * Checks the options and fills in defaults.
 * @throws ValueError naming the option, the value and what is expected.
 */
export function resolvePcaOptions(options: ClassPcaOptions = {}):
    ResolvedPcaOptions {
  if (options === null || typeof options !== 'object') {
    throw new ValueError(
        `classPca: \`options\` must be an object, received ` +
        `${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new ValueError(
          `classPca: unknown option ${describe(key)}; known options are ` +
          `${[...KNOWN_OPTIONS].join(', ')}.`);
    }
  }
  const o = options;
  positiveInteger(o.components, 'components');
  positiveInteger(o.totalComponents, 'totalComponents');
  positiveInteger(o.samplesPerClass, 'samplesPerClass');
  positiveInteger(o.batchSize, 'batchSize');
  positiveInteger(o.numClasses, 'numClasses');
  if (o.numClasses !== undefined && o.numClasses > MAX_CLASSES) {
    throw new ValueError(
        `classPca: \`numClasses\` must be at most ${MAX_CLASSES}, ` +
        `received ${describe(o.numClasses)}.`);
  }
  if (o.allocation !== undefined && o.allocation !== 'equal' &&
      o.allocation !== 'eigenvalue') {
    throw new ValueError(
        `classPca: \`allocation\` must be 'equal' or 'eigenvalue', ` +
        `received ${describe(o.allocation)}.`);
  }
  if (o.centered !== undefined && typeof o.centered !== 'boolean') {
    throw new ValueError(
        `classPca: \`centered\` must be a boolean, received ` +
        `${describe(o.centered)}.`);
  }
  if (o.distinct !== undefined && typeof o.distinct !== 'boolean') {
    throw new ValueError(
        `classPca: \`distinct\` must be a boolean, received ` +
        `${describe(o.distinct)}.`);
  }
  if (o.distinct === true && o.allocation === 'eigenvalue') {
    throw new ValueError(
        `classPca: \`distinct\` takes the classes' components in turns ` +
        `and cannot be combined with \`allocation: 'eigenvalue'\`; use ` +
        `'equal'.`);
  }
  if (o.shrinkage !== undefined && o.shrinkage !== 'auto' &&
      !(typeof o.shrinkage === 'number' && o.shrinkage >= 0 &&
        o.shrinkage <= 1)) {
    throw new ValueError(
        `classPca: \`shrinkage\` must be a number in [0, 1] or 'auto', ` +
        `received ${describe(o.shrinkage)}.`);
  }
  if (o.seed !== undefined && !Number.isFinite(o.seed)) {
    throw new ValueError(
        `classPca: \`seed\` must be a finite number, received ` +
        `${describe(o.seed)}.`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new ValueError(
        `classPca: \`onProgress\` must be a function, received ` +
        `${describe(o.onProgress)}.`);
  }
  return {
    components: o.components ?? 25,
    totalComponents: o.totalComponents,
    allocation: o.allocation ?? 'equal',
    centered: o.centered ?? false,
    distinct: o.distinct ?? false,
    samplesPerClass: o.samplesPerClass,
    shrinkage: o.shrinkage ?? 0,
    batchSize: o.batchSize ?? 2048,
    seed: o.seed ?? 0,
    numClasses: o.numClasses,
    solver: o.solver ?? {},
    onProgress: o.onProgress,
  };
}

function positiveInteger(value: unknown, name: string) {
  if (value !== undefined &&
      !(typeof value === 'number' && Number.isInteger(value) && value > 0)) {
    throw new ValueError(
        `classPca: \`${name}\` must be a positive integer, received ` +
        `${describe(value)}.`);
  }
}

/**
 * Components per class for an equal split of `total` over `numClasses`:
 * the first `total mod C` classes get one more.
 */
export function equalSplit(total: number, numClasses: number): number[] {
  const base = Math.floor(total / numClasses);
  const extra = total % numClasses;
  return Array.from(
      {length: numClasses}, (_, c) => base + (c < extra ? 1 : 0));
}
