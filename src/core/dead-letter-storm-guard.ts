import { resolveOptions } from './resolve-options.js';

/** Options of {@link DeadLetterStormGuard}. */
export interface DeadLetterStormGuardOptions {
  /**
   * Share of the recent rows that must fail with one data-error code for the guard to trip.
   * @defaultValue 0.5
   */
  stormRatio?: number;
  /**
   * Fewest rows failing with that code before the guard can trip: smaller waves of bad rows are
   * dead-lettered as usual.
   * @defaultValue 20
   */
  stormMinRows?: number;
  /**
   * How many recent rows (committed or dead-lettered) the ratio is taken over.
   * @defaultValue 1000
   */
  stormWindowRows?: number;
}

/** Defaults of {@link DeadLetterStormGuardOptions}. */
export const DEAD_LETTER_STORM_GUARD_DEFAULTS = Object.freeze({ stormRatio: 0.5, stormMinRows: 20, stormWindowRows: 1000 });

/** A tripped guard: the code most rows fail with, and how many of how many. */
export interface DeadLetterStorm {
  readonly code: string;
  readonly failed: number;
  readonly total: number;
}

const COMMITTED = '';

/**
 * Stops a wave of dead-letters that says more about the table than about the rows: when most
 * recent rows fail with the same data error (a dropped column's default, a new NOT NULL or CHECK),
 * the rows are most likely fine and the schema changed under them. The writer then holds them
 * like a sick sink instead of draining the queue into the DLQ.
 *
 * Keeps a ring of the last `stormWindowRows` decided rows: committed, or the code they failed with.
 */
export class DeadLetterStormGuard {
  readonly #options: Readonly<Required<DeadLetterStormGuardOptions>>;
  readonly #ring: string[] = [];
  #next = 0;
  readonly #counts = new Map<string, number>();
  /** Bumped each time a held storm's rows commit again (the drift was fixed); see {@link clearedSince}. */
  #generation = 0;
  /** The generation at which each storm code last cleared. */
  readonly #clearedAt = new Map<string, number>();

  constructor(options: DeadLetterStormGuardOptions = {}) {
    this.#options = resolveOptions(DEAD_LETTER_STORM_GUARD_DEFAULTS, options);
  }

  /** Whether dead-lettering `failureCodes` now (next to `committed` rows of the same flush) would be a storm. */
  assess(committed: number, failureCodes: readonly string[]): DeadLetterStorm | undefined {
    const current = new Map<string, number>();
    for (const code of failureCodes) current.set(code, (current.get(code) ?? 0) + 1);
    const total = this.#ring.length + committed + failureCodes.length;
    let worst: DeadLetterStorm | undefined;
    for (const [code, count] of current) {
      const failed = count + (this.#counts.get(code) ?? 0);
      if (failed >= this.#options.stormMinRows && failed >= this.#options.stormRatio * total && (!worst || failed > worst.failed)) {
        worst = { code, failed, total };
      }
    }
    return worst;
  }

  /** A mark to pass to {@link clearedSince} later: taken when a writer starts a round. */
  get generation(): number {
    return this.#generation;
  }

  /** Records that rows held for a storm of `code` committed: the table was fixed. */
  cleared(code: string): void {
    this.#clearedAt.set(code, ++this.#generation);
  }

  /**
   * Whether a storm of `code` cleared after `generation` was taken. A row that failed alone with
   * that code during the round may have failed before the fix: its evidence is stale, and the row
   * is tried again rather than dead-lettered (the window has turned by then, so the guard alone
   * would no longer hold it).
   */
  clearedSince(generation: number, code: string): boolean {
    return (this.#clearedAt.get(code) ?? 0) > generation;
  }

  /** Records the decided rows of a flush. */
  record(committed: number, failureCodes: readonly string[]): void {
    const window = this.#options.stormWindowRows;
    // Only the newest `window` rows matter: a flush larger than the window replaces it.
    for (let i = Math.max(0, committed + failureCodes.length - window); i < committed; i++) this.#push(COMMITTED);
    for (const code of failureCodes.slice(-window)) this.#push(code);
  }

  #push(code: string): void {
    const window = this.#options.stormWindowRows;
    if (this.#ring.length < window) {
      this.#ring.push(code);
    } else {
      const old = this.#ring[this.#next] as string;
      if (old !== COMMITTED) this.#counts.set(old, (this.#counts.get(old) ?? 1) - 1);
      this.#ring[this.#next] = code;
      this.#next = (this.#next + 1) % window;
    }
    if (code !== COMMITTED) this.#counts.set(code, (this.#counts.get(code) ?? 0) + 1);
  }
}
