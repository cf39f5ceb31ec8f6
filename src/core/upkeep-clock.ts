import { settleWithin } from './settle-within.js';

/**
 * Chores of one tick run at once, at most: a batch's Redis commands wait behind a few chores'
 * commands at most (each chore sends a handful), while their replies still come back together.
 */
export const CHORES_IN_FLIGHT = 8;

/** A chore registered on an {@link UpkeepClock}; `cancel()` removes it (idempotent). */
export interface ScheduledChore {
  cancel(): void;
}

interface Chore {
  readonly run: () => unknown;
  readonly onError: (err: unknown) => void;
  /** A chore slower than its period (a large sweep) is not started twice. */
  running: boolean;
}

/**
 * Periodic background chores (queue depth sampling, health publishing, failed-job sweeps, layout
 * checks, ledger pruning) on one timer per period for the whole process, instead of one timer per
 * chore: a worker serving many schemas wakes once per period, whatever their number.
 *
 * Each tick runs the period's chores {@link CHORES_IN_FLIGHT} at a time, not all at once: the
 * consumers of a process share one Redis client, and a few hundred upkeep commands sent in one
 * burst would sit ahead of a batch's job completions on that connection (and in the event loop),
 * adding their time to its latency; one at a time would cost a wake-up per chore. A chore that has
 * not settled within one period no longer holds the next ones back (a sink or a Redis that hangs
 * must not stop the other schemas' upkeep); it is still not started again until it settles.
 * Timers are unref'd: chores never keep a process alive.
 *
 * A chore first runs on the next tick of its period's timer: at most one period after it was
 * added (the timer started with the period's first chore), so chores of the same period run in step.
 *
 * @example
 * ```ts
 * const chore = upkeepClock.every(5000, () => sampleDepth(), (err) => report(err));
 * chore.cancel();
 * ```
 */
export class UpkeepClock {
  readonly #periods = new Map<number, { timer: NodeJS.Timeout; chores: Set<Chore> }>();

  /** Runs `run` every `periodMs` (rounded to whole ms); errors, thrown or rejected, go to `onError`. A period ≤ 0 schedules nothing. */
  every(periodMs: number, run: () => unknown, onError: (err: unknown) => void): ScheduledChore {
    const ms = Math.round(periodMs);
    if (!(ms > 0)) return { cancel: () => {} };
    let period = this.#periods.get(ms);
    if (!period) {
      const chores = new Set<Chore>();
      const timer = setInterval(() => void this.#tick(chores, ms), ms);
      timer.unref();
      period = { timer, chores };
      this.#periods.set(ms, period);
    }
    const chore: Chore = { run, onError, running: false };
    period.chores.add(chore);
    const chores = period.chores;
    return {
      cancel: () => {
        if (!chores.delete(chore) || chores.size > 0) return;
        const current = this.#periods.get(ms);
        if (current?.chores !== chores) return;
        clearInterval(current.timer);
        this.#periods.delete(ms);
      },
    };
  }

  /** Timers running now: one per period with at least one chore. */
  get timers(): number {
    return this.#periods.size;
  }

  async #tick(chores: ReadonlySet<Chore>, periodMs: number): Promise<void> {
    // Taken now: a chore still running (from an earlier tick) is skipped, one added later waits for the next tick.
    const due = [...chores].filter((chore) => !chore.running);
    for (const chore of due) chore.running = true;
    for (let i = 0; i < due.length; i += CHORES_IN_FLIGHT) {
      const runs = due.slice(i, i + CHORES_IN_FLIGHT).map((chore) => this.#run(chore, chores));
      await settleWithin(Promise.all(runs), periodMs);
    }
  }

  async #run(chore: Chore, chores: ReadonlySet<Chore>): Promise<void> {
    try {
      if (chores.has(chore)) await chore.run(); // else cancelled while waiting its turn
    } catch (err) {
      try {
        chore.onError(err);
      } catch {
        // An error handler that throws must not stop the other chores of this tick.
      }
    } finally {
      chore.running = false;
    }
  }
}

/** The process's clock: every consumer, pruner and layout watch of the process shares it. */
export const upkeepClock = new UpkeepClock();
