import {CustomCallback} from '@tensorflow/tfjs-layers';

/** An optimizer whose step size can be changed between batches. */
interface WithLearningRate {
  learningRate: number;
  /**
   * SGD and momentum keep −rate as a cached scalar, so assigning the field
   * is not enough for them: this method updates both.
   */
  setLearningRate?: (rate: number) => void;
}

function setRate(optimizer: WithLearningRate, rate: number) {
  if (typeof optimizer.setLearningRate === 'function') {
    optimizer.setLearningRate(rate);
  } else {
    optimizer.learningRate = rate;
  }
}

/** Whether `optimizer` exposes a numeric `learningRate` (tf.train's all do). */
export function hasLearningRate(optimizer: unknown):
    optimizer is WithLearningRate {
  return optimizer != null &&
      typeof (optimizer as WithLearningRate).learningRate === 'number';
}

/**
 * The learning rate of step `step` of `steps` under a cosine decay from
 * `peak` to 0, peak · (1 + cos(π · step / steps)) / 2, times a linear
 * ramp (step + 1) / warmup over the first `warmup` steps.
 */
export function cosineRate(
    peak: number, step: number, steps: number, warmup = 0): number {
  const ramp = step < warmup ? (step + 1) / warmup : 1;
  return ramp * peak * 0.5 *
      (1 + Math.cos(Math.PI * Math.min(step / steps, 1)));
}

/**
 * A `model.fit` callback that sets the optimizer's learning rate before
 * every batch along a cosine decay from `peak` to 0 over `steps` batches,
 * after a linear warm-up over the first `warmup` of them,
 * and puts the optimizer's own rate back when training ends; `restore`
 * does the same after a failure.
 */
export function cosineSchedule(
    optimizer: WithLearningRate, peak: number, steps: number,
    warmup = 0): {callback: CustomCallback, restore: () => void} {
  const original = optimizer.learningRate;
  let step = 0;
  let restored = false;
  const restore = () => {
    if (!restored) {
      restored = true;
      setRate(optimizer, original);
    }
  };
  const callback = new CustomCallback({
    onBatchBegin: async () => {
      setRate(optimizer, cosineRate(peak, step++, steps, warmup));
    },
    onTrainEnd: async () => restore(),
  });
  return {callback, restore};
}
