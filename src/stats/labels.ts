import * as tf from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors';

/**
 * The most classes tfjs-pca accepts. Each class holds a d×d matrix on the
 * backend, so far fewer fit in memory; the bound only keeps a stray huge
 * label from sizing arrays by it.
 */
export const MAX_CLASSES = 65536;

/** Class labels as accepted everywhere in tfjs-pca. */
export type LabelsInput = tf.Tensor1D|tf.Tensor2D|ArrayLike<number>;

/**
 * Reads labels to the host as class indices, checking them.
 *
 * Accepts integer class indices (a Tensor1D of any dtype, an array or a typed
 * array) or one-hot rows (a Tensor2D N×C whose rows each hold a single 1).
 *
 * @param labels - The labels.
 * @param rows - The number of rows of the matching input, or -1 to skip.
 * @param numClasses - The number of classes, or undefined when not fixed.
 * @param argName - The argument's name, for error messages.
 * @throws ValueError for a length mismatch, a label that is negative,
 *   non-integer, non-finite or not below `numClasses`, or a malformed one-hot.
 */
export function readLabels(
    labels: LabelsInput, rows: number, numClasses: number|undefined,
    argName = 'labels'): Int32Array {
  const indices = toIndices(labels, numClasses, argName);
  if (rows >= 0 && indices.length !== rows) {
    throw new ValueError(
        `\`${argName}\` has ${indices.length} entries but \`x\` has ${rows} ` +
        `rows; they must have the same length.`);
  }
  return indices;
}

function toIndices(
    labels: LabelsInput, numClasses: number|undefined,
    argName: string): Int32Array {
  if (labels instanceof tf.Tensor) {
    if (labels.rank === 2) {
      return oneHotToIndices(labels as tf.Tensor2D, numClasses, argName);
    }
    if (labels.isDisposed) {
      throw new ValueError(`\`${argName}\` was disposed.`);
    }
    if (labels.rank !== 1) {
      throw new ValueError(
          `\`${argName}\` must be class indices (Tensor1D) or one-hot rows ` +
          `(Tensor2D), received ${describe(labels)}.`);
    }
    return checkedIndices(labels.dataSync(), numClasses, argName);
  }
  if (labels == null || typeof (labels as ArrayLike<number>).length !==
      'number') {
    throw new ValueError(
        `\`${argName}\` must be a tensor, an array or a typed array of ` +
        `class indices, received ${describe(labels)}.`);
  }
  return checkedIndices(labels, numClasses, argName);
}

function checkedIndices(
    values: ArrayLike<number>, numClasses: number|undefined,
    argName: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const limit = numClasses ?? MAX_CLASSES;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 ||
        v >= limit) {
      const range = `an integer in [0, ${limit - 1}]`;
      throw new ValueError(
          `\`${argName}\`[${i}] is ${describe(v)}; each label must be ` +
          `${range}.`);
    }
    out[i] = v;
  }
  return out;
}

function oneHotToIndices(
    labels: tf.Tensor2D, numClasses: number|undefined,
    argName: string): Int32Array {
  const [rows, width] = labels.shape;
  if (labels.isDisposed) {
    throw new ValueError(`\`${argName}\` was disposed.`);
  }
  if (width === 1) {
    throw new ValueError(
        `\`${argName}\` has shape [${rows}, 1]; pass class indices as a ` +
        `Tensor1D of shape [${rows}], or one-hot rows with one column per ` +
        `class.`);
  }
  if (width > MAX_CLASSES) {
    throw new ValueError(
        `\`${argName}\` is one-hot with ${width} columns; at most ` +
        `${MAX_CLASSES} classes are supported.`);
  }
  if (numClasses !== undefined && width !== numClasses) {
    throw new ValueError(
        `\`${argName}\` is one-hot with ${width} columns but there are ` +
        `${numClasses} classes.`);
  }
  const values = labels.dataSync();
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let hot = -1;
    for (let c = 0; c < width; c++) {
      const v = values[r * width + c];
      if (v === 1 && hot < 0) {
        hot = c;
      } else if (v !== 0) {
        hot = -2;
        break;
      }
    }
    if (hot < 0) {
      throw new ValueError(
          `\`${argName}\` row ${r} is not one-hot: each row must hold a ` +
          `single 1 and zeros elsewhere.`);
    }
    out[r] = hot;
  }
  return out;
}

/** The number of classes a set of labels implies: the largest index + 1. */
export function impliedClassCount(
    labels: LabelsInput, indices: Int32Array): number {
  if (labels instanceof tf.Tensor && labels.rank === 2) {
    return (labels as tf.Tensor2D).shape[1];
  }
  let largest = -1;
  for (let i = 0; i < indices.length; i++) {
    largest = Math.max(largest, indices[i]);
  }
  return largest + 1;
}
