import type { FailureReason } from '../../errors/failure-reason.js';
import { SinkError } from '../../errors/sink-error.js';
import { driverSinkError, fallbackReason, stringCode } from '../sql/classify.js';

/**
 * MySQL/MariaDB server and client error numbers. Only numbers that say the *row* is at fault are
 * `non_retryable` (they may lead to the dead-letter queue); every number not listed is `unknown`:
 * held while a probe write fails too, bisected once one succeeds (errno 1153, a row over
 * `max_allowed_packet`, is one; the driver refuses such rows before sending them anyway).
 */
export const MYSQL_ERRNOS: Readonly<Record<number, FailureReason>> = Object.freeze({
  // The row is at fault.
  1062: 'non_retryable', // ER_DUP_ENTRY (a unique index other than the schema's keys)
  1406: 'non_retryable', // ER_DATA_TOO_LONG
  1366: 'non_retryable', // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (incorrect integer/string value)
  1292: 'non_retryable', // ER_TRUNCATED_WRONG_VALUE (incorrect datetime value)
  1265: 'non_retryable', // WARN_DATA_TRUNCATED (strict mode)
  1264: 'non_retryable', // ER_WARN_DATA_OUT_OF_RANGE
  1048: 'non_retryable', // ER_BAD_NULL_ERROR (column cannot be null)
  1452: 'non_retryable', // ER_NO_REFERENCED_ROW_2 (foreign key: no parent)
  1451: 'non_retryable', // ER_ROW_IS_REFERENCED_2
  1216: 'non_retryable', // ER_NO_REFERENCED_ROW
  1217: 'non_retryable', // ER_ROW_IS_REFERENCED
  3819: 'non_retryable', // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
  4025: 'non_retryable', // ER_CONSTRAINT_FAILED (MariaDB CHECK)
  1367: 'non_retryable', // ER_ILLEGAL_VALUE_FOR_TYPE
  1411: 'non_retryable', // ER_WRONG_VALUE_FOR_TYPE
  1690: 'non_retryable', // ER_DATA_OUT_OF_RANGE
  // Retry the same batch.
  1213: 'deadlock', // ER_LOCK_DEADLOCK
  1614: 'deadlock', // ER_XA_RBDEADLOCK
  // Everything below holds the batch.
  1205: 'lock_timeout', // ER_LOCK_WAIT_TIMEOUT
  3572: 'lock_timeout', // ER_LOCK_NOWAIT
  1206: 'lock_timeout', // ER_LOCK_TABLE_FULL
  3024: 'timeout', // ER_QUERY_TIMEOUT (MySQL max_execution_time)
  1969: 'timeout', // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
  1317: 'timeout', // ER_QUERY_INTERRUPTED (KILL QUERY)
  1040: 'connection', // ER_CON_COUNT_ERROR (too many connections)
  1203: 'connection', // ER_TOO_MANY_USER_CONNECTIONS
  1053: 'connection', // ER_SERVER_SHUTDOWN
  1927: 'connection', // ER_CONNECTION_KILLED (MariaDB)
  4031: 'connection', // ER_CLIENT_INTERACTION_TIMEOUT (MySQL)
  1047: 'connection', // ER_UNKNOWN_COM_ERROR: Galera node not ready (WSREP has not yet prepared node)
  1129: 'connection', // ER_HOST_IS_BLOCKED
  2002: 'connection', // CR_CONNECTION_ERROR
  2003: 'connection', // CR_CONN_HOST_ERROR
  2006: 'connection', // CR_SERVER_GONE_ERROR
  2013: 'connection', // CR_SERVER_LOST
  2026: 'auth', // CR_SSL_CONNECTION_ERROR
  1045: 'auth', // ER_ACCESS_DENIED_ERROR: waits for an operator, must not dead-letter rows
  1044: 'auth', // ER_DBACCESS_DENIED_ERROR
  1142: 'auth', // ER_TABLEACCESS_DENIED_ERROR
  1143: 'auth', // ER_COLUMNACCESS_DENIED_ERROR
  1130: 'auth', // ER_HOST_NOT_PRIVILEGED
  1227: 'auth', // ER_SPECIFIC_ACCESS_DENIED_ERROR
  1290: 'read_only', // ER_OPTION_PREVENTS_STATEMENT (--read-only / --super-read-only after a failover)
  1836: 'read_only', // ER_READ_ONLY_MODE
  1792: 'read_only', // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  3100: 'read_only', // ER_RUN_HOOK_ERROR: Group Replication refused the commit (member not primary/online)
  1054: 'schema', // ER_BAD_FIELD_ERROR (unknown column): the table drifted
  1146: 'schema', // ER_NO_SUCH_TABLE
  1364: 'schema', // ER_NO_DEFAULT_FOR_FIELD: a NOT NULL column the schema does not write
  1021: 'io', // ER_DISK_FULL
  1114: 'io', // ER_RECORD_FILE_FULL (table is full)
  1026: 'io', // ER_ERROR_ON_WRITE
  1030: 'io', // ER_GET_ERRNO (storage engine error)
  1037: 'io', // ER_OUTOFMEMORY
  1038: 'io', // ER_OUT_OF_SORTMEMORY
  1041: 'io', // ER_OUT_OF_RESOURCES
  1180: 'io', // ER_ERROR_DURING_COMMIT
  3098: 'io', // ER_BINLOG_UNSAFE / cache errors on commit
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
    return driverSinkError('mysql', err, MYSQL_ERRNOS[errno] ?? 'unknown', String(errno));
  }
  const reason = (code !== undefined ? MYSQL_CLIENT_CODES[code] : undefined) ?? fallbackReason(err);
  return driverSinkError('mysql', err, reason, code);
}
