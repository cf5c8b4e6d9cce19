/** What fitByPCA did with one layer. */
export interface LayerReport {
  /** The layer's name. */
  name: string;
  /** Its class name, e.g. 'Dense'. */
  className: string;
  /** Its position in `model.layers`. */
  index: number;
  /**
   * 'pca' for a hidden Dense or convolutional layer, 'normalize' for a
   * BatchNormalization layer, 'output' for the output layer.
   */
  role: 'pca'|'normalize'|'output';
  /** Units of the layer (filters of a convolution, channels of a BN). */
  units: number;
  /**
   * Rows its statistics were taken over: images (or rows) for a Dense or
   * BatchNormalization layer, sampled patches for a convolution; 0 for a
   * BatchNormalization layer set to the identity.
   */
  samples: number;
  /** For a PCA layer: components taken from each class. */
  unitsPerClass: number[];
  /**
   * For a PCA layer: the mean over classes of the fraction of the class
   * matrix's trace that the class's components hold.
   */
  explainedVariance: number|null;
  /** For the output layer: the ridge regularization chosen (× mean diag). */
  lambda: number|null;
  /** For a softmax output layer: the fitted temperature. */
  temperature: number|null;
  /** Wall seconds spent on this layer. */
  seconds: number;
}

/** Loss and accuracy on a set of rows. */
export interface Evaluation {
  /** Mean cross-entropy of the output probabilities. */
  loss: number;
  /** Fraction of rows whose largest output is their class. */
  accuracy: number;
  /** Rows evaluated. */
  rows: number;
}

/** The result of {@link fitByPCA}. */
export class FitByPcaReport {
  constructor(
      /** One entry per computed layer, bottom-up. */
      readonly layers: LayerReport[],
      /** On (at most 10,000 of) the training rows used. */
      readonly train: Evaluation,
      /** On `validationData`, when given. */
      readonly validation: Evaluation|null,
      /** Epochs of fine-tuning run. */
      readonly fineTuneEpochs: number,
      /** Wall seconds in all. */
      readonly seconds: number) {}

  /** The report as a text table. */
  toString(): string {
    const rows = [
      ['layer', 'role', 'units', 'per class', 'samples', 'explained',
       'seconds'],
    ];
    for (const l of this.layers) {
      rows.push([
        l.name, l.role, String(l.units),
        l.role === 'pca' ? compactCounts(l.unitsPerClass) : '-',
        String(l.samples),
        l.explainedVariance === null ?
            '-' :
            `${(100 * l.explainedVariance).toFixed(1)}%`,
        l.seconds.toFixed(2),
      ]);
    }
    const widths =
        rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)));
    const lines =
        rows.map(r => r.map((v, c) => v.padEnd(widths[c])).join('  '));
    lines.splice(1, 0, widths.map(w => '-'.repeat(w)).join('  '));
    const metric = (name: string, e: Evaluation|null) => e === null ? '' :
        `\n${name}: accuracy ${(100 * e.accuracy).toFixed(2)}%, loss ` +
            `${e.loss.toFixed(4)} (${e.rows} rows)`;
    return lines.join('\n') + metric('train', this.train) +
        metric('validation', this.validation) +
        (this.fineTuneEpochs > 0 ?
             `\nfine-tuned ${this.fineTuneEpochs} epoch(s)` :
             '') +
        `\ntotal ${this.seconds.toFixed(2)} s`;
  }
}

function compactCounts(counts: number[]): string {
  const same = counts.every(c => c === counts[0]);
  return same ? `${counts[0]} × ${counts.length}` : counts.join(',');
}
