/**
 * Why a batch write failed, as classified from the driver's error code (never its message).
 *
 * What the pipeline does with each reason follows one rule: **the dead-letter queue is for bad
 * data, never for a sick sink.** See {@link failureAction}.
 * - `non_retryable`: the *request* is at fault (constraint, type, value too long). The batch is
 *   bisected; a request that fails alone while the sink commits its neighbours (or answers a
 *   probe) is dead-lettered.
 * - `deadlock`: a serialization or deadlock failure; the same batch is retried with backoff.
 * - every other reason *holds* the batch: `lock_timeout`, `timeout`, `connection`, `io`
 *   (disk full, out of memory), `read_only` (a replica after failover), `auth` (credentials,
 *   TLS), `schema` (undefined table or column: the table drifted, no request is at fault),
 *   `unknown` (a code no table lists). Backoff grows to a cap, the circuit breaker opens after
 *   a streak, consumption pauses, and nothing is dead-lettered.
 * - except that `unknown` is decided by the sink's health (see {@link isContentSuspect}): when a
 *   probe write succeeds right after it, a healthy sink raised it for this content, and it is
 *   bisected like `non_retryable`. An error nothing gets past still holds.
 * - `context`: the caller aborted the operation (shutdown); nothing is decided.
 */
export type FailureReason =
  | 'non_retryable'
  | 'deadlock'
  | 'lock_timeout'
  | 'timeout'
  | 'connection'
  | 'io'
  | 'read_only'
  | 'auth'
  | 'schema'
  | 'unknown'
  | 'context';

/** What the pipeline does with a failure: bisect and dead-letter, retry, hold the batch, or stop. */
export type FailureAction = 'bisect' | 'retry' | 'hold' | 'abort';

/** The action for a reason. Only `non_retryable` can ever lead to the dead-letter queue. */
export function failureAction(reason: FailureReason): FailureAction {
  switch (reason) {
    case 'non_retryable':
      return 'bisect';
    case 'deadlock':
      return 'retry';
    case 'context':
      return 'abort';
    default:
      return 'hold';
  }
}

/** True for reasons where the same batch may succeed later: everything but bad data and aborts. */
export function isRetryableReason(reason: FailureReason): boolean {
  const action = failureAction(reason);
  return action === 'retry' || action === 'hold';
}

/**
 * True for a reason that says nothing about who is at fault (a code no table lists): the batch is
 * bisected when a probe write right after it succeeds (a healthy sink refused this content, e.g.
 * SQLSTATE 21000 or MySQL errno 1153), and held when the probe fails too (a sick sink).
 */
export function isContentSuspect(reason: FailureReason): boolean {
  return reason === 'unknown';
}
