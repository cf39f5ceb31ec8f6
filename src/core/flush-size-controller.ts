/** Options of {@link FlushSizeController}: the bounds and the latency target of `flushSize: 'auto'`. */
export interface FlushSizeControllerOptions {
  /** Smallest size `flushSize: 'auto'` shrinks to. @defaultValue 100 */
  minFlushSize?: number;
  /** Largest size `flushSize: 'auto'` grows to (it also bounds the jobs the worker holds). @defaultValue 5000 */
  maxFlushSize?: number;
  /**
   * Commit time `flushSize: 'auto'` keeps batches under: a slower commit halves the size, and the
   * size grows only while the next size's predicted commit stays under it.
   * @defaultValue 250
   */
  targetCommitMs?: number;
}

/** Defaults of {@link FlushSizeControllerOptions}. */
export const FLUSH_SIZE_CONTROLLER_DEFAULTS = Object.freeze({ minFlushSize: 100, maxFlushSize: 5000, targetCommitMs: 250 });

/** Where `flushSize: 'auto'` starts: the fixed default, so a consumer that never sees pressure behaves like one with the default. */
export const AUTO_FLUSH_START = 500;

/** How a batch was sealed: full (`size`), by its interval timer (`timer`), or by `flushNow()` (`now`). */
export type SealReason = 'size' | 'timer' | 'now';

/** What the accumulator and the worker knew when a batch was sealed. */
export interface SealObservation {
  readonly reason: SealReason;
  /** Items in the sealed batch. */
  readonly items: number;
  /**
   * The batch could not start at once (every flush slot was busy), or the worker held as many jobs
   * as its budget allows: more work is waiting than the current size lets through.
   */
  readonly pressured: boolean;
}

/** One executor call that committed: how many requests and how long it took. */
export interface CommitObservation {
  readonly size: number;
  readonly commitMs: number;
  /** Monotonic time (ms) when the call returned, e.g. `performance.now()`. */
  readonly atMs: number;
}

/** Growth factor of one step: from the start, 5,000 is four steps (twelve commits) away. */
const GROWTH = 2;
/** Factor of a shrink (slow commit, timeout, retry, hold). */
const SHRINK = 0.5;
/** Full, pressured commits measured at one size before the next step is decided. */
const SAMPLES_PER_STEP = 3;
/** The per-row cost must fall by this share at the larger size for growth to go on. */
const MIN_GAIN = 0.03;
/** A per-row cost this much higher at the larger size steps back to the smaller one. */
const MAX_LOSS = 0.1;
/** Full, pressured commits held at a plateau before growth is probed again. */
const PLATEAU_COMMITS = 20;
/**
 * Consecutive commits over `targetCommitMs` that shrink the size: one alone may be a busy host's
 * outlier (other work on the machine stalls a commit now and then); a sink that got slow makes
 * every commit slow.
 */
const SLOW_STREAK = 2;

/**
 * The rule behind `flushSize: 'auto'`, pure logic (no clock of its own, no queue, no database):
 * - **Grow** (×2) while batches are full and pressured (work waits behind them), a larger size's
 *   per-row commit cost is lower than the smaller size's (by ≥ 3 %, from 3 commits at each size),
 *   and the next size's predicted commit (per-row cost × size) stays under `targetCommitMs`.
 *   When growing stops paying, the size stays (a cost 10 % worse steps back) and growth is probed
 *   again after 20 commits.
 * - **Shrink** (×0.5) on two consecutive commits slower than `targetCommitMs`, a timeout, a
 *   deadlock retry or any failure that holds the batch: multiplicative decrease, at most once per commit time (batches
 *   already in flight were sized before the shrink and say nothing new).
 * - Nothing else moves it: a consumer at half load with full batches and free flush slots keeps its
 *   size, and so does one whose batches are sealed by their timer. (Shrinking on those fed back:
 *   the jobs the worker holds follow the size, so a smaller size fetched fewer jobs, filled fewer
 *   batches before the timer and shrank again; in the sweep a half-load consumer fell to 158 and
 *   could no longer keep up.)
 *
 * @example
 * ```ts
 * const sizes = new FlushSizeController({ maxFlushSize: 2000 });
 * sizes.sealed({ reason: 'size', items: sizes.size, pressured: true });
 * sizes.committed({ size: 500, commitMs: 12, atMs: performance.now() });
 * sizes.size; // the size the next batch is flushed at
 * ```
 */
export class FlushSizeController {
  readonly min: number;
  readonly max: number;
  readonly targetCommitMs: number;
  #size: number;
  #pressured = false;
  /** Per-row commit cost (ms) at the current size: sum and count of full, pressured commits. */
  #costSum = 0;
  #samples = 0;
  /** The size before the last growth step and its per-row cost, to compare the step with. */
  #previous: { size: number; cost: number } | undefined;
  #plateau = 0;
  #quietUntilMs = -Infinity;
  #slowStreak = 0;

  constructor(
    options: FlushSizeControllerOptions = {},
    /** Called with the new size whenever it changes. */
    readonly onChange: (size: number) => void = () => {},
  ) {
    this.min = options.minFlushSize ?? FLUSH_SIZE_CONTROLLER_DEFAULTS.minFlushSize;
    this.max = options.maxFlushSize ?? FLUSH_SIZE_CONTROLLER_DEFAULTS.maxFlushSize;
    this.targetCommitMs = options.targetCommitMs ?? FLUSH_SIZE_CONTROLLER_DEFAULTS.targetCommitMs;
    this.#size = this.#clamp(AUTO_FLUSH_START);
  }

  /** The size batches are flushed at now. */
  get size(): number {
    return this.#size;
  }

  /** A batch was sealed; remembers whether work was waiting (only a full batch says so). */
  sealed(seal: SealObservation): void {
    this.#pressured = seal.reason === 'size' && seal.pressured;
  }

  /** An executor call committed `size` requests in `commitMs`. */
  committed(commit: CommitObservation): void {
    if (commit.commitMs > this.targetCommitMs) {
      if (++this.#slowStreak >= SLOW_STREAK) this.setback(commit.atMs, commit.commitMs);
      return;
    }
    this.#slowStreak = 0;
    // Only full batches at the current size measure it (not bisection halves, nor batches from before a resize).
    if (!this.#pressured || commit.size < this.#size || commit.size <= 0) return;
    if (this.#plateau > 0) {
      this.#plateau--;
      return;
    }
    this.#costSum += commit.commitMs / commit.size;
    if (++this.#samples < SAMPLES_PER_STEP) return;
    const cost = this.#costSum / this.#samples;
    const previous = this.#previous;
    if (previous && cost > previous.cost * (1 + MAX_LOSS)) {
      this.#resize(previous.size);
      return this.#holdPlateau();
    }
    if (previous && cost > previous.cost * (1 - MIN_GAIN)) return this.#holdPlateau();
    const next = this.#clamp(this.#size * GROWTH);
    if (next === this.#size || cost * next > this.targetCommitMs) return this.#holdPlateau();
    this.#previous = { size: this.#size, cost };
    this.#resize(next);
  }

  /**
   * A slow commit, a timeout, a deadlock retry or a held failure: halves the size, unless a
   * shrink happened within the last `quietMs` (default `targetCommitMs`), whose in-flight batches are still reporting.
   */
  setback(atMs: number, quietMs = this.targetCommitMs): void {
    if (atMs < this.#quietUntilMs) return;
    this.#quietUntilMs = atMs + quietMs;
    this.#slowStreak = 0;
    this.#previous = undefined;
    this.#plateau = 0;
    this.#resize(this.#size * SHRINK);
  }

  /** Growth stopped paying: keep this size for a while, then probe again from a fresh measurement. */
  #holdPlateau(): void {
    this.#previous = undefined;
    this.#plateau = PLATEAU_COMMITS;
    this.#resetSamples();
  }

  #resize(size: number): void {
    const next = this.#clamp(size);
    this.#resetSamples();
    if (next === this.#size) return;
    this.#size = next;
    this.onChange(next);
  }

  #resetSamples(): void {
    this.#costSum = 0;
    this.#samples = 0;
  }

  #clamp(size: number): number {
    return Math.min(this.max, Math.max(this.min, Math.round(size)));
  }
}
