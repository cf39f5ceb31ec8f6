import { Job, type JobJson, type Queue } from 'bullmq';
import type { QueueClient } from '../connection.js';
import type { DeliveryId, DeliveryLedger } from '../../core/delivery.js';
import { isSQLSchema, type Schema, type SQLSchema } from '../../core/schema.js';
import { ConfigError } from '../../errors/config-error.js';
import { noopMetrics, type MetricsReporter } from '../../metrics/metrics-reporter.js';
import type { DeadLetterClass } from '../dead-letter-entry.js';
import { deadLetterFromFailedJob, type KeyedDeadLetter } from '../dead-letter/index.js';
import type { DeadLetterQueue } from '../dead-letter/index.js';
import { openQueue } from '../open-queue.js';
import { DEFAULT_PREFIX, queueName } from '../queue-names.js';
import { stateOf } from '../state/state-of.js';

/** Options of {@link FailedJobSweeper}. */
export interface FailedJobSweeperOptions {
  /** The schema whose queue is swept; its codec decides whether a failed job's rows can be read. */
  schema: Schema;
  /** The schema's dead-letter queue, e.g. `consumer.dlq`. */
  dlq: DeadLetterQueue;
  /** The queue swept: one partition's (`orders#2`, with `dlq` that partition's DLQ). @defaultValue the schema's own queue */
  queue?: string;
  /** The queue store's client, Redis or PostgreSQL (shared; the sweeper never closes it). */
  connection: QueueClient;
  /** Redis key prefix shared with producers and consumers. @defaultValue `'batchflow'` */
  prefix?: string;
  /** Failed jobs read per page. @defaultValue 100 */
  pageSize?: number;
  /** Reports `rowsDeadLettered(schema, sink, 'queue_failed', n)`. @defaultValue the no-op reporter */
  metrics?: MetricsReporter;
  /** Sink label for those metrics. @defaultValue `'queue'` */
  sink?: string;
  /**
   * The exactly-once ledger of the schema's executor (`executor.ledger`). With it, on an
   * exactly-once schema, a failed job's rows the ledger holds (they committed) are dropped, not
   * dead-lettered. @defaultValue none: a job that stalled is dead-lettered as `queue_stalled`
   */
  ledger?: DeliveryLedger;
}

/** Defaults of {@link FailedJobSweeperOptions}. */
export const FAILED_JOB_SWEEPER_DEFAULTS = Object.freeze({ prefix: DEFAULT_PREFIX, pageSize: 100, sink: 'queue' });

/**
 * Moves the jobs BullMQ itself failed (their `jobAttempts` ran out on a non-sink error, or they
 * stalled more than `maxStalledCount` times) from the schema queue's *failed* set into the
 * schema's DLQ, where `dlq list`, the DLQ metrics and replay see them: one entry per row, with
 * the job's `failedReason` as message, or one `undecodable` entry with the raw data.
 *
 * A job can be failed *after* its rows committed: a worker that commits and dies before
 * completing the job, more than `maxStalledCount` times. The DLQ is for rows that failed, so:
 * - on an exactly-once schema (with `ledger`), rows the ledger holds committed and are dropped;
 *   the others are `queue_failed`;
 * - otherwise a job that ever stalled (`stalledCounter > 0`) gives `queue_stalled` entries, *not
 *   known to have failed* (a replay may write them again); one that never stalled, `queue_failed`.
 *
 * Idempotent: a job's entries are stored (ids derived from the job, so a repeat is kept once)
 * before the job leaves the failed set, so a crash in between loses nothing and the next sweep
 * only finishes the move.
 *
 * @example
 * ```ts
 * const sweeper = new FailedJobSweeper({ schema: events, dlq: consumer.dlq, connection: redis });
 * const moved = await sweeper.sweep(); // jobs moved into the DLQ
 * await sweeper.close();
 * ```
 */
export class FailedJobSweeper {
  readonly #schema: Schema;
  readonly #dlq: DeadLetterQueue;
  readonly #queue: Queue;
  readonly #redis: QueueClient;
  readonly #pageSize: number;
  readonly #metrics: MetricsReporter;
  readonly #sink: string;
  /** The ledger to ask, on an exactly-once schema whose ledger can answer. */
  readonly #ledger: { readonly schema: SQLSchema; readonly recorded: (schema: SQLSchema, ids: readonly DeliveryId[]) => Promise<DeliveryId[]> } | undefined;

  constructor(options: FailedJobSweeperOptions) {
    const pageSize = options.pageSize ?? FAILED_JOB_SWEEPER_DEFAULTS.pageSize;
    if (!Number.isInteger(pageSize) || pageSize <= 0) throw new ConfigError('pageSize', `must be a positive integer, got ${pageSize}`);
    this.#schema = options.schema;
    this.#dlq = options.dlq;
    this.#redis = options.connection;
    this.#pageSize = pageSize;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#sink = options.sink ?? FAILED_JOB_SWEEPER_DEFAULTS.sink;
    const schema = options.schema;
    const ledger = options.ledger;
    this.#ledger = isSQLSchema(schema) && schema.delivery === 'exactly-once' && ledger?.recorded ? { schema, recorded: (s, ids) => ledger.recorded?.(s, ids) ?? Promise.resolve([]) } : undefined;
    this.#queue = openQueue(options.queue ?? queueName(options.schema.name), options.connection, options.prefix ?? FAILED_JOB_SWEEPER_DEFAULTS.prefix);
  }

  /** Moves every job now in the failed set into the DLQ; resolves with the number of jobs moved. */
  async sweep(): Promise<number> {
    let moved = 0;
    let offset = 0; // jobs that stay in the failed set ahead of the page (e.g. locked), so the walk moves on
    for (;;) {
      const ids = await this.#queue.getRanges(['failed'], offset, offset + this.#pageSize - 1, true);
      if (ids.length === 0) return moved;
      for (const id of ids) {
        if (await this.#move(id)) moved++;
        else offset++;
      }
    }
  }

  /** Closes the sweeper's queue object; the connection stays the caller's. */
  async close(): Promise<void> {
    await this.#queue.close();
  }

  async #move(id: string): Promise<boolean> {
    const job = await this.#read(id);
    if (!job || !(await job.isFailed())) return false; // gone, or retried meanwhile (Bull Board)
    const entries = await this.#failures(job);
    const recorded = await this.#dlq.add(entries);
    if (recorded > 0) {
      const byClass = new Map<DeadLetterClass, number>();
      for (const { entry } of entries) byClass.set(entry.class, (byClass.get(entry.class) ?? 0) + 1);
      // Per class, as the consumer reports. `recorded` leaves out repeats (a job swept twice after a
      // crash) without saying of which class, so each class is capped by it rather than split exactly.
      for (const [cls, n] of byClass) this.#metrics.rowsDeadLettered(this.#schema.name, this.#sink, cls, Math.min(n, recorded));
    }
    return (await this.#queue.remove(id)) === 1;
  }

  /** The entries of a failed job's rows that are not known to have committed (see the class TSDoc). */
  async #failures(job: Job): Promise<KeyedDeadLetter[]> {
    const ledger = this.#ledger;
    if (!ledger) return deadLetterFromFailedJob(this.#schema, job, job.stalledCounter > 0 ? 'queue_stalled' : 'queue_failed');
    const entries = deadLetterFromFailedJob(this.#schema, job, 'queue_failed');
    const ids = entries.flatMap(({ entry }) => (entry.origin ? [entry.origin] : []));
    const key = (id: DeliveryId) => `${id.source}:${id.seq}`;
    const committed = new Set((await ledger.recorded(ledger.schema, ids)).map(key));
    return entries.filter(({ entry }) => !entry.origin || !committed.has(key(entry.origin)));
  }

  /** The failed job; one whose stored data is not JSON is read with its raw text as data, for an `undecodable` entry. */
  async #read(id: string): Promise<Job | undefined> {
    try {
      return await this.#queue.getJob(id);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      const raw = await stateOf(this.#redis).readRawJob(this.#queue, id);
      if (!raw) throw err;
      const json = {
        id,
        name: raw.name ?? this.#schema.name,
        data: JSON.stringify({ $unreadable: raw.data ?? '' }),
        opts: Job.optsFromJSON(raw.opts),
        timestamp: Number(raw.timestamp),
        attemptsMade: Number(raw.atm ?? raw.attemptsMade ?? 0),
        failedReason: raw.failedReason ?? 'failed by BullMQ',
        stalledCounter: Number(raw.stc ?? 0),
      } as unknown as JobJson;
      return Job.fromJSON(this.#queue, json, id);
    }
  }
}
