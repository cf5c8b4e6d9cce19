import {describe, ValueError} from '../errors';
import {SeededRandom} from '../linalg/random';
import {PatchGrid} from './geometry';
import {drawPositions} from './patches';

/** How many patches of a convolution's input are sampled. */
export interface PatchSamplingArgs {
  /**
   * Patches drawn from each image, at distinct positions chosen at random
   * (all positions when an image has fewer). Few per image from many
   * images sample the data better than many from few: patches of one
   * image are alike. Defaults to {@link PATCHES_PER_IMAGE}.
   */
  patchesPerImage?: number;
  /**
   * The most patches taken from each class. It bounds the work of a
   * convolutional layer's statistics whatever the data size: with a
   * tensor input, ⌈patchesPerClass / patchesPerImage⌉ images of each class
   * are chosen at random and only they are read. Defaults to
   * {@link PATCHES_PER_CLASS}.
   */
  patchesPerClass?: number;
}

/**
 * Default patches per image. On Fashion-MNIST (the demo CNN, 2,000 images
 * per class, docs/CONV.md) 2, 8 and 32 per image gave 84.2%, 84.2% and
 * 83.8%: within the noise of one run, with fewer images read at 32.
 */
export const PATCHES_PER_IMAGE = 8;

/**
 * Default patch budget per class. On Fashion-MNIST (the demo CNN,
 * docs/CONV.md) 2,500, 10,000 and 16,000 patches per class gave 84.1%,
 * 84.2% and 84.2%, and the second convolution took 4, 22 and 23 s (a
 * loaded machine). 10,000 keeps about 12 patches per value of its
 * 800-value patches, a margin for wider layers.
 */
export const PATCHES_PER_CLASS = 10000;

/** {@link PatchSamplingArgs} with the defaults filled in. */
export type PatchSampling = Required<PatchSamplingArgs>;

/**
 * Checks the sampling options and fills in the defaults.
 * @throws ValueError naming the option, the value and what is expected.
 */
export function resolveSampling(
    args: PatchSamplingArgs, who: string): PatchSampling {
  for (const key of ['patchesPerImage', 'patchesPerClass'] as const) {
    const v = args[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw new ValueError(
          `${who}: \`${key}\` must be a positive integer, received ` +
          `${describe(v)}.`);
    }
  }
  return {
    patchesPerImage: args.patchesPerImage ?? PATCHES_PER_IMAGE,
    patchesPerClass: args.patchesPerClass ?? PATCHES_PER_CLASS,
  };
}

/**
 * The images of each class to read so that each class can fill its patch
 * budget: ⌈budget / patches per image⌉ of them, chosen at random, in
 * increasing order (all of them when the class has no more).
 */
export function imagesForBudget(
    rows: Int32Array[], grid: PatchGrid, sampling: PatchSampling,
    seed: number): Int32Array[] {
  const perImage = Math.min(sampling.patchesPerImage, grid.positions);
  const wanted = Math.ceil(sampling.patchesPerClass / perImage);
  const rng = new SeededRandom(seed);
  return rows.map(r => r.length <= wanted ?
                      r :
                      rng.shuffle(r.slice()).slice(0, wanted).sort());
}

/** Added to the seed of position draws. */
const POSITION_SEED_OFFSET = 0x2545f491;

/**
 * Draws patch positions image by image, each class within its budget: an
 * image gets `patchesPerImage` positions, or what is left of its class's
 * budget.
 */
export class PatchSampler {
  private readonly left: number[];
  private readonly rng: SeededRandom;
  private readonly perImage: number;

  constructor(
      private readonly grid: PatchGrid, sampling: PatchSampling,
      numClasses: number, seed: number) {
    this.left = new Array<number>(numClasses).fill(sampling.patchesPerClass);
    // Apart from the stream imagesForBudget draws with the same seed.
    this.rng = new SeededRandom(seed + POSITION_SEED_OFFSET);
    this.perImage = Math.min(sampling.patchesPerImage, grid.positions);
  }

  /** Whether every class has used its budget. */
  get full(): boolean {
    return this.left.every(n => n === 0);
  }

  /**
   * Positions for a batch of images whose classes are `classOf`.
   * @returns The picks (image in the batch · positions + position, as
   *   {@link copyPatches} takes them) and the class of each.
   */
  draw(classOf: Int32Array): {picks: Int32Array, classOf: Int32Array} {
    const picks: number[] = [];
    const classes: number[] = [];
    classOf.forEach((c, image) => {
      const count = Math.min(this.perImage, this.left[c]);
      if (count === 0) {
        return;
      }
      this.left[c] -= count;
      for (const p of drawPositions(this.rng, this.grid.positions, count)) {
        picks.push(image * this.grid.positions + p);
        classes.push(c);
      }
    });
    return {picks: Int32Array.from(picks), classOf: Int32Array.from(classes)};
  }
}
