import { fullJitterDelayMs } from './backoff.js';

/** `closed`: work flows. `open`: the sink is unreachable, nobody calls it. `half_open`: one probe call is allowed. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /**
   * First delay before a half-open probe after the breaker opens; doubles (with jitter) after each failed probe.
   * @defaultValue 250
   */
  probeBaseMs?: number;
  /**
   * Longest delay between probes. Bounds how long work stays paused after the sink is back.
   * @defaultValue 2000
   */
  probeMaxMs?: number;
  /** Called on every state change, e.g. to pause queue consumption and emit events. */
  onStateChange?: (state: BreakerState) => void;
}

/** Defaults of {@link CircuitBreakerOptions}. */
export const CIRCUIT_BREAKER_DEFAULTS = Object.freeze({ probeBaseMs: 250, probeMaxMs: 2000 });

/**
 * Circuit breaker for an unreachable sink. It never gives up: an outage of any length
 * only delays work, so nothing is dead-lettered while the sink is down.
 *
 * Callers `await acquire()` before each sink call and report the result with
 * `success()` / `failure()`. While open, callers wait; after a jittered delay one caller
 * is let through as the half-open probe; its success closes the breaker for everyone.
 */
export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #failedProbes = 0;
  #probeInFlight = false;
  #waiters = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  readonly #options: Required<Omit<CircuitBreakerOptions, 'onStateChange'>> & Pick<CircuitBreakerOptions, 'onStateChange'>;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#options = { ...CIRCUIT_BREAKER_DEFAULTS, ...options };
  }

  get state(): BreakerState {
    return this.#state;
  }

  /**
   * Resolves when the caller may call the sink: at once while closed; while open, when this
   * caller becomes the half-open probe or the breaker closes. Rejects if `signal` aborts.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.#state === 'closed') return;
      if (this.#state === 'half_open' && !this.#probeInFlight) {
        this.#probeInFlight = true;
        return;
      }
      await this.#nextChange(signal);
    }
  }

  /** The sink answered: close the breaker and wake every waiter. */
  success(): void {
    this.#probeInFlight = false;
    if (this.#state === 'closed') return;
    this.#failedProbes = 0;
    this.#setState('closed');
  }

  /** The sink was unreachable: open the breaker (again) and schedule the next probe. */
  failure(): void {
    const wasProbe = this.#probeInFlight;
    this.#probeInFlight = false;
    if (this.#state === 'open') return;
    if (this.#state === 'half_open' && !wasProbe) return;
    if (wasProbe) this.#failedProbes++;
    this.#setState('open');
    const delay = Math.max(
      this.#options.probeBaseMs / 2,
      fullJitterDelayMs(this.#failedProbes, this.#options.probeBaseMs, this.#options.probeMaxMs),
    );
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#setState('half_open'), delay);
    this.#timer.unref();
  }

  /** The probe gave up without an answer (e.g. aborted): let another caller probe. */
  release(): void {
    if (!this.#probeInFlight) return;
    this.#probeInFlight = false;
    this.#wake();
  }

  /** Stops the probe timer and wakes waiters (they see their own abort signal). */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#wake();
  }

  #setState(state: BreakerState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onStateChange?.(state);
    this.#wake();
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #nextChange(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(wake);
        reject(signal?.reason);
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

