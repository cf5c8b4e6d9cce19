import {describe, NotImplementedError, ValueError} from '../errors';

/** The files the monitor writes into its `outDir`. */
export const OUTPUT_FILES = Object.freeze({
  json: 'time-scales.json',
  html: 'time-scales.html',
});

/**
 * Writes the JSON and the HTML page into `dir`, creating it if needed.
 * Node's `fs` is loaded only here, so the monitor itself runs in a
 * browser, where this throws.
 *
 * @throws NotImplementedError outside Node.
 * @throws ValueError when the folder cannot be created or written.
 */
export async function writeMonitorFiles(
    dir: string, json: unknown, html: string): Promise<void> {
  const g = globalThis as {process?: {versions?: {node?: string}}};
  if (g.process?.versions?.node === undefined) {
    throw new NotImplementedError(
        'TimeScaleMonitor: `outDir` needs Node.js; in a browser use ' +
        'monitor.toJSON() and monitor.chartsHtml() instead.');
  }
  const fs = await import('fs');
  const path = await import('path');
  try {
    await fs.promises.mkdir(dir, {recursive: true});
    await fs.promises.writeFile(
        path.join(dir, OUTPUT_FILES.json),
        `${JSON.stringify(json, null, 1)}\n`);
    await fs.promises.writeFile(path.join(dir, OUTPUT_FILES.html), html);
  } catch (e) {
    throw new ValueError(
        `TimeScaleMonitor: cannot write to \`outDir\` ${describe(dir)}: ` +
        `${(e as Error).message}`);
  }
}
