// The code tables behind each SQL driver's classification, for codes the integration suite
// cannot provoke on demand (disk full, admin shutdown, …). Classification reads codes only.
import { describe, expect, it } from 'vitest';
import { classifyMySqlError, classifyPostgresError, classifySqliteError, SinkError } from '../../src/index.js';

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
    ['23505', 'non_retryable'],
    ['23502', 'non_retryable'],
    ['22001', 'non_retryable'],
    ['42P01', 'non_retryable'],
  ])('SQLSTATE %s → %s', (code, reason) => {
    const err = classifyPostgresError(coded({ code }));
    expect(err).toBeInstanceOf(SinkError);
    expect(err).toMatchObject({ reason, sinkCode: code });
  });

  it('Node socket errors by errno (EPIPE is not a SQLSTATE), code-less client errors as connection', () => {
    expect(classifyPostgresError(coded({ code: 'EPIPE' })).reason).toBe('connection');
    expect(classifyPostgresError(coded({ code: 'ECONNRESET' })).reason).toBe('connection');
    expect(classifyPostgresError(new Error('Connection terminated unexpectedly')).reason).toBe('connection');
    expect(classifyPostgresError(new TypeError('bug')).reason).toBe('non_retryable');
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
  ])('errno %i → %s', (errno, reason) => {
    expect(classifyMySqlError(coded({ errno, code: 'ER_WHATEVER' }))).toMatchObject({ reason, sinkCode: String(errno) });
  });

  it('client codes and Node errno', () => {
    expect(classifyMySqlError(coded({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))).toMatchObject({ reason: 'connection', sinkCode: 'PROTOCOL_CONNECTION_LOST' });
    expect(classifyMySqlError(coded({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' })).reason).toBe('timeout');
    expect(classifyMySqlError(coded({ code: 'ECONNREFUSED', errno: -111 }))).toMatchObject({ reason: 'connection', sinkCode: 'ECONNREFUSED' });
    expect(classifyMySqlError(new Error('Pool is closed.')).reason).toBe('connection');
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
    ['SQLITE_CONSTRAINT_UNIQUE', 'non_retryable'],
    ['SQLITE_CONSTRAINT_NOTNULL', 'non_retryable'],
    ['SQLITE_CONSTRAINT_CHECK', 'non_retryable'],
    ['SQLITE_MISMATCH', 'non_retryable'],
    ['SQLITE_ERROR', 'non_retryable'],
  ])('%s → %s', (code, reason) => {
    expect(classifySqliteError(coded({ code }))).toMatchObject({ reason, sinkCode: code });
  });

  it('a bind TypeError is bad data, not a lost connection', () => {
    expect(classifySqliteError(new TypeError('SQLite3 can only bind numbers, strings, bigints, buffers, and null')).reason).toBe('non_retryable');
  });
});
