/**
 * Whether the monitor records after training step `step` (counting from
 * 1): every `every` steps, and with `early` also at the steps 1, 2, 5, 10,
 * 20, 50, … below `every`.
 *
 * The early records follow a 1-2-5 sequence because the first phase of
 * training is fast and short: a regular period fine enough to resolve it
 * would cost too much for the rest of training.
 */
export function isRecordStep(step: number, every: number, early: boolean):
    boolean {
  if (step % every === 0) {
    return true;
  }
  return early && step < every && isOneTwoFive(step);
}

/** Whether n is 1, 2 or 5 times a power of ten. */
function isOneTwoFive(n: number): boolean {
  let m = n;
  while (m >= 10 && m % 10 === 0) {
    m /= 10;
  }
  return m === 1 || m === 2 || m === 5;
}
