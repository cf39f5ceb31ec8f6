/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a uniformly random delay in [0, min(cap, base * 2^attempt)). Full jitter spreads retries of
 * many workers that failed together, so they do not hit a recovering sink in lock step.
 *
 * @param attempt - 0 for the first retry
 * @param random - source of randomness in [0, 1), injectable for tests
 */
export function fullJitterDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
