import { Job, type JobJson, type Queue } from 'bullmq';
import type { RedisClient } from './connection.js';
import type { Schema } from '../core/schema.js';
import { ConfigError } from '../errors/config-error.js';
import { noopMetrics, type MetricsReporter } from '../metrics/metrics-reporter.js';
import { deadLetterFromFailedJob } from './dead-letter-factory.js';
import type { DeadLetterQueue } from './dead-letter-queue.js';
import { openQueue } from './open-queue.js';
import { DEFAULT_PREFIX, queueName } from './queue-names.js';

/** Options of {@link FailedJobSweeper}. */
export interface FailedJobSweeperOptions {
  /** The schema whose queue is swept; its codec decides whether a failed job's rows can be read. */
  schema: Schema;
  /** The schema's dead-letter queue, e.g. `consumer.dlq`. */
  dlq: DeadLetterQueue;
  /** The queue swept: one partition's (`orders#2`, with `dlq` that partition's DLQ). @defaultValue the schema's own queue */
  queue?: string;
  /** A Redis connection (shared; the sweeper never closes it). */
  connection: RedisClient;
  /** Redis key prefix shared with producers and consumers. @defaultValue `'batchflow'` */
  prefix?: string;
  /** Failed jobs read per page. @defaultValue 100 */
  pageSize?: number;
  /** Reports `rowsDeadLettered(schema, sink, 'queue_failed', n)`. @defaultValue the no-op reporter */
  metrics?: MetricsReporter;
  /** Sink label for those metrics. @defaultValue `'queue'` */
  sink?: string;
}

/** Defaults of {@link FailedJobSweeperOptions}. */
export const FAILED_JOB_SWEEPER_DEFAULTS = Object.freeze({ prefix: DEFAULT_PREFIX, pageSize: 100, sink: 'queue' });

/**
 * Moves the jobs BullMQ itself failed (their `jobAttempts` ran out on a non-sink error, or they
 * stalled more than `maxStalledCount` times) from the schema queue's *failed* set into the
 * schema's DLQ, where `dlq list`, the DLQ metrics and replay see them: one `queue_failed` entry
 * per row, with the job's `failedReason` as message, or one `undecodable` entry with the raw data.
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
  readonly #redis: RedisClient;
  readonly #pageSize: number;
  readonly #metrics: MetricsReporter;
  readonly #sink: string;

  constructor(options: FailedJobSweeperOptions) {
    const pageSize = options.pageSize ?? FAILED_JOB_SWEEPER_DEFAULTS.pageSize;
    if (!Number.isInteger(pageSize) || pageSize <= 0) throw new ConfigError('pageSize', `must be a positive integer, got ${pageSize}`);
    this.#schema = options.schema;
    this.#dlq = options.dlq;
    this.#redis = options.connection;
    this.#pageSize = pageSize;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#sink = options.sink ?? FAILED_JOB_SWEEPER_DEFAULTS.sink;
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
    const recorded = await this.#dlq.add(deadLetterFromFailedJob(this.#schema, job));
    if (recorded > 0) this.#metrics.rowsDeadLettered(this.#schema.name, this.#sink, 'queue_failed', recorded);
    return (await this.#queue.remove(id)) === 1;
  }

  /** The failed job; one whose stored data is not JSON is read with its raw text as data, for an `undecodable` entry. */
  async #read(id: string): Promise<Job | undefined> {
    try {
      return await this.#queue.getJob(id);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      const raw = await this.#redis.hgetall(this.#queue.toKey(id));
      const json = {
        id,
        name: raw.name ?? this.#schema.name,
        data: JSON.stringify({ $unreadable: raw.data ?? '' }),
        opts: Job.optsFromJSON(raw.opts),
        timestamp: Number(raw.timestamp),
        attemptsMade: Number(raw.atm ?? raw.attemptsMade ?? 0),
        failedReason: raw.failedReason ?? 'failed by BullMQ',
      } as unknown as JobJson;
      return Job.fromJSON(this.#queue, json, id);
    }
  }
}
