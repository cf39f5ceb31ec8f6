/**
 * Spaces actions at most `ratePerSecond` apart, across concurrent callers: each call to
 * {@link ReplayPacer.wait} takes the next free slot (`1000 / ratePerSecond` ms after the
 * previous one, or now when the pacer has been idle) and resolves when it comes.
 */
export class ReplayPacer {
  readonly #intervalMs: number;
  #next = 0;

  constructor(ratePerSecond: number) {
    this.#intervalMs = 1000 / ratePerSecond;
  }

  wait(): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.#next);
    this.#next = slot + this.#intervalMs;
    const delay = slot - now;
    return delay < 1 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, delay));
  }
}
