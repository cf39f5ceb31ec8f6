import type { Job, Worker } from 'bullmq';
import type { DeliveryLedger } from '../../core/delivery.js';
import { isSQLSchema, type Schema, type SQLSchema } from '../../core/schema.js';
import { settleWithin } from '../../core/settle-within.js';
import { upkeepClock, type ScheduledChore } from '../../core/upkeep-clock.js';
import { jobDeliverySource, type DeliveredJob } from '../delivery-id.js';

/** What {@link startLedgerPruner} needs of its consumer's options. */
export interface LedgerPrunerOptions {
  readonly schema: Schema;
  readonly executor: { readonly ledger?: DeliveryLedger };
  /** See `BatchConsumerOptions.ledgerPruneDelayMs`. */
  readonly ledgerPruneDelayMs: number;
  /** See `BatchConsumerOptions.ledgerRetentionMs`. */
  readonly ledgerRetentionMs: number;
}

/** How often completed jobs' ledger rows are deleted (in one batched DELETE per tick). */
const PRUNE_TICK_MS = 1000;
/** The longest pause between two age sweeps (shorter when the retention is shorter). */
const SWEEP_EVERY_MS = 10 * 60_000;
/** Completed jobs remembered for pruning at most; beyond, the oldest are left to the age sweep (bounds the heap). */
const MAX_PENDING = 200_000;
/** How long `close()` waits for the last due DELETE. */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * Keeps an exactly-once schema's ledger small, following the queue's retention: a request id
 * must stay in the ledger while its job can still be delivered again, and may go once BullMQ has
 * completed the job (the `completed` event fires only after the job left the active list under
 * this worker's lock; a job that can be redelivered is never completed).
 *
 * - **After completion**: each completed job's ledger rows are deleted in the background, in one
 *   batched DELETE per second, `ledgerPruneDelayMs` after completion. The delay covers a worker
 *   that lost its job's lock (a long event-loop stall) but still writes its batch after another
 *   worker redelivered, committed and completed that job: until then its ids must still be there.
 * - **Age sweep**: rows older than `ledgerRetentionMs` are deleted every
 *   `min(ledgerRetentionMs, 10 min)`, whatever their job. That is what a crash leaves behind (a
 *   worker killed after completing jobs but before pruning them, or pending prunes lost at
 *   shutdown). The bound must exceed the longest time a committed job can wait before it is
 *   redelivered (a worker killed after the commit, with no worker running again for that long);
 *   the default is 7 days. Ledger ids carry the job's creation time, so a stale row never blocks
 *   a later job that reuses an idempotency key: pruning only bounds the table's size.
 */
export class LedgerPruner {
  readonly #schema: SQLSchema;
  readonly #ledger: DeliveryLedger;
  readonly #options: LedgerPrunerOptions;
  readonly #onError: (err: unknown) => void;
  /** Sources of completed jobs, oldest first, with when each becomes due. */
  #pending: { readonly source: string; readonly dueMs: number }[] = [];
  readonly #chores: ScheduledChore[] = [];
  #running: Promise<unknown> = Promise.resolve();

  constructor(schema: SQLSchema, ledger: DeliveryLedger, options: LedgerPrunerOptions, onError: (err: unknown) => void) {
    this.#schema = schema;
    this.#ledger = ledger;
    this.#options = options;
    this.#onError = onError;
    this.#every(PRUNE_TICK_MS, () => this.prune());
    this.#every(Math.min(options.ledgerRetentionMs, SWEEP_EVERY_MS), () => this.sweep());
  }

  /** Remembers a completed job; its ledger rows are deleted once due. */
  completed(job: DeliveredJob): void {
    if (this.#pending.length >= MAX_PENDING) this.#pending.shift();
    this.#pending.push({ source: jobDeliverySource(job), dueMs: Date.now() + this.#options.ledgerPruneDelayMs });
  }

  /** Deletes the ledger rows of every completed job that is due; resolves to the rows deleted. */
  async prune(): Promise<number> {
    const now = Date.now();
    let due = 0;
    while (due < this.#pending.length && (this.#pending[due]?.dueMs ?? Infinity) <= now) due++;
    if (due === 0) return 0;
    const batch = this.#pending.slice(0, due);
    this.#pending = this.#pending.slice(due);
    try {
      return await this.#ledger.forget(this.#schema, batch.map((entry) => entry.source));
    } catch (err) {
      // The sink is down: try again on a later tick (the age sweep is the backstop).
      this.#pending = [...batch, ...this.#pending].slice(-MAX_PENDING);
      throw err;
    }
  }

  /** Deletes ledger rows older than the retention bound; resolves to the rows deleted. */
  sweep(): Promise<number> {
    return this.#ledger.sweep(this.#schema, Date.now() - this.#options.ledgerRetentionMs);
  }

  /** Stops the timers and runs the due DELETE one last time (bounded); what is not due is left to the sweep. */
  async close(): Promise<void> {
    for (const chore of this.#chores) chore.cancel();
    await settleWithin(
      this.#running.then(() => this.prune()).catch(() => undefined),
      CLOSE_TIMEOUT_MS,
    );
  }

  /** On the process's {@link upkeepClock}: one timer per period for every pruner; a slow DELETE is not started twice. */
  #every(ms: number, chore: () => Promise<unknown>): void {
    const run = () => (this.#running = chore());
    this.#chores.push(upkeepClock.every(ms, run, this.#onError));
  }
}

/**
 * Starts pruning for an exactly-once schema whose executor has a ledger, listening to the
 * worker's `completed` events; undefined for every other schema.
 */
export function startLedgerPruner(options: LedgerPrunerOptions, workers: ReadonlyArray<Pick<Worker, 'on'>>, onError: (err: unknown) => void): LedgerPruner | undefined {
  const { schema, executor } = options;
  if (!isSQLSchema(schema) || schema.delivery !== 'exactly-once' || !executor.ledger) return undefined;
  const pruner = new LedgerPruner(schema, executor.ledger, options, onError);
  // Every partition's Worker: a job completed on any of them can no longer be redelivered.
  for (const worker of workers) worker.on('completed', (job: Job) => pruner.completed(job));
  return pruner;
}
