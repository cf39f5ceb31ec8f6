import { Job, type Queue } from 'bullmq';
import type { QueueClient } from '../connection.js';
import type { EncodedValue } from '../../core/codec.js';
import type { Schema } from '../../core/schema.js';
import { checkNumericOption } from '../../core/numeric-option.js';
import { ConfigError } from '../../errors/config-error.js';
import { decideReplay, holdsRawJobData, replayRow, staleError, type ReplayDecision } from './dead-letter-edit.js';
import type { DeadLetterEntry, ReplayHistory } from '../dead-letter-entry.js';
import { groupEntries, type DeadLetterGroup, type DeadLetterGroupField, type DeadLetterGroupOptions } from './dead-letter-groups.js';
import type { KeyedDeadLetter } from './dead-letter-factory.js';
import { replaySnapshot, walkPages, type DeadLetterFilter, type DeadLetterRecord, type DeadLetterScanOptions, type WalkSnapshot } from './dead-letter-walk.js';
import { mergeFailure, placeFailure, requestDigest } from './dead-letter-merge.js';
import { schemaJobData } from '../job-data.js';
import { keyedJobOptions, schemaJobOptions } from '../job-options.js';
import { DEFAULT_PREFIX, deadLetterQueueName, queueName } from '../queue-names.js';
import { DEAD_LETTER_QUEUE_DEFAULTS, type DeadLetterBulkOptions, type DeadLetterBulkResult, type DeadLetterQueueOptions } from './dead-letter-queue-options.js';
import type { DeadLetterRefusal, DeadLetterReplayOptions, DeadLetterReplayResult } from './dead-letter-queue-options.js';
import { openQueue } from '../open-queue.js';
import { ReplayPacer } from './replay-pacer.js';
import { ReplayTargets, replayJobId } from './replay-targets.js';
import { stateOf } from '../state/state-of.js';

export type { DeadLetterTransform, ReplayDecision } from './dead-letter-edit.js';
export type { DeadLetterGroup, DeadLetterGroupField, DeadLetterGroupOptions } from './dead-letter-groups.js';
export type { DeadLetterFilter, DeadLetterRecord, DeadLetterScanOptions } from './dead-letter-walk.js';
export * from './dead-letter-queue-options.js';

const MAX_REFUSALS = 20;

// stackTraceLimit 0: a parked entry's error is its reason, code and message (job.failedReason);
// BullMQ's stack of the parking throw says nothing about the request and buried it in Bull Board.
const DLQ_JOB_OPTIONS = Object.freeze({ removeOnComplete: true, removeOnFail: false, attempts: 1, stackTraceLimit: 0 });

/** What an action did to one entry: `done`/`dropped`/`gone` left the DLQ, `locked`/`refused`/`stale` stayed. */
type Outcome = 'done' | 'dropped' | 'gone' | 'locked' | 'refused' | 'stale';

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
    if (entries.length === 0) return 0;
    const placed = await Promise.all(entries.map(({ entry, key }) => this.#place(key, entry)));
    const fresh = placed.filter((p): p is { id: string; entry: DeadLetterEntry } => typeof p === 'object');
    if (fresh.length > 0) await this.queue.addBulk(fresh.map(({ id, entry }) => ({ name: entry.class, data: entry, opts: { ...DLQ_JOB_OPTIONS, jobId: id } })));
    return placed.filter((p) => p !== 'keep').length;
  }

  /** Entries currently dead-lettered (parked, or waiting to be parked). */
  async count(): Promise<number> {
    const counts = await this.queue.getJobCounts('failed', 'waiting', 'delayed', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /**
   * Streams entries, one page from Redis at a time: those not parked yet (waiting, delayed),
   * then the parked ones, each oldest first. An entry parked while the walk runs may be seen
   * twice (waiting, then parked); one moved back to waiting meanwhile (a Bull Board retry) may
   * be missed. Removing entries mid-walk is for {@link replay} and {@link purge}, which account
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
    const { transform, ratePerSecond, onDecision } = options;
    if (transform !== undefined && !this.#schema) throw new ConfigError('transform', `needs the schema to validate edited rows: new DeadLetterQueue('${this.schema}', redis, prefix, { schema })`);
    if (ratePerSecond !== undefined && !(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) throw new ConfigError('ratePerSecond', `must be a positive number, got ${ratePerSecond}`);
    const pacer = ratePerSecond === undefined ? undefined : new ReplayPacer(ratePerSecond);
    const refusals: DeadLetterRefusal[] = [];
    let dropped = 0;
    let refused = 0;
    let stale = 0;
    const { snapshot, enqueued, failedAgain } = replaySnapshot();
    const decide = async (record: DeadLetterRecord): Promise<ReplayDecision> => {
      const decision = await decideReplay(record, this.#schema, transform);
      if (decision.action === 'refuse') {
        refused++;
        if (refusals.length < MAX_REFUSALS) refusals.push({ id: decision.id, error: decision.error });
      }
      if (decision.action === 'stale') stale++;
      await onDecision?.(decision);
      return decision;
    };
    const act = async ({ id, state }: DeadLetterRecord): Promise<Outcome> => {
      const job = await this.queue.getJob(id);
      if (!job?.id) return 'gone';
      // An earlier replay enqueued it already and stopped short of the removal: finish that.
      if (await this.#replayed(job)) return removeQuietly(job);
      const decision = await decide({ id: job.id, state, entry: job.data });
      if (decision.action === 'refuse') return 'refused';
      if (decision.action === 'stale') return 'stale';
      if (decision.action === 'drop') {
        const outcome = await removeQuietly(job);
        if (outcome === 'done') dropped++;
        return outcome === 'done' ? 'dropped' : outcome;
      }
      await pacer?.wait();
      enqueued.add(replayJobId(job.id));
      await this.requeue(job, replayRow(decision));
      return removeQuietly(job);
    };
    const preview = async (record: DeadLetterRecord): Promise<void> => {
      if ((await decide(record)).action === 'drop') dropped++;
    };
    const result = await this.#bulk(options, act, preview, snapshot);
    return { ...result, dropped, refused, stale, refusals, failedAgain: failedAgain.size, failedAgainIds: [...failedAgain].slice(0, MAX_REFUSALS) };
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
    return this.#bulk(options, async ({ id }) => ((await this.queue.remove(id)) === 1 ? 'done' : 'locked'));
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

  /** Where a new failure goes: a fresh entry's id, or whether an existing entry took it (`merged`) or had it (`keep`). */
  async #place(key: string, entry: DeadLetterEntry): Promise<{ id: string; entry: DeadLetterEntry } | 'merged' | 'keep'> {
    const ids = [`d_${key}`, `d_${key}_${requestDigest(entry.request)}`];
    for (const id of ids) {
      const existing = await this.queue.getJob(id);
      if (!existing) return { id, entry };
      if (await this.#replayed(existing)) {
        // Its request was re-enqueued by a replay that stopped short of removing it: finish that, then enter this failure afresh.
        if ((await removeQuietly(existing)) === 'done') return { id, entry };
        continue;
      }
      const place = placeFailure(existing.data, entry);
      if (place === 'keep') return 'keep';
      if (place === 'merge') {
        try {
          await existing.updateData(mergeFailure(existing.data, entry));
          return 'merged';
        } catch {
          return { id, entry }; // removed meanwhile (replayed or purged): this failure needs a new entry
        }
      }
    }
    return { id: `${ids[1] as string}_${entry.sourceJobTimestamp ?? Date.now()}`, entry };
  }

  /** Walks the selection, acting on each page's entries concurrently, or previewing them in order on a dry run. */
  async #bulk(options: DeadLetterBulkOptions, act: (record: DeadLetterRecord) => Promise<Outcome>, preview?: (record: DeadLetterRecord) => Promise<void>, snapshot?: WalkSnapshot): Promise<DeadLetterBulkResult> {
    const pages = walkPages(this.queue, this.#redis, this.#pageSize, options, snapshot);
    let selected = 0;
    let done = 0;
    let skipped = 0;
    for (let step = await pages.next(); !step.done; ) {
      const page = step.value;
      selected += page.length;
      let left = 0;
      if (options.dryRun) {
        for (const record of page) await preview?.(record);
      } else {
        // One page at a time, its entries concurrently: the connection pipelines the round trips.
        const outcomes = await Promise.all(page.map((record) => act(record)));
        for (const outcome of outcomes) {
          if (outcome === 'done') done++;
          else if (outcome === 'gone' || outcome === 'locked') skipped++;
          if (outcome !== 'locked' && outcome !== 'refused' && outcome !== 'stale') left++;
        }
      }
      step = await pages.next(left);
    }
    return { selected, done, skipped };
  }
}

/** A job locked by a worker (being replayed right now) cannot be removed; that is not an error here. */
async function removeQuietly(job: Job): Promise<Outcome> {
  try {
    await job.remove();
    return 'done';
  } catch {
    return 'locked';
  }
}

function positiveInt(field: string, value: number): number {
  checkNumericOption(field, 'positive', value);
  return value;
}
