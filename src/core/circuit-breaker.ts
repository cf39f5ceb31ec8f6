import { fullJitterDelayMs } from './backoff.js';
import { resolveOptions } from './resolve-options.js';

/** `closed`: work flows. `open`: the sink is sick, nobody calls it. `half_open`: one probe call is allowed. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Why the breaker holds work: the last failure that counted against the sink. */
export interface HoldCause {
  /** The failure reason, e.g. `connection`, `read_only`, `schema` (a dead-letter storm). */
  readonly reason: string;
  /** The sink's own code, e.g. `25006`, `1290`, `ECONNREFUSED`, when there was one. */
  readonly code: string | undefined;
  readonly message: string;
}

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /**
   * Consecutive failures that count against the sink (connection, lock, timeout, read-only,
   * disk full, unknown codes…) before the breaker opens and consumption pauses. Below it, the
   * failing batch is retried after a growing backoff.
   * @defaultValue 3
   */
  threshold?: number;
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
  onStateChange?: (state: BreakerState, cause: HoldCause | undefined) => void;
}

/** Defaults of {@link CircuitBreakerOptions}. */
export const CIRCUIT_BREAKER_DEFAULTS = Object.freeze({ threshold: 3, probeBaseMs: 250, probeMaxMs: 2000 });

/**
 * Circuit breaker for a sick sink. It never gives up: an outage of any length only delays
 * work, so nothing is dead-lettered while the sink is down.
 *
 * Callers `await acquire()` before each sink call and report the result: `success()` when the
 * sink committed, `failure(cause)` when the failure counts against the sink, `release()` when
 * the call proved nothing either way (a data error, an abort). After `threshold` consecutive
 * failures the breaker opens; while open, callers wait; after a jittered delay one caller is let
 * through as the half-open probe, and its success closes the breaker for everyone.
 */
export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #streak = 0;
  #failedProbes = 0;
  #probeInFlight = false;
  #cause: HoldCause | undefined;
  #waiters = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  readonly #options: Required<Omit<CircuitBreakerOptions, 'onStateChange'>> & Pick<CircuitBreakerOptions, 'onStateChange'>;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#options = resolveOptions<Required<Omit<CircuitBreakerOptions, 'onStateChange'>> & Pick<CircuitBreakerOptions, 'onStateChange'>>(CIRCUIT_BREAKER_DEFAULTS, options);
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** Consecutive failures since the last success. */
  get streak(): number {
    return this.#streak;
  }

  /** The failure that holds work, while the streak lasts; undefined once the sink committed again. */
  get cause(): HoldCause | undefined {
    return this.#cause;
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

  /** The sink committed: reset the streak, close the breaker and wake every waiter. */
  success(): void {
    this.#probeInFlight = false;
    this.#streak = 0;
    this.#failedProbes = 0;
    this.#cause = undefined;
    this.#setState('closed');
  }

  /** A failure that counts against the sink: grow the streak, and open the breaker at the threshold (or when a probe fails). */
  failure(cause: HoldCause): void {
    this.#probeInFlight = false;
    this.#streak++;
    this.#cause = cause;
    if (this.#state === 'open') return;
    if (this.#state === 'closed' && this.#streak < this.#options.threshold) return;
    // Half-open: the probe (or a call that proved nothing and released it) failed again.
    if (this.#state === 'half_open') this.#failedProbes++;
    this.#setState('open');
    const delay = Math.max(
      this.#options.probeBaseMs / 2,
      fullJitterDelayMs(this.#failedProbes, this.#options.probeBaseMs, this.#options.probeMaxMs),
    );
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#setState('half_open'), delay);
    this.#timer.unref();
  }

  /** The call proved nothing about the sink (aborted, or a data error): let another caller probe. */
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
    this.#options.onStateChange?.(state, this.#cause);
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
