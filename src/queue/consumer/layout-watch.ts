import type { QueueClient } from '../connection.js';
import { otherLayoutQueues } from '../schema-layouts.js';
import { stateOf } from '../state/state-of.js';
import { upkeepClock, type ScheduledChore } from '../../core/upkeep-clock.js';

/** What {@link LayoutWatch} needs from its consumer. */
export interface LayoutWatchOptions {
  readonly redis: QueueClient;
  readonly prefix: string;
  readonly schema: string;
  /** The queues of the consumer's own layout (always held). */
  readonly own: readonly string[];
  /** How often to look for other layouts; 0 looks once, at start. */
  readonly intervalMs: number;
  /** Starts draining a queue of another layout (a worker, its DLQ, its failed-job sweep). */
  readonly attach: (queue: string) => void;
  /** Stops draining it, once it holds nothing. */
  readonly detach: (queue: string) => Promise<void>;
  readonly onError: (err: unknown) => void;
}

/**
 * Makes a change of `partitions` an online operation for one consumer: it finds the queues of its
 * schema that another layout (another N) filled and drains them beside its own, then lets them
 * go once they hold nothing (queue and DLQ empty).
 *
 * At start it registers its own queues and probes every possible queue name of the schema once
 * (what producers of an older version, without the registry, left behind); after that, every
 * `intervalMs`, it reads the schema's layout registry (which producers write before their first
 * job in a queue) and checks only those queues. A queue of another layout is found at most one
 * interval after its first job.
 *
 * @example
 * ```ts
 * const watch = new LayoutWatch({ redis, prefix, schema: 'orders', own: ['orders#0', 'orders#1'], intervalMs: 5000, attach, detach, onError });
 * await watch.close();
 * ```
 */
export class LayoutWatch {
  readonly #options: LayoutWatchOptions;
  readonly #held = new Set<string>();
  readonly #chore: ScheduledChore;
  #running: Promise<void>;
  #closed = false;

  constructor(options: LayoutWatchOptions) {
    this.#options = options;
    this.#running = this.#start();
    // On the process's clock (one timer per period for every consumer); a check slower than the interval is not started twice.
    this.#chore = upkeepClock.every(options.intervalMs, () => (this.#running = this.#running.then(() => this.check())), options.onError);
  }

  /** The queues of other layouts being drained now. */
  get held(): readonly string[] {
    return [...this.#held];
  }

  /** Resolves once the first look (the full probe at start) is done. */
  async ready(): Promise<void> {
    await this.#running;
  }

  /** Looks for other layouts' queues now: attaches those that hold work, detaches those drained. */
  async check(probeAll = false): Promise<void> {
    if (this.#closed) return;
    const o = this.#options;
    try {
      const found = new Set(await otherLayoutQueues(stateOf(o.redis), o.prefix, o.schema, o.own, probeAll));
      if (this.#closed) return;
      for (const queue of found) {
        if (this.#held.has(queue)) continue;
        this.#held.add(queue);
        o.attach(queue);
      }
      for (const queue of [...this.#held]) {
        if (found.has(queue)) continue;
        this.#held.delete(queue);
        await o.detach(queue);
      }
    } catch (err) {
      o.onError(err);
    }
  }

  /** Stops looking; the queues held stay attached (the consumer closes them with its own). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#chore.cancel();
    await this.#running;
  }

  async #start(): Promise<void> {
    const o = this.#options;
    try {
      await stateOf(o.redis).registerQueues(o.prefix, o.schema, o.own);
    } catch (err) {
      o.onError(err);
    }
    await this.check(true);
  }
}
