import type { EncodedValue } from '../core/codec.js';
import type { DeliveryId } from '../core/delivery.js';

/**
 * Why an entry was dead-lettered:
 * - `non_retryable`: the sink rejected this request (constraint, type, value too long), isolated by bisection;
 * - `retry_exhausted`: a retryable failure (deadlock, timeout, …) persisted through `maxAttempts` on this request alone;
 * - `undecodable`: the job payload could not be read (bad format version or values);
 * - `unknown_schema`: the job names a schema this consumer does not serve;
 * - `queue_failed`: BullMQ itself failed the job (its `jobAttempts` ran out on a non-sink error,
 *   or, on an exactly-once schema, it stalled more than `maxStalledCount` times and the ledger
 *   shows the row did not commit); moved here by the failed-job sweeper;
 * - `queue_stalled`: BullMQ failed the job after it stalled (a worker died or lost its lock while
 *   holding it), on a schema that cannot tell whether the row committed (at-least-once): the row
 *   is *not known to have failed*, and a replay may write it a second time.
 */
export type DeadLetterClass = 'non_retryable' | 'retry_exhausted' | 'undecodable' | 'unknown_schema' | 'queue_failed' | 'queue_stalled';

/** Every {@link DeadLetterClass}, e.g. for a CLI's choices. */
export const DEAD_LETTER_CLASSES: readonly DeadLetterClass[] = Object.freeze(['non_retryable', 'retry_exhausted', 'undecodable', 'unknown_schema', 'queue_failed', 'queue_stalled']);

/** One dead-lettered request, as stored in the schema's DLQ (job data, readable in Bull Board). */
export interface DeadLetterEntry {
  readonly schema: string;
  /** The original request as encoded in its job; for undecodable jobs, the raw job data. */
  readonly request: Readonly<Record<string, EncodedValue>> | unknown;
  readonly class: DeadLetterClass;
  /** The failure reason (e.g. `non_retryable`, `deadlock`, `decode`). */
  readonly reason: string;
  /** The sink's own code (SQLSTATE, errno, SQLite code), when there was one. */
  readonly errorCode: string | null;
  readonly message: string;
  /** Executor calls (or deliveries) that included this request, summed over replays. */
  readonly attempts: number;
  /** ISO-8601 time of the first failure, kept across replays. */
  readonly firstFailedAt: string;
  /** ISO-8601 time of the latest failure. */
  readonly lastFailedAt: string;
  /** Id of the job the request came from. */
  readonly sourceJobId: string | null;
  /**
   * Creation time (ms) of that job. A job redelivered after a crash keeps it, a resubmit under the
   * same idempotency key (same job id) gets a new one, so the DLQ tells a repeat of the same
   * failure (kept once) from a new failure (merged into the entry). Absent on older entries.
   */
  readonly sourceJobTimestamp?: number;
  /** The source job's `attempts` option (the producer's `jobAttempts`), reused by a replay. Absent on older entries. */
  readonly jobAttempts?: number;
  /** Times this request was replayed from the DLQ before this failure. */
  readonly replays: number;
  /**
   * The request's delivery identity: the id it had in the job it was first submitted in (that
   * job's delivery source and the row's position), kept by every replay, so an exactly-once
   * ledger skips a replay of a request that committed. Absent on older entries and raw job data.
   */
  readonly origin?: DeliveryId;
  /**
   * The row's version when it was dead-lettered (schemas with a `versionColumn`), as encoded. A
   * replay whose edit leaves the version column out (or NULL) replays with it. Absent on older entries.
   */
  readonly version?: EncodedValue;
  /** The W3C traceparent its producer recorded (`tracing: true`); a replay carries it on, so its batch links to the original request. Absent when not traced. */
  readonly traceparent?: string;
}

/** History carried by a replayed job so a repeat failure keeps its first failure time and counts. */
export interface ReplayHistory {
  readonly attempts: number;
  readonly firstFailedAt: string;
  readonly replays: number;
}
