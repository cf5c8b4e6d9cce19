/**
 * Typed errors thrown by tfjs-pca. They mirror the error classes of
 * tfjs-layers so that callers can catch them the same way.
 */

/** An argument has the wrong type, shape, range or content. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
    Object.setPrototypeOf(this, ValueError.prototype);
  }
}

/** The request is valid but this version of tfjs-pca does not support it. */
export class NotImplementedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotImplementedError';
    Object.setPrototypeOf(this, NotImplementedError.prototype);
  }
}

/** Formats a value for an error message, keeping it short. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) {
    return String(value);
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.slice(0, 6).map(describe).join(', ')}` +
        `${value.length > 6 ? ', …' : ''}]`;
  }
  if (typeof value === 'object') {
    const shape = (value as {shape?: unknown}).shape;
    if (Array.isArray(shape)) {
      return `a tensor of shape [${shape.join(', ')}]`;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      const keys = Object.keys(value as object);
      return `an object with keys {${keys.slice(0, 6).join(', ')}` +
          `${keys.length > 6 ? ', …' : ''}}`;
    }
    return Object.prototype.toString.call(value);
  }
  return String(value);
}
