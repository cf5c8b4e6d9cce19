/**
 * Offline loader for the Fashion-MNIST data set (Zalando Research, MIT
 * license) in its original IDX format.
 *
 * The repository ships only the 10,000-image `t10k` split, in
 * `data/fashion-mnist/`; see that folder's README.md. This module has no
 * TensorFlow.js dependency: it returns plain typed arrays that the caller
 * turns into tensors.
 *
 * @packageDocumentation
 */

import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

/** Width and height of one Fashion-MNIST image, in pixels. */
export const IMAGE_SIZE = 28;

/** Number of pixels in one image (28 * 28 = 784). */
export const NUM_PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** Number of classes in Fashion-MNIST. */
export const NUM_CLASSES = 10;

/**
 * Human-readable names of the 10 Fashion-MNIST classes; index `i` is the
 * name of label `i`.
 */
export const CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/**
 * Number of images of the committed `t10k` file that
 * {@link loadCommittedSplit} puts in its training part (the first 8,000);
 * the remaining 2,000 form its test part.
 */
export const COMMITTED_TRAIN_COUNT = 8000;

/** Magic number of an IDX file holding unsigned bytes in 1 dimension. */
const MAGIC_UBYTE_1D = 0x00000801;
/** Magic number of an IDX file holding unsigned bytes in 3 dimensions. */
const MAGIC_UBYTE_3D = 0x00000803;

/** The content of an IDX file of unsigned bytes. */
export interface IdxData {
  /** The dimensions read from the header, outermost first. */
  shape: number[];
  /** The values, row-major; its length is the product of `shape`. */
  data: Uint8Array;
}

/** Images and labels of one Fashion-MNIST split (or part of one). */
export interface FashionMnistData {
  /**
   * Pixels of all images, row-major with shape `[count, 784]`, scaled from
   * bytes 0..255 to floats in [0, 1].
   */
  images: Float32Array;
  /** The class of each image, in 0..9 (see {@link CLASS_NAMES}). */
  labels: Int32Array;
  /** Number of images. */
  count: number;
}

/** A deterministic train/test split of the committed `t10k` data. */
export interface CommittedSplit {
  /** The first 8,000 images of `t10k`. */
  train: FashionMnistData;
  /** The last 2,000 images of `t10k`. */
  test: FashionMnistData;
}

function fail(file: string, problem: string): never {
  throw new Error(`Invalid IDX file ${file}: ${problem}`);
}

/**
 * Reads an IDX file of unsigned bytes, as used by MNIST and Fashion-MNIST.
 *
 * The file is gunzipped first when its name ends in `.gz`. Its header is a
 * big-endian 32-bit magic number, `0x00000803` for 3-dimensional data
 * (images) or `0x00000801` for 1-dimensional data (labels), followed by one
 * big-endian 32-bit size per dimension, followed by the bytes themselves.
 *
 * @param file - Path of the `.idx*-ubyte` or `.idx*-ubyte.gz` file.
 * @returns The dimensions and the values. `data` is a fresh array that does
 *   not share memory with anything else.
 * @throws Error naming `file` when it cannot be read or decompressed, when
 *   the magic number is not one of the two above, or when the number of
 *   value bytes differs from the product of the dimensions (a truncated or
 *   padded file).
 */
export function readIdx(file: string): IdxData {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`Cannot read IDX file ${file}: ${(e as Error).message}`);
  }
  if (file.endsWith('.gz')) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      fail(file, `gunzip failed (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4) {
    fail(file, `${bytes.length} bytes is too short for the magic number`);
  }
  const magic = bytes.readUInt32BE(0);
  if (magic !== MAGIC_UBYTE_3D && magic !== MAGIC_UBYTE_1D) {
    const hex = magic.toString(16).padStart(8, '0');
    fail(
      file,
      `magic number 0x${hex} is neither 0x00000803 (images) nor ` +
        '0x00000801 (labels)',
    );
  }
  const rank = magic & 0xff;
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    fail(
      file,
      `${bytes.length} bytes is too short for a header of ${rank} ` +
        'dimension(s)',
    );
  }
  const shape: number[] = [];
  let size = 1;
  for (let i = 0; i < rank; i++) {
    const dim = bytes.readUInt32BE(4 + 4 * i);
    shape.push(dim);
    size *= dim;
  }
  const found = bytes.length - headerLength;
  if (found !== size) {
    fail(
      file,
      `header gives shape [${shape.join(', ')}] (${size} bytes of data) ` +
        `but the file has ${found} bytes of data` +
        (found < size ? ' (truncated?)' : ''),
    );
  }
  // Copy into a plain Uint8Array that owns its memory.
  const data = new Uint8Array(bytes.subarray(headerLength));
  return { shape, data };
}

function idxPath(dir: string, base: string): string {
  const gz = path.join(dir, `${base}.gz`);
  if (fs.existsSync(gz)) {
    return gz;
  }
  const raw = path.join(dir, base);
  return fs.existsSync(raw) ? raw : gz;
}

/**
 * Loads one Fashion-MNIST split from the four standard file names.
 *
 * Reads `<split>-images-idx3-ubyte.gz` and `<split>-labels-idx1-ubyte.gz`
 * from `dir` (or the same names without `.gz` when only those exist).
 *
 * @param dir - Folder holding the IDX files.
 * @param split - `'train'` (60,000 images) or `'t10k'` (10,000 images).
 * @returns The images scaled to [0, 1], the labels and the image count.
 * @throws Error when a file is missing or invalid (see {@link readIdx}),
 *   when the images are not 28x28, when the image and label counts differ,
 *   or when a label is outside 0..9.
 */
export function loadFashionMnist(
  dir: string,
  split: 'train' | 't10k',
): FashionMnistData {
  const imageFile = idxPath(dir, `${split}-images-idx3-ubyte`);
  const labelFile = idxPath(dir, `${split}-labels-idx1-ubyte`);
  const images = readIdx(imageFile);
  const labels = readIdx(labelFile);
  if (
    images.shape.length !== 3 ||
    images.shape[1] !== IMAGE_SIZE ||
    images.shape[2] !== IMAGE_SIZE
  ) {
    fail(
      imageFile,
      `expected images of shape [N, 28, 28], got ` +
        `[${images.shape.join(', ')}]`,
    );
  }
  if (labels.shape.length !== 1) {
    fail(
      labelFile,
      `expected labels of shape [N], got [${labels.shape.join(', ')}]`,
    );
  }
  const count = images.shape[0];
  if (labels.shape[0] !== count) {
    fail(
      labelFile,
      `has ${labels.shape[0]} labels but ${imageFile} has ${count} images`,
    );
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) {
    pixels[i] = images.data[i] / 255;
  }
  const classes = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels.data[i];
    if (label >= NUM_CLASSES) {
      fail(labelFile, `label ${label} at index ${i} is not in 0..9`);
    }
    classes[i] = label;
  }
  return { images: pixels, labels: classes, count };
}

/** Folder of the committed data: `data/fashion-mnist` in the repo root. */
export const COMMITTED_DATA_DIR = path.resolve(
  __dirname,
  '..',
  'data',
  'fashion-mnist',
);

function slicePart(
  all: FashionMnistData,
  start: number,
  end: number,
): FashionMnistData {
  return {
    images: all.images.slice(start * NUM_PIXELS, end * NUM_PIXELS),
    labels: all.labels.slice(start, end),
    count: end - start,
  };
}

/**
 * Loads the committed Fashion-MNIST data and splits it deterministically.
 *
 * Only the official 10,000-image test set (`t10k`) is committed, in
 * `data/fashion-mnist/` at the repository root (found relative to this
 * file). No shuffling is done: `train` is its first 8,000 images (indices
 * 0..7999) and `test` its last 2,000 (indices 8000..9999). Both parts
 * contain all 10 classes, roughly balanced.
 *
 * @returns The two parts; their arrays are independent copies.
 */
export function loadCommittedSplit(): CommittedSplit {
  const all = loadFashionMnist(COMMITTED_DATA_DIR, 't10k');
  return {
    train: slicePart(all, 0, COMMITTED_TRAIN_COUNT),
    test: slicePart(all, COMMITTED_TRAIN_COUNT, all.count),
  };
}
