// Driver options are validated once, in the constructor, with a message that names the field;
// constructing a driver opens no connection, and connection strings never leak into errors.
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  MYSQL_DRIVER_DEFAULTS,
  MySqlDriver,
  POSTGRES_DRIVER_DEFAULTS,
  PostgresDriver,
  SQLITE_DRIVER_DEFAULTS,
  SqliteDriver,
} from '../../src/index.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const SECRET_URL = 'postgres://u:hunter2@db.internal:5432/app';

describe('SQL driver options', () => {
  it('defaults are frozen', () => {
    for (const defaults of [POSTGRES_DRIVER_DEFAULTS, MYSQL_DRIVER_DEFAULTS, SQLITE_DRIVER_DEFAULTS]) expect(Object.isFrozen(defaults)).toBe(true);
  });

  it('exactly one connection source, and the connection string is never echoed', () => {
    expect(configError(() => new PostgresDriver({})).message).toMatch(/exactly one of pool or connectionString \(got none\)/);
    const both = configError(() => new PostgresDriver({ connectionString: SECRET_URL, pool: { connect: async () => ({ query: async () => ({ rows: [] }), release: () => undefined }) } }));
    expect(both.message).toMatch(/got pool and connectionString/);
    expect(both.message).not.toContain('hunter2');
    expect(configError(() => new MySqlDriver({ connectionString: '' })).field).toBe('MySqlDriverOptions.connectionString');
    expect(configError(() => new SqliteDriver({ filename: 'a.db', database: {} as never })).field).toBe('SqliteDriverOptions');
  });

  it('names the offending field', () => {
    expect(configError(() => new PostgresDriver({ connectionString: SECRET_URL, poolSize: 0 })).field).toBe('PostgresDriverOptions.poolSize');
    expect(configError(() => new PostgresDriver({ connectionString: SECRET_URL, statementTimeoutMs: 1.5 })).field).toBe('PostgresDriverOptions.statementTimeoutMs');
    expect(configError(() => new MySqlDriver({ connectionString: 'mysql://x', maxStatementBytes: 10 })).field).toBe('MySqlDriverOptions.maxStatementBytes');
    expect(configError(() => new SqliteDriver({ filename: 'a.db', timestampFormat: 'unix' as never })).field).toBe('SqliteDriverOptions.timestampFormat');
    expect(configError(() => new SqliteDriver({ filename: 'a.db', maxRowsPerStatement: -1 })).field).toBe('SqliteDriverOptions.maxRowsPerStatement');
  });

  it('constructing opens nothing, and close() without use is fine', async () => {
    for (const driver of [new PostgresDriver({ connectionString: SECRET_URL }), new MySqlDriver({ connectionString: 'mysql://u:p@db.internal/app' }), new SqliteDriver({ filename: '/nonexistent/dir/x.db' })]) {
      await driver.close();
    }
  });
});
