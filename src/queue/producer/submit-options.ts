import type { Request } from '../../core/request.js';
import type { Row, Schema } from '../../core/schema.js';
import type { SubmittedRow } from './checked-row.js';

/** Per-call options of `submit()` / `submitMany()`. */
export interface SubmitOptions {
  /** Aborts the call; checked before anything else, so an aborted call enqueues nothing. */
  signal?: AbortSignal;
  /**
   * Deduplicates a repeated submit of the same request: it becomes the BullMQ job id, so while
   * the job exists (waiting, active or delayed) another submit with the key is not enqueued again.
   * Such a job is removed as soon as it completes (see `keepCompletedJobs`), so the key is free again.
   * A keyed request travels alone in its job (also with packing, which it bypasses).
   */
  idempotencyKey?: string;
}

/**
 * What follows `submit()`'s first argument: only options after a `Request`; a row and options
 * after a schema (a typed one checks the row column by column, see `CheckedRow`); a row
 * checked at run time only after a schema's name. One signature rather than overloads, so that
 * a bad row's compile error is about its column, not about the last overload.
 */
export type SubmitArgs<A, T> = A extends Request ? [options?: SubmitOptions] : A extends Schema ? [row: SubmittedRow<A, T>, options?: SubmitOptions] : [row: Row, options?: SubmitOptions];

/** What follows `submitMany()`'s first argument, as {@link SubmitArgs} for many rows. */
export type SubmitManyArgs<A, T> = A extends readonly Request[]
  ? [options?: SubmitOptions]
  : A extends Schema
    ? [rows: ReadonlyArray<SubmittedRow<A, T>>, options?: SubmitOptions]
    : [rows: ReadonlyArray<Row>, options?: SubmitOptions];
