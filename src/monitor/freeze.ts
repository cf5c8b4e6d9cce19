import {LayersModel} from '@tensorflow/tfjs-layers';

type Layer = LayersModel['layers'][number];

/** A stretch of training with the same set of frozen layers. */
export interface FreezePhase {
  /** The layers frozen during it, bottom-up. */
  frozen: string[];
  /** Training steps it lasted. */
  steps: number;
  /**
   * Mean wall seconds of a training step (from the monitor's
   * onBatchBegin to its onBatchEnd, its own work left out); null without
   * steps.
   */
  stepSeconds: number|null;
}

/** What freezing did, in {@link TimeScaleMonitor.freezeReport}. */
export interface FreezeReport {
  /** Each frozen layer with the step after which it was frozen. */
  layers: Array<{name: string, step: number}>;
  /** The phases of training, the first with no layer frozen. */
  phases: FreezePhase[];
  /**
   * Wall seconds saved: for each later phase, (step seconds of the first
   * phase − its own) × its steps, summed. Measured, so noisy on a busy
   * machine; null when the first phase has no steps.
   */
  secondsSaved: number|null;
}

/**
 * Freezes layers during `model.fit` and gives their trainable flags back.
 *
 * Setting `layer.trainable = false` in the middle of fit is safe in
 * tfjs-layers 4.x: fit keeps passing the weight list collected at compile
 * time (`collectedTrainableWeights`) to the optimizer, the frozen
 * variables in it get a null gradient and are skipped, and optimizers that
 * keep state by position in that list (Adam, momentum, RMSProp) keep every
 * other weight's state in its place. The gradients of frozen weights are
 * not computed, and nothing below the lowest trainable layer is
 * backpropagated.
 */
export class FreezeController {
  private readonly flags: boolean[];
  private readonly frozen: Array<{name: string, step: number}> = [];
  private readonly phases: FreezePhase[] = [];
  private phaseSeconds = 0;
  private restored = false;

  /** @param layers - The monitored layers, bottom-up. */
  constructor(
      private readonly model: LayersModel, private readonly layers: Layer[]) {
    this.flags = layers.map(l => l.trainable);
    this.phases.push({frozen: [], steps: 0, stepSeconds: null});
  }

  /** Whether the monitor has frozen layer `i`. */
  isFrozen(i: number): boolean {
    return this.frozen.some(f => f.name === this.layers[i].name);
  }

  /**
   * Whether layer `i` may be frozen now: it is trainable, every monitored
   * layer below it is frozen or was not trainable, and some weight of the
   * model would still be trained (tfjs's optimizers throw when none is).
   */
  canFreeze(i: number): boolean {
    const layer = this.layers[i];
    if (this.restored || !layer.trainable) {
      return false;
    }
    const belowStill = this.layers.slice(0, i).some(l => l.trainable);
    const others = this.model.trainableWeights.filter(
        w => !layer.trainableWeights.includes(w));
    return !belowStill && others.length > 0;
  }

  /** Freezes layer `i` after training step `step`. */
  freeze(i: number, step: number): void {
    this.layers[i].trainable = false;
    this.frozen.push({name: this.layers[i].name, step});
    this.closePhase();
    this.phases.push(
        {frozen: this.frozen.map(f => f.name), steps: 0, stepSeconds: null});
  }

  /** Adds one training step of `seconds` to the current phase. */
  addStep(seconds: number): void {
    this.phases[this.phases.length - 1].steps++;
    this.phaseSeconds += seconds;
  }

  /** Gives every monitored layer its flag from the start back; idempotent. */
  restore(): void {
    if (this.restored) {
      return;
    }
    this.restored = true;
    this.layers.forEach((l, i) => {
      if (l.trainable !== this.flags[i]) {
        l.trainable = this.flags[i];
      }
    });
  }

  /** What freezing did so far. */
  report(): FreezeReport {
    const phases = this.phases.map(p => ({...p, frozen: [...p.frozen]}));
    const current = phases[phases.length - 1];
    current.stepSeconds = meanOrNull(this.phaseSeconds, current.steps);
    const base = phases[0].stepSeconds;
    const secondsSaved = base === null ? null : phases.slice(1).reduce(
        (sum, p) => sum + (p.stepSeconds === null ? 0 :
                           (base - p.stepSeconds) * p.steps), 0);
    return {layers: this.frozen.map(f => ({...f})), phases, secondsSaved};
  }

  private closePhase() {
    const current = this.phases[this.phases.length - 1];
    current.stepSeconds = meanOrNull(this.phaseSeconds, current.steps);
    this.phaseSeconds = 0;
  }
}

function meanOrNull(total: number, count: number): number|null {
  return count > 0 ? total / count : null;
}
