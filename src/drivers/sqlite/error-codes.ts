import type { FailureReason } from '../../errors/failure-reason.js';
import { SinkError } from '../../errors/sink-error.js';
import { driverSinkError, fallbackReason, stringCode } from '../sql/classify.js';

/**
 * SQLite result codes, by exact (extended) code first and then by primary code
 * (`SQLITE_IOERR_WRITE` → `SQLITE_IOERR`). Only codes that say the *row* is at fault are
 * `non_retryable`; every code not listed is `unknown`, which holds the batch like a sick sink.
 */
export const SQLITE_RESULT_CODES: Readonly<Record<string, FailureReason>> = Object.freeze({
  SQLITE_CONSTRAINT: 'non_retryable', // unique, NOT NULL, CHECK, foreign key (every extended code)
  SQLITE_MISMATCH: 'non_retryable', // datatype mismatch (STRICT tables, rowid)
  SQLITE_TOOBIG: 'non_retryable', // a value over SQLITE_MAX_LENGTH
  SQLITE_BUSY: 'lock_timeout', // another connection holds the write lock past busy_timeout
  SQLITE_LOCKED: 'lock_timeout', // a conflicting lock within the same connection / shared cache
  SQLITE_PROTOCOL: 'lock_timeout', // WAL lock race: retrying succeeds
  SQLITE_INTERRUPT: 'timeout',
  SQLITE_IOERR: 'io',
  SQLITE_FULL: 'io', // disk or quota full
  SQLITE_NOMEM: 'io',
  SQLITE_NOLFS: 'io',
  SQLITE_CANTOPEN: 'connection', // the file cannot be opened: the sink is unreachable
  SQLITE_READONLY: 'read_only', // read-only file or mount: waits for an operator
  SQLITE_PERM: 'auth',
  SQLITE_AUTH: 'auth',
  SQLITE_CORRUPT: 'io', // unusable database: hold the jobs in the queue, do not dead-letter them
  SQLITE_NOTADB: 'io',
  SQLITE_ERROR: 'schema', // no such table or column: the table drifted, no row is at fault
  SQLITE_SCHEMA: 'schema',
});

/**
 * Classifies a better-sqlite3 error by its result `code` (never its message) into a
 * {@link SinkError}; anything else (a bind `TypeError`, say) by the shared fallback.
 *
 * @example
 * ```ts
 * try { statement.run(params) } catch (err) { throw classifySqliteError(err) }
 * ```
 */
export function classifySqliteError(err: unknown): SinkError {
  if (err instanceof SinkError) return err;
  const code = stringCode(err);
  if (code?.startsWith('SQLITE_')) {
    const primary = code.split('_', 2).join('_');
    return driverSinkError('sqlite', err, SQLITE_RESULT_CODES[code] ?? SQLITE_RESULT_CODES[primary] ?? 'unknown', code);
  }
  return driverSinkError('sqlite', err, fallbackReason(err), code);
}
