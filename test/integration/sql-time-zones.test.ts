// Conformance, time: every instant written through a SQL driver reads back exactly, on servers
// whose zone is not UTC (a MariaDB started with --default-time-zone=+05:30, a PostgreSQL
// database with TimeZone America/New_York), from a user's pool whose session is in a third zone,
// and from a process in a fourth. Instants are generated (fast-check): milliseconds, pre-1970,
// DST transitions, far future, each column type's whole range.
process.env.TZ = 'America/St_Johns'; // -03:30 / -02:30, and a pre-1935 offset with seconds

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MySqlDriver, PostgresDriver, Request, SqliteDriver, SQLSchema, type BatchExecutor } from '../../src/index.js';
import { MARIADB_SERVER_ZONE, nonUtcMariaDb, nonUtcPostgres, PG_SERVER_ZONE } from '../helpers/non-utc-servers.js';
import { pgQuery } from '../helpers/pg.js';
import type { PrivateMariaDb } from '../helpers/private-mariadb.js';
import { sinkErrorOf } from '../helpers/sink-error.js';

const RUNS = 12;
const HOUR = 3_600_000;

/** Instants where zone arithmetic goes wrong first. */
const SPECIAL = [
  '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '1970-01-01T00:00:01.000Z',
  '2024-03-10T06:59:59.999Z', '2024-03-10T07:00:00.000Z', // New York springs forward
  '2024-11-03T05:30:00.000Z', '2024-11-03T06:00:00.000Z', // New York falls back (01:30 happens twice)
  '1883-11-18T17:00:00.000Z', '1900-01-01T00:00:00.000Z', '1942-09-01T00:00:00.000Z', // LMT, railway time, war time
  '2000-02-29T12:34:56.789Z', '2038-01-19T03:14:07.999Z', '9999-12-31T23:59:59.999Z',
  '1000-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z',
].map((iso) => new Date(iso));

/** Lists of up to 30 instants in [min, max], mixing uniform ones, special ones and their neighbours. */
function instantLists(min: Date, max: Date): fc.Arbitrary<Date[]> {
  const inRange = SPECIAL.filter((d) => d >= min && d <= max);
  const near = fc
    .tuple(fc.constantFrom(...inRange), fc.integer({ min: -3 * HOUR, max: 3 * HOUR }))
    .map(([d, offset]) => new Date(d.getTime() + offset))
    .filter((d) => d >= min && d <= max);
  const recent = fc.date({ min: new Date(Math.max(min.getTime(), Date.UTC(1900, 0))), max: new Date(Math.min(max.getTime(), Date.UTC(2100, 0))), noInvalidDate: true });
  const any = fc.date({ min, max, noInvalidDate: true });
  return fc.array(fc.oneof(any, recent, fc.constantFrom(...inRange), near), { minLength: 1, maxLength: 30 });
}

/** One table of (id, at): how to empty it and read back `[id, epoch ms]` exactly, in id order. */
interface TimeTable {
  clear(): Promise<void>;
  read(): Promise<[string, number][]>; // in any order
}

/** Writes each list as one batch through `driver` (declared and untyped schema alike) and reads it back. */
async function roundTrips(driver: BatchExecutor, table: string, target: TimeTable, min: Date, max: Date): Promise<void> {
  const declared = SQLSchema(table, 'replace', { id: 'int64', at: 'timestamp' });
  const untyped = SQLSchema(table, 'replace', ['id', 'at']);
  await fc.assert(
    fc.asyncProperty(instantLists(min, max), fc.boolean(), async (instants, typed) => {
      await target.clear();
      const schema = typed ? declared : untyped;
      await driver.execute(schema, instants.map((at, i) => Request.fromRow(schema, { id: BigInt(i + 1), at })));
      const read = (await target.read()).sort(([a], [b]) => Number(a) - Number(b));
      expect(read).toEqual(instants.map((at, i) => [String(i + 1), at.getTime()]));
    }),
    { numRuns: RUNS, examples: [[SPECIAL.filter((d) => d >= min && d <= max), true]] },
  );
}

describe('PostgreSQL, TimeZone America/New_York', () => {
  let db: { url: string; drop: () => Promise<void> };
  // A user's pool whose sessions run in yet another zone than the server's and the process's.
  let userPool: pg.Pool;
  beforeAll(async () => {
    db = await nonUtcPostgres();
    userPool = new pg.Pool({ connectionString: db.url, max: 2, options: '-c TimeZone=Asia/Kolkata' });
  });
  afterAll(async () => {
    await userPool?.end();
    await db?.drop();
  });

  it('the database, the user pool and the process really run in three zones other than UTC', async () => {
    expect(new Date('2024-01-01T00:00:00.000Z').getTimezoneOffset()).toBe(210); // St John's, winter
    expect((await pgQuery<{ TimeZone: string }>('SHOW TimeZone', [], db.url))[0]?.TimeZone).toBe(PG_SERVER_ZONE);
    expect((await userPool.query<{ TimeZone: string }>('SHOW TimeZone')).rows[0]?.TimeZone).toBe('Asia/Kolkata');
  });

  const MIN = new Date('-004000-01-01T00:00:00.000Z');
  const MAX = new Date('+275000-01-01T00:00:00.000Z');

  it.each([
    ['timestamptz', 'own'],
    ['timestamptz', 'user'],
    ['timestamp', 'own'],
    ['timestamp', 'user'],
    ['timestamp(3)', 'own'],
  ] as const)('%s, %s pool: every instant reads back exactly (timestamp holds the UTC wall time)', async (type, pool) => {
    const table = `bf_tz_${Math.random().toString(36).slice(2, 8)}`;
    await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, at ${type})`, [], db.url);
    const driver = pool === 'own' ? new PostgresDriver({ connectionString: db.url }) : new PostgresDriver({ pool: userPool });
    try {
      // `extract(epoch …)` of a timestamp reads its wall time as UTC: exactly the stored UTC wall time.
      const target: TimeTable = {
        clear: async () => void (await pgQuery(`DELETE FROM ${table}`, [], db.url)),
        read: async () =>
          (await pgQuery<{ id: string; ms: string }>(`SELECT id::text AS id, (extract(epoch FROM at) * 1000)::text AS ms FROM ${table} ORDER BY id`, [], db.url)).map((r) => [r.id, Number(r.ms)]),
      };
      await roundTrips(driver, table, target, MIN, MAX);
      if (type === 'timestamp') {
        // What a SQL user of the table sees: the UTC wall time, whatever their session's zone.
        await driver.execute(SQLSchema(table, 'replace', { id: 'int64', at: 'timestamp' }), [Request.fromRow(SQLSchema(table, 'replace', { id: 'int64', at: 'timestamp' }), { id: 99n, at: new Date('2024-07-01T12:00:00.000Z') })]);
        const [row] = await pgQuery<{ at: string }>(`SELECT at::text AS at FROM ${table} WHERE id = 99`, [], db.url);
        expect(row?.at).toBe('2024-07-01 12:00:00');
      }
    } finally {
      await driver.close();
      await pgQuery(`DROP TABLE IF EXISTS ${table}`, [], db.url);
    }
  });
});

describe('MariaDB, --default-time-zone=+05:30', () => {
  let server: PrivateMariaDb;
  beforeAll(async () => {
    server = await nonUtcMariaDb();
  });
  afterAll(async () => {
    await server?.remove();
  });
  it('the server runs at +05:30', async () => {
    expect(await server.query('SELECT @@global.time_zone AS tz, @@global.sql_mode AS mode')).toEqual([{ tz: MARIADB_SERVER_ZONE, mode: 'NO_ENGINE_SUBSTITUTION' }]);
  });
  const table = () => `bf_tz_${Math.random().toString(36).slice(2, 8)}`;
  /** A user's pool; with `utc`, set up as the docs say. */
  function userPool(utc: boolean): mysql.Pool {
    const pool = mysql.createPool({ uri: server.rootUrl, connectionLimit: 2 });
    if (utc) pool.on('connection', (c) => void (c as unknown as mysql.Connection).query("SET time_zone = '+00:00'"));
    return pool;
  }
  // Zone-free reads: a TIMESTAMP's stored instant, and a DATETIME's wall time taken as UTC.
  const readSql = (t: string, timestamp: boolean) =>
    timestamp
      ? `SELECT CAST(id AS CHAR) AS id, CAST(UNIX_TIMESTAMP(at) * 1000 AS CHAR) AS ms FROM ${t} ORDER BY id`
      : `SELECT CAST(id AS CHAR) AS id, CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', at) DIV 1000 AS CHAR) AS ms FROM ${t} ORDER BY id`;

  it.each([
    ['TIMESTAMP(3)', 'own', ''],
    ['TIMESTAMP(3)', 'user', ''],
    ['DATETIME(3)', 'own', ''],
    ['DATETIME(3)', 'user', ''],
    // Another unique index sends the batch through the key-only merge (SELECT … FOR UPDATE, UPDATE … JOIN, INSERT).
    ['TIMESTAMP(3)', 'own', ', other BIGINT NULL UNIQUE'],
    ['DATETIME(3)', 'user', ', other BIGINT NULL UNIQUE'],
  ] as const)('%s, %s pool%s: every instant in the type\'s range reads back exactly', async (type, pool, extra) => {
    const t = table();
    const timestamp = type.startsWith('TIMESTAMP');
    await server.query(`CREATE TABLE ${t} (id BIGINT PRIMARY KEY, at ${type} NULL DEFAULT NULL${extra})`);
    const users = pool === 'user' ? userPool(true) : undefined;
    const driver = users ? new MySqlDriver({ pool: users }) : new MySqlDriver({ connectionString: server.rootUrl });
    try {
      const target: TimeTable = {
        clear: async () => void (await server.query(`DELETE FROM ${t}`)),
        read: async () => (await server.query<{ id: string; ms: string }[]>(readSql(t, timestamp))).map((r) => [r.id, Number(r.ms)]),
      };
      const [min, max] = timestamp
        ? [new Date('1970-01-01T00:00:01.000Z'), new Date('2038-01-19T03:14:07.999Z')]
        : [new Date('1000-01-01T00:00:00.000Z'), new Date('9999-12-31T23:59:59.999Z')];
      await roundTrips(driver, t, target, min, max);
    } finally {
      await driver.close();
      await users?.end();
      await server.query(`DROP TABLE IF EXISTS ${t}`);
    }
  });

  it("a user's pool whose session is not UTC: batches are held (reason schema) and nothing is written; ping fails too", async () => {
    const t = table();
    await server.query(`CREATE TABLE ${t} (id BIGINT PRIMARY KEY, at TIMESTAMP(3) NULL DEFAULT NULL)`);
    const users = userPool(false);
    const driver = new MySqlDriver({ pool: users });
    try {
      const schema = SQLSchema(t, 'replace', { id: 'int64', at: 'timestamp' });
      const err = await sinkErrorOf(driver.execute(schema, [Request.fromRow(schema, { id: 1n, at: new Date('2024-01-01T00:00:00.000Z') })]));
      expect(err.reason).toBe('schema');
      expect(err.message).toContain('+05:30');
      expect((await sinkErrorOf(driver.ping())).reason).toBe('schema');
      expect(await server.query<unknown[]>(`SELECT * FROM ${t}`)).toEqual([]);
      // The pool is still the user's, and still works.
      expect(Number(((await users.query('SELECT 1 AS one'))[0] as { one: unknown }[])[0]?.one)).toBe(1);
    } finally {
      await driver.close();
      await users.end();
      await server.query(`DROP TABLE IF EXISTS ${t}`);
    }
  });

  it('a TIMESTAMP outside 1970–2038 fails as bad data (non_retryable), never stored as a different instant', async () => {
    const t = table();
    await server.query(`CREATE TABLE ${t} (id BIGINT PRIMARY KEY, at TIMESTAMP(3) NULL DEFAULT NULL)`);
    const driver = new MySqlDriver({ connectionString: server.rootUrl });
    try {
      const schema = SQLSchema(t, 'replace', { id: 'int64', at: 'timestamp' });
      for (const at of [new Date('1969-12-31T23:59:59.000Z'), new Date('2040-01-01T00:00:00.000Z')]) {
        const err = await sinkErrorOf(driver.execute(schema, [Request.fromRow(schema, { id: 1n, at })]));
        expect(err.reason).toBe('non_retryable');
      }
      expect(await server.query<unknown[]>(`SELECT * FROM ${t}`)).toEqual([]);
    } finally {
      await driver.close();
      await server.query(`DROP TABLE IF EXISTS ${t}`);
    }
  });

  it("on a server without STRICT_TRANS_TABLES, the driver's own pool still fails a value too long as bad data", async () => {
    const t = table();
    await server.query(`CREATE TABLE ${t} (id BIGINT PRIMARY KEY, name VARCHAR(5))`);
    const driver = new MySqlDriver({ connectionString: server.rootUrl });
    try {
      const schema = SQLSchema(t, 'replace', { id: 'int64', name: 'string' });
      const err = await sinkErrorOf(driver.execute(schema, [Request.fromRow(schema, { id: 1n, name: 'ok' }), Request.fromRow(schema, { id: 2n, name: 'too long' })]));
      expect(err.reason).toBe('non_retryable');
      expect(err.sinkCode).toBe('1406');
      expect(await server.query<unknown[]>(`SELECT * FROM ${t}`)).toEqual([]);
    } finally {
      await driver.close();
      await server.query(`DROP TABLE IF EXISTS ${t}`);
    }
  });
});

describe('SQLite', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bf-sqlite-tz-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const MIN = new Date(-8.64e15);
  const MAX = new Date(8.64e15);

  it.each([
    ['TEXT', 'iso'],
    ['DATETIME', 'iso'],
    ['INTEGER', 'epoch_ms'],
    ['DATETIME', 'epoch_ms'],
  ] as const)('%s column, timestampFormat %s: every instant JavaScript has reads back exactly', async (type, timestampFormat) => {
    const file = join(dir, `${type}-${timestampFormat}.db`);
    const admin = new Database(file);
    admin.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, at ${type})`);
    const driver = new SqliteDriver({ filename: file, timestampFormat });
    try {
      const target: TimeTable = {
        clear: async () => void admin.exec('DELETE FROM t'),
        read: async () =>
          (admin.prepare('SELECT id, at FROM t ORDER BY id').all() as { id: number; at: string | number }[]).map((r) => [
            String(r.id),
            typeof r.at === 'string' ? Date.parse(r.at) : Number(r.at),
          ]),
      };
      await roundTrips(driver, 't', target, MIN, MAX);
      const stored = admin.prepare('SELECT typeof(at) AS kind FROM t LIMIT 1').get() as { kind: string };
      expect(stored.kind).toBe(timestampFormat === 'iso' ? 'text' : 'integer');
    } finally {
      await driver.close();
      admin.close();
    }
  });
});
