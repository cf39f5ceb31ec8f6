import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { PAYLOAD_VERSION } from '../core/codec.js';
import type { DeadLetterClass, DeadLetterEntry, ReplayHistory } from './dead-letter-entry.js';
import { DEFAULT_PREFIX, deadLetterQueueName, queueName } from './queue-names.js';
import { openQueue } from './open-queue.js';

/** Selects DLQ entries; every given field must match. */
export interface DeadLetterFilter {
  class?: DeadLetterClass;
  /** Failure reason, e.g. `non_retryable` or `deadlock`. */
  reason?: string;
  /** Sink error code, e.g. `23505`. */
  errorCode?: string;
  /** Only entries whose last failure is at or after this time. */
  since?: Date;
}

/** Options of bulk DLQ operations. */
export interface DeadLetterBulkOptions {
  filter?: DeadLetterFilter;
  /** Most entries to act on. @defaultValue all */
  limit?: number;
  /** Count what would be done without doing it. @defaultValue false */
  dryRun?: boolean;
  /** Called after each entry with the number done so far and the total selected. */
  onProgress?: (done: number, total: number) => void;
}

/** A DLQ entry with its job id and BullMQ state. */
export interface DeadLetterRecord {
  readonly id: string;
  readonly state: 'failed' | 'waiting' | 'delayed';
  readonly entry: DeadLetterEntry;
}

/** Outcome of a bulk operation. */
export interface DeadLetterBulkResult {
  /** Entries selected by the filter and limit. */
  readonly selected: number;
  /** Entries replayed or purged (0 on a dry run). */
  readonly done: number;
  /** Entries that vanished or were locked meanwhile (e.g. replayed concurrently from Bull Board). */
  readonly skipped: number;
}

const DLQ_JOB_OPTIONS = Object.freeze({ removeOnComplete: true, removeOnFail: false, attempts: 1 });

/**
 * A schema's dead-letter queue: a BullMQ queue named `<schema>.dlq` whose entries are parked as
 * *failed* jobs (by {@link DeadLetterWorker}), so Bull Board lists them under "Failed" with their
 * reason, and Bull Board's own "Retry" replays them.
 */
export class DeadLetterQueue {
  readonly queue: Queue<DeadLetterEntry>;
  readonly #target: Queue;

  constructor(readonly schema: string, connection: Redis, prefix: string = DEFAULT_PREFIX) {
    this.queue = openQueue<DeadLetterEntry>(deadLetterQueueName(schema), connection, prefix);
    this.#target = openQueue(queueName(schema), connection, prefix);
  }

  /**
   * Stores entries. Ids derive from the source job and row, so a batch redelivered after a
   * crash does not dead-letter the same request twice while its entry exists.
   */
  async add(entries: ReadonlyArray<{ entry: DeadLetterEntry; key: string }>): Promise<void> {
    if (entries.length === 0) return;
    await this.queue.addBulk(entries.map(({ entry, key }) => ({ name: entry.class, data: entry, opts: { ...DLQ_JOB_OPTIONS, jobId: `d_${key}` } })));
  }

  /** Entries currently dead-lettered (parked, or waiting to be parked). */
  async count(): Promise<number> {
    const counts = await this.queue.getJobCounts('failed', 'waiting', 'delayed', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /** Lists entries, oldest first, optionally filtered. */
  async list(filter: DeadLetterFilter = {}, limit = Number.POSITIVE_INFINITY): Promise<DeadLetterRecord[]> {
    const records: DeadLetterRecord[] = [];
    for (const state of ['failed', 'waiting', 'delayed'] as const) {
      const jobs = await this.queue.getJobs([state], 0, -1, true);
      for (const job of jobs) {
        if (records.length >= limit) return records;
        if (job?.id && matches(job.data, filter)) records.push({ id: job.id, state, entry: job.data });
      }
    }
    return records;
  }

  /** One entry by id, or undefined. */
  async get(id: string): Promise<DeadLetterRecord | undefined> {
    const job = await this.queue.getJob(id);
    if (!job?.id) return undefined;
    const state = await job.getState();
    return state === 'failed' || state === 'waiting' || state === 'delayed' ? { id: job.id, state, entry: job.data } : undefined;
  }

  /**
   * Moves entries back to the schema's queue for another attempt. Idempotent: each entry is
   * re-enqueued under a job id derived from its DLQ id, then removed from the DLQ, so running a
   * replay twice (or alongside a Bull Board retry) enqueues every entry at most once.
   */
  async replay(options: DeadLetterBulkOptions = {}): Promise<DeadLetterBulkResult> {
    return this.#bulk(options, async (record) => {
      const job = await this.queue.getJob(record.id);
      if (!job) return false;
      await this.requeue(job);
      return removeQuietly(job);
    });
  }

  /** Deletes entries for good. */
  async purge(options: DeadLetterBulkOptions = {}): Promise<DeadLetterBulkResult> {
    return this.#bulk(options, async (record) => {
      const job = await this.queue.getJob(record.id);
      return job ? removeQuietly(job) : false;
    });
  }

  /** Re-enqueues one DLQ job's request into the schema queue (used by replay and by the DLQ worker). */
  async requeue(job: Job<DeadLetterEntry>): Promise<void> {
    const entry = job.data;
    const replay: ReplayHistory = { attempts: entry.attempts, firstFailedAt: entry.firstFailedAt, replays: entry.replays + 1 };
    const data = entry.class === 'undecodable' || entry.class === 'unknown_schema'
      ? entry.request // raw job data, re-offered as it was (e.g. after deploying a consumer that reads it)
      : { v: PAYLOAD_VERSION, s: this.schema, rows: [entry.request], replay };
    await this.#target.add(this.schema, data, {
      jobId: `r_${job.id}`,
      removeOnComplete: true,
      removeOnFail: false,
      attempts: 25,
      backoff: { type: 'exponential', delay: 1000 },
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.#target.close()]);
  }

  async #bulk(options: DeadLetterBulkOptions, act: (record: DeadLetterRecord) => Promise<boolean>): Promise<DeadLetterBulkResult> {
    const records = await this.list(options.filter, options.limit);
    if (options.dryRun) {
      options.onProgress?.(records.length, records.length);
      return { selected: records.length, done: 0, skipped: 0 };
    }
    let done = 0;
    let skipped = 0;
    for (const record of records) {
      if (await act(record)) done++;
      else skipped++;
      options.onProgress?.(done + skipped, records.length);
    }
    return { selected: records.length, done, skipped };
  }
}

function matches(entry: DeadLetterEntry, filter: DeadLetterFilter): boolean {
  if (filter.class && entry.class !== filter.class) return false;
  if (filter.reason && entry.reason !== filter.reason) return false;
  if (filter.errorCode && entry.errorCode !== filter.errorCode) return false;
  if (filter.since && Date.parse(entry.lastFailedAt) < filter.since.getTime()) return false;
  return true;
}

/** A job locked by a worker (being replayed right now) cannot be removed; that is not an error here. */
async function removeQuietly(job: Job): Promise<boolean> {
  try {
    await job.remove();
    return true;
  } catch {
    return false;
  }
}
