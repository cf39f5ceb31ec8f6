import { Job, type Queue } from 'bullmq';
import type { QueueClient } from '../connection.js';
import type { EncodedValue } from '../../core/codec.js';
import type { Schema } from '../../core/schema.js';
import { checkNumericOption } from '../../core/numeric-option.js';
import { decideReplay, holdsRawJobData, replayRow, staleError } from './dead-letter-edit.js';
import type { DeadLetterEntry, ReplayHistory } from '../dead-letter-entry.js';
import { bulkWalk } from './dead-letter-bulk.js';
import { groupEntries, type DeadLetterGroup, type DeadLetterGroupField, type DeadLetterGroupOptions } from './dead-letter-groups.js';
import type { KeyedDeadLetter } from './dead-letter-factory.js';
import { replayEntries } from './dead-letter-replay.js';
import { storeEntries } from './dead-letter-store.js';
import { walkPages, type DeadLetterFilter, type DeadLetterRecord, type DeadLetterScanOptions } from './dead-letter-walk.js';
import { schemaJobData } from '../job-data.js';
import { keyedJobOptions, schemaJobOptions } from '../job-options.js';
import { DEFAULT_PREFIX, deadLetterQueueName, queueName } from '../queue-names.js';
import { DEAD_LETTER_QUEUE_DEFAULTS, type DeadLetterBulkOptions, type DeadLetterBulkResult, type DeadLetterQueueOptions } from './dead-letter-queue-options.js';
import type { DeadLetterReplayOptions, DeadLetterReplayResult } from './dead-letter-queue-options.js';
import { openQueue } from '../open-queue.js';
import { ReplayTargets, replayJobId } from './replay-targets.js';
import { stateOf } from '../state/state-of.js';

export type { DeadLetterTransform, ReplayDecision } from './dead-letter-edit.js';
export type { DeadLetterGroup, DeadLetterGroupField, DeadLetterGroupOptions } from './dead-letter-groups.js';
export type { DeadLetterFilter, DeadLetterRecord, DeadLetterScanOptions } from './dead-letter-walk.js';
export * from './dead-letter-queue-options.js';

/**
 * A schema's dead-letter queue: a BullMQ queue named `<schema>.dlq` whose entries are parked as
 * *failed* jobs (by {@link DeadLetterWorker}), so Bull Board lists them under "Failed" with their
 * reason, and Bull Board's own "Retry" replays them.
 *
 * Listing, replaying and purging walk the queue in pages of `pageSize`, so memory stays flat
 * however many entries there are.
 *
 * @example
 * ```ts
 * const dlq = new DeadLetterQueue('events', redis, 'batchflow');
 * for await (const { id, entry } of dlq.entries({ filter: { errorCode: '23505' } })) console.log(id, entry.message);
 * await dlq.replay({ filter: { class: 'non_retryable' }, onProgress: (done, total) => console.log(`${done}/${total}`) });
 * ```
 */
export class DeadLetterQueue {
  readonly queue: Queue<DeadLetterEntry>;
  readonly #target: Queue;
  readonly #redis: QueueClient;
  readonly #jobAttempts: number;
  readonly #pageSize: number;
  readonly #schema: Schema | undefined;
  readonly #targets: ReplayTargets;

  constructor(readonly schema: string, connection: QueueClient, prefix: string = DEFAULT_PREFIX, options: DeadLetterQueueOptions = {}) {
    this.#jobAttempts = positiveInt('jobAttempts', options.jobAttempts ?? DEAD_LETTER_QUEUE_DEFAULTS.jobAttempts);
    this.#pageSize = positiveInt('pageSize', options.pageSize ?? DEAD_LETTER_QUEUE_DEFAULTS.pageSize);
    this.#redis = connection;
    this.#schema = options.schema;
    // A partition's DLQ sits beside its partition queue (same hash tag), so a replay stays one MULTI.
    const target = options.queue ?? queueName(schema);
    this.queue = openQueue<DeadLetterEntry>(deadLetterQueueName(target), connection, prefix);
    this.#target = openQueue(target, connection, prefix);
    this.#targets = new ReplayTargets(this.#target, options.schema, connection, prefix);
  }

  /**
   * Stores entries; never drops a failure. Ids derive from the source job and row (`d_<key>`):
   * - the same failure delivered again (its job redelivered after a crash) is kept once;
   * - the same request failing again through a new job under that id (a resubmit with the same
   *   idempotency key) updates the entry: latest error, summed attempts, first failure time kept;
   * - a different request under that id gets its own entry, `d_<key>_<digest>`.
   *
   * Resolves with the number of failures newly recorded (added or merged), not counting repeats.
   */
  async add(entries: readonly KeyedDeadLetter[]): Promise<number> {
    return storeEntries(this.queue, (job) => this.#replayed(job), entries);
  }

  /** Entries currently dead-lettered (parked, or waiting to be parked). */
  async count(): Promise<number> {
    const counts = await this.queue.getJobCounts('failed', 'waiting', 'delayed', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /**
   * Streams entries, one page from Redis at a time: those not parked yet (waiting, delayed),
   * then the parked ones, each oldest first. An entry parked while the walk runs is yielded
   * once (of a backlog over 10,000 unparked entries, possibly twice); one moved back to waiting
   * meanwhile (a Bull Board retry) may be missed. Removing entries mid-walk is for {@link replay} and {@link purge}, which account
   * for it.
   */
  async *entries(options: DeadLetterScanOptions = {}): AsyncGenerator<DeadLetterRecord, void, undefined> {
    for await (const page of walkPages(this.queue, this.#redis, this.#pageSize, options)) yield* page;
  }

  /** Lists entries in the order of {@link entries}, optionally filtered, into one array: for small DLQs; prefer {@link entries}. */
  async list(filter: DeadLetterFilter = {}, limit = Number.POSITIVE_INFINITY): Promise<DeadLetterRecord[]> {
    const records: DeadLetterRecord[] = [];
    for await (const record of this.entries({ filter, limit })) records.push(record);
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
   * Moves entries back to the schema's queue for another attempt. Idempotent, also across a
   * crash: an entry's job is enqueued under an id derived from its DLQ id, in the same MULTI
   * that marks the entry as replayed, and only then is the entry removed. A second run (or a
   * Bull Board retry) finds the mark and only finishes the removal, so every entry is enqueued
   * once even if its replayed job has completed and gone meanwhile.
   *
   * With `transform`, each row is edited (or dropped) first; with the DLQ's `schema`, each row
   * is validated before it is enqueued, and one that does not fit is refused: it stays in the
   * DLQ unchanged, and the result names its column. `ratePerSecond` spaces the enqueues.
   *
   * @example
   * ```ts
   * const dlq = new DeadLetterQueue('payments', redis, 'batchflow', { schema: payments });
   * const result = await dlq.replay({ filter: { errorCode: '23514' }, transform: (row) => ({ ...row, amount: Math.abs(Number(row.amount)) }), ratePerSecond: 200 });
   * for (const { id, error } of result.refusals) console.warn(id, error.column, error.message);
   * ```
   */
  async replay(options: DeadLetterReplayOptions = {}): Promise<DeadLetterReplayResult> {
    return replayEntries(
      {
        schemaName: this.schema,
        schema: this.#schema,
        queue: this.queue,
        replayed: (job) => this.#replayed(job),
        requeue: (job, row) => this.requeue(job, row),
        bulk: (bulkOptions, act, preview, snapshot) => bulkWalk(this.queue, this.#redis, this.#pageSize, bulkOptions, act, preview, snapshot),
      },
      options,
    );
  }

  /**
   * Counts the selected entries per group of `by` fields (e.g. `['reason', 'errorCode']`),
   * with each group's first entry and message, largest group first. Streams the DLQ page by
   * page, keeping one record per group (at most `maxGroups`).
   */
  async groups(by: readonly DeadLetterGroupField[], options: DeadLetterScanOptions & DeadLetterGroupOptions = {}): Promise<DeadLetterGroup[]> {
    return groupEntries(this.entries(options), by, options);
  }

  /** Deletes entries for good. */
  async purge(options: DeadLetterBulkOptions = {}): Promise<DeadLetterBulkResult> {
    return bulkWalk(this.queue, this.#redis, this.#pageSize, options, async ({ id }) => ((await this.queue.remove(id)) === 1 ? 'done' : 'locked'));
  }

  /**
   * Re-enqueues one DLQ job's request into the schema queue, with the job options its source job
   * had (used by replay and by the DLQ worker). Resolves false, enqueuing nothing, when the entry
   * was already re-enqueued (marked) or is gone. `row` is the encoded row to enqueue instead of
   * the stored one (already validated); without it the stored row (as edited in Bull Board, say)
   * is validated against the DLQ's `schema`, if given, and a row that does not fit rejects with
   * a `ValidationError` naming the column, enqueuing nothing.
   *
   * On Redis Cluster the schema queue and its DLQ must hash to one slot (a `{…}` prefix), as
   * the enqueue and the mark share a transaction.
   */
  async requeue(job: Job<DeadLetterEntry>, row?: unknown): Promise<boolean> {
    const dlqId = job.id;
    if (!dlqId || (await this.#replayed(job))) return false;
    const entry = job.data;
    const replay: ReplayHistory = { attempts: entry.attempts, firstFailedAt: entry.firstFailedAt, replays: entry.replays + 1 };
    let data: unknown = entry.request; // raw job data, re-offered as it was (e.g. after deploying a consumer that reads it)
    let target = this.#targets.route();
    if (!holdsRawJobData(entry)) {
      let encoded = row;
      if (encoded === undefined) {
        const decision = await decideReplay({ id: dlqId, state: 'failed', entry }, this.#schema, undefined);
        if (decision.action === 'refuse') throw decision.error;
        if (decision.action === 'stale') throw staleError(decision.id, this.schema, decision.column);
        encoded = decision.action === 'replay' ? replayRow(decision) : entry.request;
      }
      data = schemaJobData(this.schema, [encoded as Readonly<Record<string, EncodedValue>>], replay, entry.traceparent === undefined ? undefined : [entry.traceparent], entry.origin);
      target = this.#targets.route(encoded as Readonly<Record<string, EncodedValue>>);
    }
    const jobId = replayJobId(dlqId);
    const replayed = new Job(target, this.schema, data, keyedJobOptions(schemaJobOptions(entry.jobAttempts ?? this.#jobAttempts), jobId), jobId);
    await this.#targets.enqueue(target, replayed, this.queue, job, jobId);
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.#target.close(), this.#targets.close()]);
  }

  async #replayed(job: Job): Promise<boolean> {
    return stateOf(this.#redis).isReplayed(this.queue, job);
  }
}

function positiveInt(field: string, value: number): number {
  checkNumericOption(field, 'positive', value);
  return value;
}
