// Driver options are validated once, in the constructor, with a message that names the field;
// constructing a driver opens no connection, and connection strings never leak into errors.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('constructing opens nothing (seen by a listening socket and the file system), and close() without use is fine', async () => {
    const accepted: string[] = [];
    const listener = createServer((socket) => {
      accepted.push('connection');
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    const dir = mkdtempSync(join(tmpdir(), 'bf-opens-nothing-'));
    const file = join(dir, 'x.db');
    try {
      const drivers = [
        new PostgresDriver({ connectionString: `postgres://u:p@127.0.0.1:${port}/app` }),
        new MySqlDriver({ connectionString: `mysql://u:p@127.0.0.1:${port}/app`, connectTimeoutMs: 1000 }),
        new SqliteDriver({ filename: file }),
      ];
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(accepted).toEqual([]);
      expect(existsSync(file)).toBe(false);
      // The observation can see a connection: the first use opens one.
      await drivers[0]?.ping().catch(() => undefined);
      await drivers[2]?.ping();
      expect(accepted.length).toBeGreaterThan(0);
      expect(existsSync(file)).toBe(true);
      for (const driver of drivers) await driver.close();
    } finally {
      listener.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
