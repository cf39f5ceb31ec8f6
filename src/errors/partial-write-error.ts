import { SinkError } from './sink-error.js';
import type { FailureReason } from './failure-reason.js';

/** One request of a batch that did not apply, with its own classified error. */
export interface RequestFailure {
  /** Position of the request in the batch given to `execute()`. */
  readonly index: number;
  readonly error: SinkError;
}

/**
 * Thrown by an executor whose sink is not atomic (Redis pipelines, MULTI/EXEC at run time, many
 * HTTP bulk APIs): every request of the batch **applied except those in `failures`**. The pipeline
 * never sends the applied ones again; it dead-letters failed requests with a data error (their
 * neighbours committed, so the sink is healthy) and holds the others for another try.
 *
 * Its own `reason` is the most severe of the failures', for logs and metrics.
 */
export class PartialWriteError extends SinkError {
  readonly failures: readonly RequestFailure[];

  constructor(reason: FailureReason, message: string, failures: readonly RequestFailure[], options: { cause?: unknown; sinkCode?: string } = {}) {
    super(reason, message, options);
    this.failures = failures;
  }
}
