import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as tf from '@tensorflow/tfjs-core';

import {
  CLASS_NAMES,
  COMMITTED_DATA_DIR,
  COMMITTED_TRAIN_COUNT,
  FashionMnistData,
  NUM_PIXELS,
  loadCommittedSplit,
  loadFashionMnist,
  readIdx,
} from '../examples/fashion-mnist';

/** Builds an IDX file of unsigned bytes in memory. */
function idxBytes(magic: number, shape: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header.writeUInt32BE(magic, 0);
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

function classCounts(labels: Int32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  labels.forEach((l) => counts[l]++);
  return counts;
}

function pixelRange(images: Float32Array): [number, number] {
  // Plain comparisons: Math.min/max in a hot loop is ~50x slower under
  // Jest's vm context than in plain Node.
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
  }
  return [min, max];
}

describe('committed Fashion-MNIST t10k data', () => {
  let t10k: FashionMnistData;

  beforeAll(() => {
    t10k = loadFashionMnist(COMMITTED_DATA_DIR, 't10k');
  });

  it('has 10,000 images of 784 pixels and 10,000 labels', () => {
    expect(t10k.count).toBe(10000);
    expect(t10k.images).toBeInstanceOf(Float32Array);
    expect(t10k.images.length).toBe(10000 * NUM_PIXELS);
    expect(t10k.labels).toBeInstanceOf(Int32Array);
    expect(t10k.labels.length).toBe(10000);
  });

  it('has 1,000 images of each class 0..9', () => {
    expect(classCounts(t10k.labels)).toEqual(new Array(10).fill(1000));
    expect(CLASS_NAMES).toHaveLength(10);
    expect(CLASS_NAMES[0]).toBe('T-shirt/top');
    expect(CLASS_NAMES[9]).toBe('Ankle boot');
  });

  it('scales pixels to [0, 1] using the full range', () => {
    expect(pixelRange(t10k.images)).toEqual([0, 1]);
  });

  it('reads the raw IDX headers', () => {
    const images = readIdx(
      path.join(COMMITTED_DATA_DIR, 't10k-images-idx3-ubyte.gz'),
    );
    expect(images.shape).toEqual([10000, 28, 28]);
    expect(images.data.length).toBe(10000 * 28 * 28);
    expect(images.data.byteOffset).toBe(0);
    expect(images.data.buffer.byteLength).toBe(images.data.length);
    const labels = readIdx(
      path.join(COMMITTED_DATA_DIR, 't10k-labels-idx1-ubyte.gz'),
    );
    expect(labels.shape).toEqual([10000]);
    // First labels of the official test set.
    expect(Array.from(labels.data.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
  });

  it('splits deterministically into the first 8,000 and last 2,000', () => {
    const { train, test } = loadCommittedSplit();
    expect(COMMITTED_TRAIN_COUNT).toBe(8000);
    expect(train.count).toBe(8000);
    expect(test.count).toBe(2000);
    expect(train.images.length).toBe(8000 * NUM_PIXELS);
    expect(test.images.length).toBe(2000 * NUM_PIXELS);
    expect(train.labels).toEqual(t10k.labels.subarray(0, 8000));
    expect(test.labels).toEqual(t10k.labels.subarray(8000));
    expect(train.images.subarray(0, NUM_PIXELS)).toEqual(
      t10k.images.subarray(0, NUM_PIXELS),
    );
    expect(test.images.subarray(0, NUM_PIXELS)).toEqual(
      t10k.images.subarray(8000 * NUM_PIXELS, 8001 * NUM_PIXELS),
    );
    classCounts(test.labels).forEach((c) => expect(c).toBeGreaterThan(100));
  });

  it('feeds tensors on the backend chosen by TFJS_PCA_BACKEND', () => {
    const expected = process.env.TFJS_PCA_BACKEND || 'cpu';
    expect(tf.getBackend()).toBe(expected);
    const { test } = loadCommittedSplit();
    const mean = tf.tidy(() =>
      tf.mean(tf.tensor2d(test.images, [test.count, NUM_PIXELS])),
    );
    const value = mean.dataSync()[0];
    mean.dispose();
    expect(value).toBeGreaterThan(0.1);
    expect(value).toBeLessThan(0.5);
  });
});

describe('readIdx on bad files', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-pca-idx-'));
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function write(name: string, content: Buffer): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  }

  it('reads a small valid uncompressed and gzipped file', () => {
    const raw = idxBytes(0x803, [2, 1, 3], [0, 1, 2, 3, 4, 255]);
    for (const file of [
      write('ok-idx3-ubyte', raw),
      write('ok-idx3-ubyte.gz', zlib.gzipSync(raw)),
    ]) {
      const idx = readIdx(file);
      expect(idx.shape).toEqual([2, 1, 3]);
      expect(Array.from(idx.data)).toEqual([0, 1, 2, 3, 4, 255]);
    }
  });

  it('rejects a wrong magic number, naming the file', () => {
    const file = write('magic-idx1-ubyte', idxBytes(0x802, [3], [1, 2, 3]));
    expect(() => readIdx(file)).toThrow(file);
    expect(() => readIdx(file)).toThrow(/magic number 0x00000802/);
  });

  it('rejects a truncated data section, naming the file', () => {
    const raw = idxBytes(0x803, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const file = write('short-idx3-ubyte', raw.subarray(0, raw.length - 3));
    expect(() => readIdx(file)).toThrow(file);
    expect(() => readIdx(file)).toThrow(/8 bytes of data.* 5 bytes/);
  });

  it('rejects trailing bytes, naming the file', () => {
    const raw = idxBytes(0x801, [2], [1, 2, 3]);
    const file = write('long-idx1-ubyte', raw);
    expect(() => readIdx(file)).toThrow(file);
  });

  it('rejects a truncated header, naming the file', () => {
    const raw = idxBytes(0x803, [2, 2, 2], []);
    const file = write('header-idx3-ubyte', raw.subarray(0, 10));
    expect(() => readIdx(file)).toThrow(file);
    expect(() => readIdx(file)).toThrow(/too short/);
  });

  it('rejects a truncated .gz file, naming the file', () => {
    const gz = fs.readFileSync(
      path.join(COMMITTED_DATA_DIR, 't10k-labels-idx1-ubyte.gz'),
    );
    const file = write('cut-labels-idx1-ubyte.gz', gz.subarray(0, 1000));
    expect(() => readIdx(file)).toThrow(file);
    expect(() => readIdx(file)).toThrow(/gunzip/);
  });

  it('rejects a corrupted .gz file, naming the file', () => {
    const gz = Buffer.from(
      fs.readFileSync(
        path.join(COMMITTED_DATA_DIR, 't10k-labels-idx1-ubyte.gz'),
      ),
    );
    for (let i = 100; i < 200; i++) {
      gz[i] ^= 0x5a;
    }
    const file = write('bad-labels-idx1-ubyte.gz', gz);
    expect(() => readIdx(file)).toThrow(file);
  });

  it('rejects a missing file, naming it', () => {
    const file = path.join(dir, 'missing-idx1-ubyte.gz');
    expect(() => readIdx(file)).toThrow(file);
  });

  it('rejects mismatched image and label counts', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'split-'));
    const pixels = new Array<number>(2 * 784).fill(7);
    fs.writeFileSync(
      path.join(sub, 't10k-images-idx3-ubyte.gz'),
      zlib.gzipSync(idxBytes(0x803, [2, 28, 28], pixels)),
    );
    fs.writeFileSync(
      path.join(sub, 't10k-labels-idx1-ubyte'),
      idxBytes(0x801, [3], [0, 1, 2]),
    );
    expect(() => loadFashionMnist(sub, 't10k')).toThrow(
      /t10k-labels-idx1-ubyte.*3 labels.*2 images/,
    );
  });

  it('rejects a label outside 0..9', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'label-'));
    fs.writeFileSync(
      path.join(sub, 'train-images-idx3-ubyte'),
      idxBytes(0x803, [1, 28, 28], new Array<number>(784).fill(0)),
    );
    fs.writeFileSync(
      path.join(sub, 'train-labels-idx1-ubyte'),
      idxBytes(0x801, [1], [10]),
    );
    expect(() => loadFashionMnist(sub, 'train')).toThrow(/label 10/);
  });
});
