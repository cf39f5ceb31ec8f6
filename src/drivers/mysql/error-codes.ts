import type { FailureReason } from '../../core/failure-reason.js';
import { SinkError } from '../../errors/sink-error.js';
import { driverSinkError, fallbackReason, stringCode } from '../sql/classify.js';

/**
 * MySQL/MariaDB server and client error numbers that are not `non_retryable`. Everything else —
 * duplicate key (1062), data too long (1406), incorrect value (1366), column cannot be null (1048),
 * foreign key (1452), check constraint (3819, 4025), unknown column (1054) — is bad data or a bad
 * schema, which no retry fixes.
 */
export const MYSQL_ERRNOS: Readonly<Record<number, FailureReason>> = Object.freeze({
  1213: 'deadlock', // ER_LOCK_DEADLOCK
  1205: 'lock_timeout', // ER_LOCK_WAIT_TIMEOUT
  3572: 'lock_timeout', // ER_LOCK_NOWAIT
  3024: 'timeout', // ER_QUERY_TIMEOUT (MySQL max_execution_time)
  1969: 'timeout', // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
  1317: 'timeout', // ER_QUERY_INTERRUPTED (KILL QUERY)
  1040: 'connection', // ER_CON_COUNT_ERROR (too many connections)
  1203: 'connection', // ER_TOO_MANY_USER_CONNECTIONS
  1053: 'connection', // ER_SERVER_SHUTDOWN
  1927: 'connection', // ER_CONNECTION_KILLED (MariaDB)
  4031: 'connection', // ER_CLIENT_INTERACTION_TIMEOUT (MySQL)
  1045: 'connection', // ER_ACCESS_DENIED_ERROR: waits for an operator, must not dead-letter rows
  1129: 'connection', // ER_HOST_IS_BLOCKED
  1130: 'connection', // ER_HOST_NOT_PRIVILEGED
  1836: 'connection', // ER_READ_ONLY_MODE: a replica after failover, until the primary is back
  2002: 'connection', // CR_CONNECTION_ERROR
  2003: 'connection', // CR_CONN_HOST_ERROR
  2006: 'connection', // CR_SERVER_GONE_ERROR
  2013: 'connection', // CR_SERVER_LOST
  1021: 'io', // ER_DISK_FULL
  1114: 'io', // ER_RECORD_FILE_FULL (table is full)
  1026: 'io', // ER_ERROR_ON_WRITE
  1030: 'io', // ER_GET_ERRNO (storage engine error)
  1037: 'io', // ER_OUTOFMEMORY
  1041: 'io', // ER_OUT_OF_RESOURCES
  1180: 'io', // ER_ERROR_DURING_COMMIT
});

/** mysql2's own client-side error codes (it sets no errno for these). */
export const MYSQL_CLIENT_CODES: Readonly<Record<string, FailureReason>> = Object.freeze({
  PROTOCOL_CONNECTION_LOST: 'connection',
  PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR: 'connection',
  PROTOCOL_ENQUEUE_AFTER_QUIT: 'connection',
  PROTOCOL_ENQUEUE_HANDSHAKE_TWICE: 'connection',
  PROTOCOL_SEQUENCE_TIMEOUT: 'timeout',
});

/**
 * Classifies a mysql2 error by its server `errno` or client `code` (never its message) into a
 * {@link SinkError}; Node socket errors by `errno`; a code-less client error as `connection`.
 *
 * @example
 * ```ts
 * try { await conn.query(sql, [rows]) } catch (err) { throw classifyMySqlError(err) }
 * ```
 */
export function classifyMySqlError(err: unknown): SinkError {
  if (err instanceof SinkError) return err;
  const errno = (err as { errno?: unknown } | null)?.errno;
  const code = stringCode(err);
  // Server errors carry a positive errno; socket errors a negative one next to their Node code.
  if (typeof errno === 'number' && errno > 0) {
    return driverSinkError('mysql', err, MYSQL_ERRNOS[errno] ?? 'non_retryable', String(errno));
  }
  const reason = (code !== undefined ? MYSQL_CLIENT_CODES[code] : undefined) ?? fallbackReason(err);
  return driverSinkError('mysql', err, reason, code);
}
