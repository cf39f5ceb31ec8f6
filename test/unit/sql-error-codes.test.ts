// The code tables behind each SQL driver's classification, for codes the integration suite
// cannot provoke on demand (disk full, admin shutdown, …). Classification reads codes only.
import { describe, expect, it } from 'vitest';
import { SinkError } from '../../src/index.js';
import { toSinkError } from '../../src/core/classify-node-error.js';
import { classifyMySqlError } from '../../src/drivers/mysql/error-codes.js';
import { classifyPostgresError } from '../../src/drivers/postgres/error-codes.js';
import { classifySqliteError } from '../../src/drivers/sqlite/error-codes.js';
import { failureAction } from '../../src/errors/failure-reason.js';

/** An error shaped like the client library's, with a message that must not matter. */
function coded(fields: Record<string, unknown>, message = 'deadlock detected; connection lost; timeout'): Error {
  return Object.assign(new Error(message), fields);
}

describe('classifyPostgresError', () => {
  it.each([
    ['40P01', 'deadlock'],
    ['40001', 'deadlock'],
    ['55P03', 'lock_timeout'],
    ['57014', 'timeout'],
    ['08006', 'connection'],
    ['08001', 'connection'],
    ['57P01', 'connection'],
    ['57P03', 'connection'],
    ['53100', 'io'],
    ['58030', 'io'],
    ['57P05', 'connection'],
    ['53300', 'connection'],
    ['25006', 'read_only'],
    ['28000', 'auth'],
    ['28P01', 'auth'],
    ['42501', 'auth'],
    ['53200', 'io'],
    ['42P01', 'schema'],
    ['42703', 'schema'],
    ['42804', 'schema'],
    ['23505', 'non_retryable'],
    ['23502', 'non_retryable'],
    ['23503', 'non_retryable'],
    ['23514', 'non_retryable'],
    ['22001', 'non_retryable'],
    ['22P02', 'non_retryable'],
    ['22003', 'non_retryable'],
    ['XX000', 'unknown'],
    ['0A000', 'unknown'],
    ['P0001', 'unknown'],
  ])('SQLSTATE %s → %s', (code, reason) => {
    const err = classifyPostgresError(coded({ code }));
    expect(err).toBeInstanceOf(SinkError);
    expect(err).toMatchObject({ reason, sinkCode: code });
  });

  it('Node socket errors by errno (EPIPE is not a SQLSTATE), code-less client errors as connection', () => {
    expect(classifyPostgresError(coded({ code: 'EPIPE' })).reason).toBe('connection');
    expect(classifyPostgresError(coded({ code: 'ECONNRESET' })).reason).toBe('connection');
    expect(classifyPostgresError(new Error('Connection terminated unexpectedly')).reason).toBe('connection');
    expect(classifyPostgresError(coded({ code: 'ENOENT' })).reason).toBe('connection'); // Unix socket gone during a restart
    expect(classifyPostgresError(coded({ code: 'CERT_HAS_EXPIRED' })).reason).toBe('auth');
    expect(classifyPostgresError(coded({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })).reason).toBe('auth');
    expect(classifyPostgresError(new TypeError('bug')).reason).toBe('unknown'); // holds: no evidence against the row
  });

  it('keeps the original error as cause and passes SinkErrors through', () => {
    const original = coded({ code: '40P01' });
    expect(classifyPostgresError(original).cause).toBe(original);
    const sink = new SinkError('io', 'x');
    expect(classifyPostgresError(sink)).toBe(sink);
  });
});

describe('classifyMySqlError', () => {
  it.each([
    [1213, 'deadlock'],
    [1205, 'lock_timeout'],
    [3024, 'timeout'],
    [1969, 'timeout'],
    [1040, 'connection'],
    [1053, 'connection'],
    [2013, 'connection'],
    [1021, 'io'],
    [1062, 'non_retryable'],
    [1406, 'non_retryable'],
    [1366, 'non_retryable'],
    [1048, 'non_retryable'],
    [1452, 'non_retryable'],
    [1292, 'non_retryable'],
    [1264, 'non_retryable'],
    [3819, 'non_retryable'],
    [4025, 'non_retryable'],
    [1290, 'read_only'],
    [1836, 'read_only'],
    [1792, 'read_only'],
    [3100, 'read_only'],
    [1047, 'connection'],
    [1927, 'connection'],
    [1045, 'auth'],
    [1142, 'auth'],
    [2026, 'auth'],
    [1114, 'io'],
    [1054, 'schema'],
    [1146, 'schema'],
    [1364, 'schema'],
    [1105, 'unknown'],
    [9999, 'unknown'],
  ])('errno %i → %s', (errno, reason) => {
    expect(classifyMySqlError(coded({ errno, code: 'ER_WHATEVER' }))).toMatchObject({ reason, sinkCode: String(errno) });
  });

  it('client codes and Node errno', () => {
    expect(classifyMySqlError(coded({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))).toMatchObject({ reason: 'connection', sinkCode: 'PROTOCOL_CONNECTION_LOST' });
    expect(classifyMySqlError(coded({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' })).reason).toBe('timeout');
    expect(classifyMySqlError(coded({ code: 'ECONNREFUSED', errno: -111 }))).toMatchObject({ reason: 'connection', sinkCode: 'ECONNREFUSED' });
    expect(classifyMySqlError(new Error('Pool is closed.')).reason).toBe('connection');
    // mysql2's connect timeout: the server never answered, which holds the batch like any outage.
    expect(classifyMySqlError(coded({ code: 'ETIMEDOUT', errorno: 'ETIMEDOUT' })).reason).toBe('connection');
    expect(classifyMySqlError(coded({ code: 'ENOENT', errno: -2 })).reason).toBe('connection'); // Unix socket during a restart
    expect(classifyMySqlError(coded({ code: 'HANDSHAKE_NO_SSL_SUPPORT' })).reason).toBe('unknown');
  });
});

describe('classifySqliteError', () => {
  it.each([
    ['SQLITE_BUSY', 'lock_timeout'],
    ['SQLITE_BUSY_SNAPSHOT', 'lock_timeout'],
    ['SQLITE_LOCKED', 'lock_timeout'],
    ['SQLITE_IOERR', 'io'],
    ['SQLITE_IOERR_WRITE', 'io'],
    ['SQLITE_FULL', 'io'],
    ['SQLITE_CANTOPEN', 'connection'],
    ['SQLITE_READONLY', 'read_only'],
    ['SQLITE_READONLY_DBMOVED', 'read_only'],
    ['SQLITE_PERM', 'auth'],
    ['SQLITE_CORRUPT', 'io'],
    ['SQLITE_NOTADB', 'io'],
    ['SQLITE_NOMEM', 'io'],
    ['SQLITE_INTERRUPT', 'timeout'],
    ['SQLITE_CONSTRAINT_FOREIGNKEY', 'non_retryable'],
    ['SQLITE_CONSTRAINT_PRIMARYKEY', 'non_retryable'],
    ['SQLITE_TOOBIG', 'non_retryable'],
    ['SQLITE_RANGE', 'unknown'],
    ['SQLITE_MISUSE', 'unknown'],
    ['SQLITE_CONSTRAINT_UNIQUE', 'non_retryable'],
    ['SQLITE_CONSTRAINT_NOTNULL', 'non_retryable'],
    ['SQLITE_CONSTRAINT_CHECK', 'non_retryable'],
    ['SQLITE_MISMATCH', 'non_retryable'],
    ['SQLITE_ERROR', 'schema'],
  ])('%s → %s', (code, reason) => {
    expect(classifySqliteError(coded({ code }))).toMatchObject({ reason, sinkCode: code });
  });

  it('a bind TypeError is unknown, which holds: values were validated before, so it is no evidence against the row', () => {
    expect(classifySqliteError(new TypeError('SQLite3 can only bind numbers, strings, bigints, buffers, and null')).reason).toBe('unknown');
  });
});

describe('toSinkError (custom executors)', () => {
  it.each([
    [new TypeError('fetch failed', { cause: coded({ code: 'ECONNREFUSED' }) }), 'connection', 'ECONNREFUSED'],
    [new TypeError('fetch failed', { cause: coded({ code: 'UND_ERR_CONNECT_TIMEOUT' }) }), 'connection', 'UND_ERR_CONNECT_TIMEOUT'],
    [new Error('wrapped', { cause: new Error('mid', { cause: coded({ code: 'CERT_HAS_EXPIRED' }) }) }), 'auth', 'CERT_HAS_EXPIRED'],
    [coded({ code: 'ENOSPC' }), 'io', 'ENOSPC'],
    [coded({ code: 'EROFS' }), 'read_only', 'EROFS'],
    [coded({ code: 'E_SOMETHING_ELSE' }), 'unknown', 'E_SOMETHING_ELSE'],
    [new Error('no code at all'), 'unknown', undefined],
  ])('%s → %s', (err, reason, sinkCode) => {
    expect(toSinkError(err)).toMatchObject({ reason, sinkCode });
  });

  it('only an explicit data error can reach the DLQ', () => {
    expect(failureAction('non_retryable')).toBe('bisect');
    for (const reason of ['lock_timeout', 'timeout', 'connection', 'io', 'read_only', 'auth', 'schema', 'unknown'] as const) expect(failureAction(reason)).toBe('hold');
    expect(failureAction('deadlock')).toBe('retry');
  });
});
