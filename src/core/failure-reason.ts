/**
 * Why a batch write failed, as classified from the driver's error code.
 * - `deadlock`, `lock_timeout`, `timeout`, `io`: transient; retry the whole batch with backoff.
 * - `connection`: the sink is unreachable; open the circuit breaker, dead-letter nothing.
 * - `non_retryable`: the data is bad (constraint, type, too long); bisect and dead-letter the bad requests.
 * - `context`: the operation was aborted by its caller; not retried.
 */
export type FailureReason = 'deadlock' | 'lock_timeout' | 'timeout' | 'connection' | 'io' | 'non_retryable' | 'context';

/** Every {@link FailureReason}, for label sets and exhaustive tests. */
export const FAILURE_REASONS: readonly FailureReason[] = Object.freeze([
  'deadlock',
  'lock_timeout',
  'timeout',
  'connection',
  'io',
  'non_retryable',
  'context',
]);

const RETRYABLE: ReadonlySet<FailureReason> = new Set(['deadlock', 'lock_timeout', 'timeout', 'io']);

/** True for reasons where the same batch may succeed if simply retried. */
export function isRetryableReason(reason: FailureReason): boolean {
  return RETRYABLE.has(reason);
}
