/**
 * Progress output for long computations: a bar redrawn in place on a
 * terminal, plain lines elsewhere. Silent unless asked for.
 */
export class ProgressLine {
  private lastDraw = 0;
  private readonly stream: {write(s: string): unknown, isTTY?: boolean}|null;

  /** @param enabled - Whether to print at all. */
  constructor(private readonly enabled: boolean) {
    const g = globalThis as {process?: {stderr?: ProgressLine['stream']}};
    this.stream = g.process?.stderr ?? null;
  }

  /** Shows `label` with `done` of `total` (total < 0: unknown). */
  update(label: string, done: number, total: number): void {
    if (!this.enabled || this.stream?.isTTY !== true) {
      return;
    }
    const now = Date.now();
    if (now - this.lastDraw < 100 && done !== total) {
      return;
    }
    this.lastDraw = now;
    const width = 24;
    const bar = total > 0 ?
        '='.repeat(Math.round(width * Math.min(1, done / total)))
            .padEnd(width, ' ') :
        ' '.repeat(width);
    const count = total > 0 ? `${done}/${total}` : `${done}`;
    this.stream.write(`\r${label} [${bar}] ${count}\u001b[K`);
  }

  /** Ends the current line with a final message. */
  done(message: string): void {
    if (!this.enabled) {
      return;
    }
    if (this.stream?.isTTY === true) {
      this.stream.write(`\r${message}\u001b[K\n`);
    } else if (this.stream !== null) {
      this.stream.write(`${message}\n`);
    } else {
      console.info(message);
    }
  }
}
