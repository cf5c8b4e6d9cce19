/**
 * Ways to extract sampled convolution patches, timed against each other.
 *
 *   npx ts-node --transpile-only bench/patch-extraction.ts
 *       [--backend wasm|cpu] [--reps 3]
 *
 * For the inputs of the demo CNN's two convolutions (a batch of 2,048
 * images 28×28×1, kernel 5×5: 25 values a patch; and 2,048 feature maps
 * 12×12×32, kernel 5×5: 800 values a patch), 8 positions drawn per image,
 * it times:
 *  - host copy: the batch read once, the patches copied in JS
 *    (`extractPatches`' and fitByPCA's way, src/conv/patches.ts);
 *  - tf.gather of single values, the indices built in JS;
 *  - tf.gather of rows of `channels` values, the indices built in JS;
 *  - slices and concat: kh·kw shifted slices concatenated on the channel
 *    axis (every patch), then the drawn rows gathered;
 *  - identity conv2d: a convolution with the identity kernel
 *    [kh, kw, c, kh·kw·c] (every patch, respecting strides, padding and
 *    dilation), then the drawn rows gathered.
 * Each result is checked equal to the host copy's. Writes
 * bench/results/patch-extraction-<backend>.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {ConvGeometry, patchGrid} from '../src/conv/geometry';
import {copyPatches, hostValues} from '../src/conv/patches';
import {SeededRandom} from '../src/linalg/random';

const BATCH = 2048;
const PER_IMAGE = 8;
const KERNEL = 5;

type Way = (x: tf.Tensor4D, picks: Int32Array) => tf.Tensor2D;

const geometry: ConvGeometry = {
  spatialRank: 2, kernel: [KERNEL, KERNEL], strides: [1, 1],
  dilation: [1, 1], padding: 'valid', dataFormat: 'channelsLast',
};

/** Image and position of each pick (valid padding, stride 1). */
function decode(x: tf.Tensor4D, pick: number) {
  const [, h, w] = x.shape;
  const ow = w - KERNEL + 1;
  const positions = (h - KERNEL + 1) * ow;
  const image = Math.floor(pick / positions);
  const r = pick % positions;
  return {image, oy: Math.floor(r / ow), ox: r % ow};
}

const hostCopy: Way = (x, picks) => {
  const grid = patchGrid(x.shape.slice(1), geometry, 'bench');
  return tf.tensor2d(copyPatches(hostValues(x), grid, geometry, picks),
                     [picks.length, grid.patchSize]);
};

const gatherValues: Way = (x, picks) => {
  const [, h, w, c] = x.shape;
  const d = KERNEL * KERNEL * c;
  const idx = new Int32Array(picks.length * d);
  let t = 0;
  picks.forEach(pick => {
    const {image, oy, ox} = decode(x, pick);
    for (let i = 0; i < KERNEL; i++) {
      for (let j = 0; j < KERNEL; j++) {
        const base = ((image * h + oy + i) * w + ox + j) * c;
        for (let q = 0; q < c; q++) {
          idx[t++] = base + q;
        }
      }
    }
  });
  return tf.tidy(() => tf.reshape(
      tf.gather(tf.reshape(x, [-1]), tf.tensor1d(idx, 'int32')),
      [picks.length, d]));
};

const gatherRows: Way = (x, picks) => {
  const [, h, w, c] = x.shape;
  const idx = new Int32Array(picks.length * KERNEL * KERNEL);
  let t = 0;
  picks.forEach(pick => {
    const {image, oy, ox} = decode(x, pick);
    for (let i = 0; i < KERNEL; i++) {
      for (let j = 0; j < KERNEL; j++) {
        idx[t++] = (image * h + oy + i) * w + ox + j;
      }
    }
  });
  return tf.tidy(() => tf.reshape(
      tf.gather(tf.reshape(x, [-1, c]), tf.tensor1d(idx, 'int32')),
      [picks.length, KERNEL * KERNEL * c]));
};

const slicesConcat: Way = (x, picks) => tf.tidy(() => {
  const [b, h, w, c] = x.shape;
  const oh = h - KERNEL + 1;
  const ow = w - KERNEL + 1;
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < KERNEL; i++) {
    for (let j = 0; j < KERNEL; j++) {
      parts.push(tf.slice(x, [0, i, j, 0], [b, oh, ow, c]));
    }
  }
  const all = tf.reshape(tf.concat(parts, 3), [-1, KERNEL * KERNEL * c]);
  return tf.gather(all, tf.tensor1d(picks, 'int32')) as tf.Tensor2D;
});

function identityConv(c: number): Way {
  const d = KERNEL * KERNEL * c;
  const eye = new Float32Array(d * d);
  for (let i = 0; i < d; i++) {
    eye[i * d + i] = 1;
  }
  const kernel = tf.tensor4d(eye, [KERNEL, KERNEL, c, d]);
  return (x, picks) => tf.tidy(() => {
    const all = tf.reshape(tf.conv2d(x, kernel, 1, 'valid'), [-1, d]);
    return tf.gather(all, tf.tensor1d(picks, 'int32')) as tf.Tensor2D;
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const backend = argv[argv.indexOf('--backend') + 1] ?? 'wasm';
  const reps = argv.includes('--reps') ?
      Number(argv[argv.indexOf('--reps') + 1]) : 3;
  if (backend === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
  }
  await tf.setBackend(backend === '--backend' ? 'wasm' : backend);
  await tf.ready();
  const results: Array<Record<string, unknown>> = [];
  for (const [h, c] of [[28, 1], [12, 32]]) {
    const x = tf.randomUniform([BATCH, h, h, c]) as tf.Tensor4D;
    const positions = (h - KERNEL + 1) ** 2;
    const rng = new SeededRandom(0);
    const picks = Int32Array.from(
        {length: BATCH * PER_IMAGE},
        (_, i) => Math.floor(i / PER_IMAGE) * positions +
            Math.floor(rng.uniform() * positions));
    const reference = hostCopy(x, picks);
    const ways: Array<[string, Way]> = [
      ['host copy', hostCopy], ['tf.gather of values', gatherValues],
      ['tf.gather of rows', gatherRows], ['slices and concat', slicesConcat],
      ['identity conv2d', identityConv(c)],
    ];
    for (const [name, way] of ways) {
      let out = way(x, picks);
      const diff = tf.tidy(
          () => tf.max(tf.abs(tf.sub(out, reference))).dataSync()[0]);
      out.dispose();
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const start = Date.now();
        out = way(x, picks);
        out.dataSync();
        times.push((Date.now() - start) / 1000);
        out.dispose();
      }
      times.sort((a, b) => a - b);
      const row = {
        input: [BATCH, h, h, c], patchSize: KERNEL * KERNEL * c,
        patches: picks.length, way: name, secondsMedian: times[reps >> 1],
        seconds: times, maxDifference: diff,
      };
      results.push(row);
      process.stdout.write(
          `[${row.input.join(', ')}], ${row.patchSize} values a patch: ` +
          `${name}: ${(1000 * row.secondsMedian).toFixed(0)} ms ` +
          `(max difference ${diff})\n`);
    }
    tf.dispose([x, reference]);
  }
  const file = path.join(__dirname, 'results',
                         `patch-extraction-${tf.getBackend()}.json`);
  fs.writeFileSync(file, `${JSON.stringify({
    date: new Date().toISOString(), backend: tf.getBackend(),
    perImage: PER_IMAGE, reps, load1m: os.loadavg()[0], results,
  }, null, 2)}\n`);
  process.stdout.write(`Wrote ${file}\n`);
}

main();
