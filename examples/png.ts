/**
 * A minimal PNG encoder for 8-bit grayscale images, with no dependency
 * beyond Node's `zlib` (for the deflate stream). Used by the demo to save
 * pictures of layer weights.
 *
 * A PNG file is an 8-byte signature followed by chunks; each chunk is its
 * data length (4 bytes, big-endian), a 4-letter type, the data, and the
 * CRC-32 of type and data. This encoder writes three chunks:
 *
 * - `IHDR`: width, height, bit depth 8, colour type 0 (grayscale),
 *   compression 0, filter method 0, no interlace;
 * - `IDAT`: the zlib stream of the scanlines, each preceded by its filter
 *   type byte (0, none);
 * - `IEND`: empty.
 *
 * @packageDocumentation
 */

import * as zlib from 'zlib';

/** The 8 bytes every PNG file starts with. */
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * CRC-32 lookup table (ISO 3309 / ITU-T V.42, reflected polynomial
 * 0xEDB88320), as given in the PNG specification's annex.
 */
const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32 of `bytes`, continuing from `crc` (the CRC of the bytes
 * before, 0 to start).
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** One chunk: length, type, data and the CRC of type and data. */
function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  const crc = crc32(out.subarray(4, 8 + data.length));
  out.writeUInt32BE(crc, 8 + data.length);
  return out;
}

/**
 * Encodes an 8-bit grayscale image as a PNG file.
 *
 * @param pixels - `width * height` values, row-major from the top left;
 *   0 is black and 255 white.
 * @param width - Image width in pixels (at least 1).
 * @param height - Image height in pixels (at least 1).
 * @returns The bytes of the PNG file.
 * @throws Error when the size is not positive or does not match `pixels`.
 */
export function encodeGrayscalePng(
    pixels: Uint8Array, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 ||
      height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new Error(
        `encodeGrayscalePng: bad image size ${width} x ${height}.`);
  }
  if (pixels.length !== width * height) {
    throw new Error(
        `encodeGrayscalePng: ${pixels.length} pixels for an image of ` +
        `${width} x ${height}.`);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;   // bit depth
  header[9] = 0;   // colour type: grayscale
  header[10] = 0;  // compression method: deflate
  header[11] = 0;  // filter method: adaptive (per-row filter byte)
  header[12] = 0;  // interlace: none

  // Each scanline is its filter type (0: none) followed by its pixels.
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const compressed = zlib.deflateSync(raw, {level: 9});

  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', compressed),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
