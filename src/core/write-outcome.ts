import type { SinkError } from '../errors/sink-error.js';

/** A request proven bad: it failed alone with a data error while the sink was shown healthy. */
export interface WriteFailure {
  /** Position of the request in the batch given to {@link BatchWriter.write}. */
  readonly index: number;
  readonly error: SinkError;
  /** Executor calls that included this request. */
  readonly attempts: number;
}

/** What became of a batch: every request not listed in `failures` committed. */
export interface WriteOutcome {
  readonly failures: readonly WriteFailure[];
}

/** Observers of each executor call; all optional and synchronous. */
export interface BatchWriterHooks {
  /** One executor call answered (`error`: what it failed with) for the batch `batchId`. */
  executed?(status: 'ok' | 'retry' | 'error', seconds: number, size: number, batchId?: string, error?: SinkError): void;
  /** A batch (or part of one) will be tried again after `delayMs`: a deadlock, or a failure that holds it. */
  retrying?(error: SinkError, attempt: number, delayMs: number, batchId: string | undefined): void;
}
