// Real failures from the real servers, and the reason each driver gives them. The pipeline acts
// on `reason` (retry, breaker, bisect), so each one is provoked for real rather than faked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sinkErrorOf as failure } from '../helpers/sink-error.js';
import { MySqlDriver, PostgresDriver, Request, type SinkError, SqliteDriver, SQLSchema, type BatchExecutor, type Row } from '../../src/index.js';
import { dialect, MYSQL_URL, PG_URL, uniqueTable, type ColumnSpec, type DialectAdapter } from './sql-dialects.js';

const KV: Record<string, ColumnSpec> = { id: { type: 'int64', notNull: true }, name: { type: 'string', notNull: true }, email: { type: 'string' } };
const SECRET = 's3cret-Pa55';

function batch(table: string, rows: Row[]) {
  const schema = SQLSchema(table, 'update', { id: 'int64', name: 'string', email: 'string?' });
  return [schema, rows.map((row) => Request.fromRow(schema, row))] as const;
}

/** Tables and helpers shared by the PostgreSQL and MariaDB blocks. */
function serverSuite(db: DialectAdapter) {
  const tables: string[] = [];
  const ctx = {
    async table(): Promise<string> {
      const t = uniqueTable(`bf_err_${db.name}`);
      tables.push(t);
      await db.createTable(t, KV, ['id'], `UNIQUE (email)`);
      return t;
    },
  };
  beforeAll(() => db.open());
  afterEach(async () => {
    for (const t of tables.splice(0)) await db.dropTable(t);
  });
  afterAll(() => db.close());
  return ctx;
}

/** A second connection of the test's own, outside any driver. */
interface RawConnection {
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

/**
 * Two transactions take the same two rows in opposite order (a raw transaction against the
 * driver's key order). The other transaction changes many
 * rows first, so it is the heavier one (InnoDB's victim choice) and starts waiting later
 * (PostgreSQL's detector runs in the backend that has waited `deadlock_timeout` first): either way
 * the driver is the victim.
 */
async function provokeDeadlock(db: DialectAdapter, t: string, driver: BatchExecutor, other: RawConnection): Promise<SinkError> {
  const q = db.name === 'mysql' ? '`' : '"';
  const ids = Array.from({ length: 50 }, (_, i) => i + 1);
  await db.exec(`INSERT INTO ${q}${t}${q} (id, name) VALUES ${ids.map((id) => `(${id}, 'r')`).join(', ')}`);
  try {
    await other.query('BEGIN');
    await other.query(`UPDATE ${q}${t}${q} SET name = 'other' WHERE id >= 2`);
    // The driver writes in key order (1, then 2), whatever the batch's order.
    const [schema, requests] = batch(t, [{ id: 2n, name: 'driver' }, { id: 1n, name: 'driver' }]);
    const pending = failure(driver.execute(schema, requests)); // takes row 1, waits for row 2
    await sleep(300);
    const closing = other.query(`UPDATE ${q}${t}${q} SET name = 'other' WHERE id = 1`); // waits for row 1: a cycle
    const err = await pending;
    await closing;
    await other.query('ROLLBACK');
    return err;
  } finally {
    await other.end();
    await driver.close?.();
  }
}

/**
 * While another connection holds key 1 of `t` uncommitted, each driver writes that key and must
 * fail as expected. With `kill`, the waiting driver's connection is ended from outside instead.
 */
async function expectWhileKeyHeld(
  db: DialectAdapter,
  t: string,
  cases: readonly (readonly [BatchExecutor, Partial<Pick<SinkError, 'reason' | 'sinkCode'>>])[],
  kill?: () => Promise<void>,
): Promise<void> {
  const release = await db.holdKey!(t, 1);
  try {
    for (const [driver, expected] of cases) {
      const pending = failure(driver.execute(...batch(t, [{ id: 1n, name: 'x' }])));
      if (kill) {
        await sleep(300);
        await kill();
      }
      expect(await pending).toMatchObject(expected);
    }
  } finally {
    await release();
    for (const [driver] of cases) await driver.close?.();
  }
}

/** What {@link commonServerCases} needs to know about one server dialect. */
interface ServerCaseSpec {
  readonly db: DialectAdapter;
  readonly table: () => Promise<string>;
  readonly driver: (connectionString: string) => BatchExecutor;
  readonly url: string;
  readonly connect: () => Promise<RawConnection>;
  readonly codes: { readonly unique: string; readonly deadlock: string; readonly tooLong: string };
}

/** Cases PostgreSQL and MariaDB share, each with its own driver and error codes. */
function commonServerCases({ db, table, driver: make, url, connect, codes }: ServerCaseSpec) {
  const uniqueCode = codes.unique;
  const q = db.name === 'mysql' ? '`' : '"';

  it(`a deadlock is ${codes.deadlock} → deadlock`, async () => {
    const err = await provokeDeadlock(db, await table(), make(url), await connect());
    expect(err).toMatchObject({ reason: 'deadlock', sinkCode: codes.deadlock, retryable: true });
  });

  it(`a unique violation is ${uniqueCode} → non_retryable`, async () => {
    const t = await table();
    await db.exec(`INSERT INTO ${q}${t}${q} (id, name, email) VALUES (1, 'a', 'a@x'), (2, 'b', 'b@x')`);
    const driver = make(url);
    const err = await failure(driver.execute(...batch(t, [{ id: 1n, name: 'a', email: 'b@x' }]))); // moves row 1 onto row 2's email
    await driver.close?.();
    expect(err).toMatchObject({ reason: 'non_retryable', sinkCode: uniqueCode, retryable: false });
  });

  it.each(['declared', 'untyped'] as const)('a value too long for char(3)/varchar(3) fails (%s types), never truncated', async (typing) => {
    const t = await table();
    await db.exec(`DROP TABLE ${q}${t}${q}`);
    await db.exec(`CREATE TABLE ${q}${t}${q} (id bigint PRIMARY KEY, code char(3), v varchar(3))`);
    const schema = typing === 'declared' ? SQLSchema(t, 'ignore', { id: 'int64', code: 'string?', v: 'string?' }) : SQLSchema(t, 'ignore', ['id', 'code', 'v']);
    const driver = make(url);
    const tooLong = async (row: Row) => failure(driver.execute(schema, [Request.fromRow(schema, row)]));
    try {
      expect(await tooLong({ id: 1n, code: 'abcd', v: 'ok' })).toMatchObject({ reason: 'non_retryable', sinkCode: codes.tooLong });
      expect(await tooLong({ id: 2n, code: 'ok', v: 'abcd' })).toMatchObject({ reason: 'non_retryable', sinkCode: codes.tooLong });
      await driver.execute(schema, [Request.fromRow(schema, { id: 3n, code: 'abc', v: 'xyz' })]);
    } finally {
      await driver.close?.();
    }
  });

  it('connection refused → connection, and the password never shows', async () => {
    const refused = new URL(url);
    refused.port = '1';
    refused.password = SECRET;
    const driver = make(refused.toString());
    const err = await failure(driver.execute(...batch('anything', [{ id: 1n, name: 'x' }])));
    expect(err).toMatchObject({ reason: 'connection', sinkCode: 'ECONNREFUSED' });
    expect(await failure(driver.ping!())).toMatchObject({ reason: 'connection' });
    expect(`${err.message} ${String(err.cause)} ${err.stack}`).not.toContain(SECRET);
    await driver.close?.();
  });
}

const POSTGRES = await dialect('postgres');
const MYSQL = await dialect('mysql');

describe('PostgreSQL error classification', () => {
  const db = POSTGRES;
  const ctx = serverSuite(db);
  commonServerCases({
    db,
    table: () => ctx.table(),
    driver: (connectionString) => new PostgresDriver({ connectionString }),
    url: PG_URL,
    connect: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      return client;
    },
    codes: { unique: '23505', deadlock: '40P01', tooLong: '22001' },
  });

  it('statementTimeoutMs gives 57014 → timeout, lockTimeoutMs gives 55P03 → lock_timeout', async () => {
    await expectWhileKeyHeld(db, await ctx.table(), [
      [new PostgresDriver({ connectionString: PG_URL, statementTimeoutMs: 300 }), { reason: 'timeout', sinkCode: '57014' }],
      [new PostgresDriver({ connectionString: PG_URL, lockTimeoutMs: 300 }), { reason: 'lock_timeout', sinkCode: '55P03' }],
    ]);
  });

  it('a connection killed mid-batch is 57P01 → connection', async () => {
    const t = await ctx.table();
    await expectWhileKeyHeld(db, t, [[new PostgresDriver({ connectionString: PG_URL }), { reason: 'connection', sinkCode: '57P01' }]], () =>
      db.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO "${t}"%'`),
    );
  });
});

describe('MariaDB error classification', () => {
  const db = MYSQL;
  const ctx = serverSuite(db);
  commonServerCases({
    db,
    table: () => ctx.table(),
    driver: (connectionString) => new MySqlDriver({ connectionString }),
    url: MYSQL_URL,
    connect: () => mysql.createConnection({ uri: MYSQL_URL }),
    codes: { unique: '1062', deadlock: '1213', tooLong: '1406' },
  });
  /** A driver on a user pool whose connections run `statements` first (how a user sets session variables); close() ends the pool. */
  function poolWith(...statements: string[]): BatchExecutor {
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
    const driver = new MySqlDriver({
      pool: {
        async getConnection() {
          const connection = await pool.getConnection();
          for (const sql of statements) await connection.query(sql);
          return connection;
        },
      },
    });
    return { sink: driver.sink, execute: (schema, requests, signal) => driver.execute(schema, requests, signal), close: () => pool.end() };
  }

  it('max_statement_time gives 1969 → timeout, innodb_lock_wait_timeout gives 1205 → lock_timeout', async () => {
    await expectWhileKeyHeld(db, await ctx.table(), [
      [poolWith('SET SESSION max_statement_time = 0.5'), { reason: 'timeout', sinkCode: '1969' }],
      [poolWith('SET SESSION innodb_lock_wait_timeout = 1'), { reason: 'lock_timeout', sinkCode: '1205' }],
    ]);
  });

  it('a connection killed mid-batch → connection', async () => {
    const t = await ctx.table();
    await expectWhileKeyHeld(db, t, [[new MySqlDriver({ connectionString: MYSQL_URL }), { reason: 'connection' }]], async () => {
      const admin = await mysql.createConnection({ uri: MYSQL_URL });
      const [victims] = (await admin.query(`SELECT id FROM information_schema.processlist WHERE info LIKE '%\`${t}\`%' AND id <> CONNECTION_ID()`)) as unknown as [{ id: number }[]];
      for (const { id } of victims) await admin.query(`KILL CONNECTION ${Number(id)}`);
      await admin.end();
      expect(victims).toHaveLength(1);
    });
  });
});

describe('SQLite error classification', () => {
  let dir: string;
  let file: string;
  let admin: Database.Database;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchflow-sqlite-err-'));
    file = join(dir, 'test.db');
    admin = new Database(file);
    admin.pragma('journal_mode = WAL');
  });
  afterAll(() => {
    admin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a write lock held by another connection is SQLITE_BUSY → lock_timeout', async () => {
    const t = uniqueTable('bf_err_sqlite');
    admin.exec(`CREATE TABLE "${t}" (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE)`);
    const driver = new SqliteDriver({ filename: file, busyTimeoutMs: 0 });
    admin.exec('BEGIN IMMEDIATE');
    try {
      const err = await failure(driver.execute(...batch(t, [{ id: 1n, name: 'x' }])));
      expect(err).toMatchObject({ reason: 'lock_timeout', sinkCode: 'SQLITE_BUSY', retryable: true });
    } finally {
      admin.exec('ROLLBACK');
      await driver.close();
      admin.exec(`DROP TABLE "${t}"`);
    }
  });

  it('a unique violation is SQLITE_CONSTRAINT_UNIQUE → non_retryable', async () => {
    const t = uniqueTable('bf_err_sqlite');
    admin.exec(`CREATE TABLE "${t}" (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE)`);
    admin.exec(`INSERT INTO "${t}" VALUES (1, 'a', 'a@x'), (2, 'b', 'b@x')`);
    const driver = new SqliteDriver({ filename: file });
    const err = await failure(driver.execute(...batch(t, [{ id: 1n, name: 'a', email: 'b@x' }])));
    await driver.close();
    admin.exec(`DROP TABLE "${t}"`);
    expect(err).toMatchObject({ reason: 'non_retryable', sinkCode: 'SQLITE_CONSTRAINT_UNIQUE' });
  });

  it('a database that cannot be opened is SQLITE_CANTOPEN → connection', async () => {
    const directory = new SqliteDriver({ filename: dir }); // a directory, not a file
    expect(await failure(directory.ping())).toMatchObject({ reason: 'connection', sinkCode: 'SQLITE_CANTOPEN' });
    const missing = new SqliteDriver({ filename: join(dir, 'no', 'such', 'dir', 'x.db') });
    expect(await failure(missing.execute(...batch('t', [{ id: 1n, name: 'x' }])))).toMatchObject({ reason: 'connection' });
  });
});
