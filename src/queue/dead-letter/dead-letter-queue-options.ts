import type { Schema } from '../../core/schema.js';
import type { ValidationError } from '../../errors/validation-error.js';
import type { DeadLetterTransform, ReplayDecision } from './dead-letter-edit.js';
import type { DeadLetterScanOptions } from './dead-letter-walk.js';
import { SCHEMA_JOB_DEFAULTS } from '../job-options.js';

/** Options of {@link DeadLetterQueue}. */
export interface DeadLetterQueueOptions {
  /**
   * BullMQ attempts of a replayed job when its entry does not record its source job's own
   * `attempts` (entries written before it was recorded). Pass the producer's `jobAttempts`.
   * @defaultValue 25 (the producer's default)
   */
  jobAttempts?: number;
  /** Entries read from Redis per page by `entries()`, `list()`, `replay()` and `purge()`. @defaultValue 500 */
  pageSize?: number;
  /**
   * The schema the entries belong to. With it, every replayed row (edited or not, also from
   * Bull Board's "Retry") is validated before it is enqueued, and `replay({ transform })` works;
   * a row that does not fit is refused and stays in the DLQ. @defaultValue none: rows replay as stored
   */
  schema?: Schema;
  /**
   * The schema queue this DLQ belongs to: for a partitioned schema one partition's queue
   * (`partitionQueueName(schema, p, n)`, e.g. `orders#2`). The DLQ is `<queue>.dlq`, in the
   * queue's hash slot, and replays return there.
   * @defaultValue the schema's own queue (an unpartitioned schema)
   */
  queue?: string;
}

/** Defaults of {@link DeadLetterQueueOptions}. */
export const DEAD_LETTER_QUEUE_DEFAULTS = Object.freeze({ jobAttempts: SCHEMA_JOB_DEFAULTS.jobAttempts, pageSize: 500 });

/** Options of bulk DLQ operations. */
export interface DeadLetterBulkOptions extends DeadLetterScanOptions {
  /** Count what would be done without doing it. @defaultValue false */
  dryRun?: boolean;
}

/** Options of {@link DeadLetterQueue.replay}. */
export interface DeadLetterReplayOptions extends DeadLetterBulkOptions {
  /**
   * Edits each selected row before it is replayed, or drops the entry (`null`); the result is
   * validated against the schema (so the DLQ needs its `schema` option). Must be pure: a dry run
   * calls it too. @defaultValue none: rows replay as stored
   */
  transform?: DeadLetterTransform;
  /** Most entries enqueued per second, so a large replay does not flood a recovering sink. @defaultValue unlimited */
  ratePerSecond?: number;
  /** Called with what is done to each selected entry (also on a dry run, in walk order), e.g. to preview statements. */
  onDecision?: (decision: ReplayDecision) => void | Promise<void>;
}

/** An entry a replay refused: its (edited) request does not fit the schema. */
export interface DeadLetterRefusal {
  readonly id: string;
  /** Names the column (`error.column`) and the entry. */
  readonly error: ValidationError;
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

/** Outcome of a replay. */
export interface DeadLetterReplayResult extends DeadLetterBulkResult {
  /** Entries the transform dropped (removed without replaying; on a dry run, that would be). */
  readonly dropped: number;
  /** Entries left in the DLQ, unchanged, because their (edited) request does not fit the schema. */
  readonly refused: number;
  /**
   * Entries left in the DLQ, unchanged, because the version guard would skip them: on a schema
   * with a `versionColumn`, their row has no version (neither the edit, the stored row nor the
   * entry's recorded `version` gives one). Not counted in `done`.
   */
  readonly stale: number;
  /** The first refusals (at most 20), with the column each one names. */
  readonly refusals: readonly DeadLetterRefusal[];
  /**
   * Entries this call replayed that were back in the DLQ (they failed again) when the walk reached
   * them; a replay walks the entries there when it began, so it never replays them again in the
   * same call. Replays still in the queue when the call returns are not counted.
   */
  readonly failedAgain: number;
  /** The first of those entries' new ids (at most 20). */
  readonly failedAgainIds: readonly string[];
}
