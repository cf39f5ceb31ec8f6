import { classifyNodeErrno } from '../../core/classify-node-error.js';
import type { FailureReason } from '../../errors/failure-reason.js';
import { SinkError } from '../../errors/sink-error.js';
import { driverSinkError, fallbackReason, stringCode } from '../sql/classify.js';

/**
 * SQLSTATE codes by exact code, checked before {@link POSTGRES_SQLSTATE_CLASSES}. Only codes that
 * say the *row* is at fault are `non_retryable` (they may lead to the dead-letter queue); every
 * code neither table lists is `unknown`: held while a probe write fails too, bisected once one succeeds.
 */
export const POSTGRES_SQLSTATES: Readonly<Record<string, FailureReason>> = Object.freeze({
  '40P01': 'deadlock', // deadlock_detected
  '40001': 'deadlock', // serialization_failure: retry the whole transaction, like a deadlock
  '55P03': 'lock_timeout', // lock_not_available (lock_timeout, NOWAIT)
  '57014': 'timeout', // query_canceled (statement_timeout)
  '57P01': 'connection', // admin_shutdown
  '57P02': 'connection', // crash_shutdown
  '57P03': 'connection', // cannot_connect_now (starting up, recovery)
  '57P05': 'connection', // idle_session_timeout
  '53300': 'connection', // too_many_connections: the server is there but will not take us yet
  '25006': 'read_only', // read_only_sql_transaction: a standby after failover, default_transaction_read_only
  '42501': 'auth', // insufficient_privilege: waits for an operator's GRANT
  '53100': 'io', // disk_full
  '53200': 'io', // out_of_memory
  '58030': 'io', // io_error
});

/** Reasons for whole SQLSTATE classes (the first two characters), checked after exact codes. */
export const POSTGRES_SQLSTATE_CLASSES: Readonly<Record<string, FailureReason>> = Object.freeze({
  '22': 'non_retryable', // data_exception: value too long, invalid text, out of range, bad encoding
  '23': 'non_retryable', // integrity_constraint_violation: unique, not null, check, foreign key, exclusion
  '08': 'connection', // connection_exception
  '28': 'auth', // invalid_authorization_specification, invalid_password
  '42': 'schema', // undefined table or column, datatype mismatch: the table drifted, no row is at fault
  '53': 'io', // insufficient_resources
  '58': 'io', // system_error (external to PostgreSQL)
  '57': 'connection', // operator_intervention (shutdowns; 57014 is listed above)
  '40': 'deadlock', // transaction_rollback
});

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Classifies a node-postgres error by its SQLSTATE `code` (never its message) into a
 * {@link SinkError}; Node socket errors by `errno`; a code-less client error (connection
 * terminated) as `connection`.
 *
 * @example
 * ```ts
 * try { await client.query(sql) } catch (err) { throw classifyPostgresError(err) }
 * ```
 */
export function classifyPostgresError(err: unknown): SinkError {
  if (err instanceof SinkError) return err;
  const code = stringCode(err);
  // Node errno names such as EPIPE are also five capitals: they are not SQLSTATEs.
  if (code !== undefined && SQLSTATE.test(code) && classifyNodeErrno(err) === undefined) {
    const reason = POSTGRES_SQLSTATES[code] ?? POSTGRES_SQLSTATE_CLASSES[code.slice(0, 2)] ?? 'unknown';
    return driverSinkError('postgres', err, reason, code);
  }
  return driverSinkError('postgres', err, fallbackReason(err), code);
}
