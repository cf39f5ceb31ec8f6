import { BatchFlowError } from './batchflow-error.js';
import { isRetryableReason, type FailureReason } from './failure-reason.js';

/**
 * A write to a sink failed. Drivers classify the underlying error by its code
 * (SQLSTATE, errno, SQLite result code, Redis prefix, Node errno) into a
 * {@link FailureReason}; the consumer decides retry, breaker or bisection from it.
 */
export class SinkError extends BatchFlowError {
  /** Classification the pipeline acts on. */
  readonly reason: FailureReason;
  /** The driver-level code that was classified, e.g. `40P01`, `1213`, `SQLITE_BUSY`. */
  readonly sinkCode: string | undefined;

  constructor(reason: FailureReason, message: string, options: { cause?: unknown; sinkCode?: string } = {}) {
    super('ERR_SINK', message, { cause: options.cause });
    this.reason = reason;
    this.sinkCode = options.sinkCode;
  }

  /** Whether retrying the same batch may succeed (deadlock, lock timeout, timeout, I/O). */
  get retryable(): boolean {
    return isRetryableReason(this.reason);
  }
}
