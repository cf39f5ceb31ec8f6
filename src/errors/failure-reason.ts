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
