// Conformance, column types users have: a declared `string` into char(n), varchar(n), citext,
// numeric/decimal, uuid, json/jsonb and enums; the schema check accepts each, values round-trip
// exactly, a value the type rejects fails as bad data (non_retryable) and writes nothing, and
// through a consumer it is dead-lettered alone while its neighbours commit. Keys the database
// compares differently from JavaScript (case-insensitive collations, citext, padded char(n)).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSinkSchemas } from '../../src/drivers/check-schemas.js';
import type { SinkConfig } from '../../src/drivers/sink-definition.js';
import { BatchConsumer, MySqlDriver, PostgresDriver, Producer, Request, SqliteDriver, SQLSchema, type BatchExecutor, type ConflictStrategy } from '../../src/index.js';
import { useCleanups } from '../helpers/cleanups.js';
import { PG_URL, pgQuery } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';
import { sinkErrorOf } from '../helpers/sink-error.js';
import { MYSQL_URL, uniqueTable } from './sql-dialects.js';

const defer = useCleanups();

/** One dialect as this file needs it: raw SQL, a driver, and values read back as text. */
interface Db {
  readonly name: 'postgres' | 'mysql' | 'sqlite';
  readonly sink: SinkConfig;
  exec(sql: string): Promise<void>;
  /** `[id, v as text]` in id order. */
  texts(table: string, column?: string): Promise<[string, string | null][]>;
  driver(): BatchExecutor;
}

let mysqlPool: mysql.Pool;
let sqliteDir: string;
let sqlite: Database.Database;
beforeAll(() => {
  mysqlPool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
  sqliteDir = mkdtempSync(join(tmpdir(), 'bf-types-'));
  sqlite = new Database(join(sqliteDir, 'types.db'));
});
afterAll(async () => {
  await mysqlPool.end();
  sqlite.close();
  rmSync(sqliteDir, { recursive: true, force: true });
});

const POSTGRES: Db = {
  name: 'postgres',
  sink: { type: 'postgres', url: PG_URL },
  exec: async (sql) => void (await pgQuery(sql)),
  texts: async (t, column = 'id') =>
    (await pgQuery<{ id: string; v: string | null }>(`SELECT ${column}::text AS id, v::text AS v FROM ${t} ORDER BY ${t}.${column}`)).map((r) => [r.id, r.v]),
  driver: () => new PostgresDriver({ connectionString: PG_URL }),
};
const MYSQL: Db = {
  name: 'mysql',
  sink: { type: 'mysql', url: MYSQL_URL },
  exec: async (sql) => void (await mysqlPool.query(sql)),
  texts: async (t, column = 'id') =>
    ((await mysqlPool.query(`SELECT CAST(${column} AS CHAR) AS id, CAST(v AS CHAR) AS v FROM ${t} ORDER BY ${t}.${column}`))[0] as { id: string; v: string | null }[]).map((r) => [r.id, r.v]),
  driver: () => new MySqlDriver({ connectionString: MYSQL_URL }),
};
const SQLITE: Db = {
  name: 'sqlite',
  sink: { type: 'sqlite', filename: join(tmpdir(), 'unused') },
  exec: async (sql) => void sqlite.exec(sql),
  texts: async (t, column = 'id') =>
    (sqlite.prepare(`SELECT CAST(${column} AS TEXT) AS id, v FROM ${t} ORDER BY ${column}`).all() as { id: string; v: string | null }[]).map((r) => [r.id, r.v]),
  driver: () => new SqliteDriver({ database: sqlite }),
};

/** A column type, the strings it stores (and how they read back), and strings it rejects with a code. */
interface TypeCase {
  readonly type: string;
  readonly setup?: (name: string) => string;
  readonly good: readonly (readonly [written: string, read: string])[];
  readonly bad: readonly (readonly [value: string, code: string])[];
}

const same = (...values: string[]) => values.map((v) => [v, v] as const);
const DECIMAL = '12345678901234567890.0123456789';
const UUID = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11';

const CASES: Record<Db['name'], readonly TypeCase[]> = {
  postgres: [
    { type: 'char(5)', good: same('ab', 'abcde'), bad: [['abcdef', '22001']] },
    { type: 'varchar(5)', good: same('abcde', 'é☃x'), bad: [['abcdef', '22001']] },
    { type: 'citext', setup: () => 'CREATE EXTENSION IF NOT EXISTS citext', good: same('MiXeD', ''), bad: [] },
    { type: 'numeric(30,10)', good: [[DECIMAL, DECIMAL], ['-0.0000000001', '-0.0000000001'], ['7', '7.0000000000']], bad: [['abc', '22P02'], ['1e30', '22003']] },
    { type: 'numeric', good: same('3.141592653589793238462643383279502884197', '-1e-20'.replace('-1e-20', '-0.00000000000000000001')), bad: [['NaNa', '22P02']] },
    { type: 'uuid', good: [[UUID, UUID.toLowerCase()]], bad: [['nope', '22P02']] },
    { type: 'jsonb', good: [['{"b": 1, "a": [1, 2.50]}', '{"a": [1, 2.50], "b": 1}']], bad: [['{', '22P02']] },
    { type: 'json', good: same('{"b":1,  "a":2}', '[]'), bad: [['[', '22P02']] },
    { type: 'ENUM', setup: (name) => `CREATE TYPE ${name} AS ENUM ('sad', 'happy')`, good: same('happy', 'sad'), bad: [['angry', '22P02']] },
  ],
  mysql: [
    { type: 'CHAR(5)', good: same('ab', 'abcde'), bad: [['abcdef', '1406']] },
    { type: 'VARCHAR(5)', good: same('abcde', 'é☃x'), bad: [['abcdef', '1406']] },
    { type: 'DECIMAL(30,10)', good: [[DECIMAL, DECIMAL], ['-0.0000000001', '-0.0000000001'], ['7', '7.0000000000']], bad: [['abc', '1366'], ['1e30', '1264']] },
    { type: 'UUID', good: [[UUID, UUID.toLowerCase()]], bad: [['nope', '1292']] },
    { type: 'JSON', good: same('{"b":1,  "a":2}', '[]'), bad: [['{', '4025']] },
    { type: "ENUM('sad','happy')", good: same('happy', 'sad'), bad: [['angry', '1265']] },
  ],
  sqlite: [
    // SQLite enforces no length: a VARCHAR(5) keeps the whole string.
    { type: 'VARCHAR(5)', good: same('abcdef', 'é☃x'), bad: [] },
    { type: 'TEXT', good: same(DECIMAL, UUID, '{"b":1,  "a":2}'), bad: [] },
  ],
};

describe.each([POSTGRES, MYSQL, SQLITE])('column types: $name', (db) => {
  /** A fresh table (id, v <type>), dropped after the test; an enum type is created under its own name. */
  async function table(typeCase: TypeCase): Promise<string> {
    const t = uniqueTable(`bf_types_${db.name}`);
    let type = typeCase.type;
    if (typeCase.setup) {
      await db.exec(typeCase.setup(`${t}_enum`));
      if (type === 'ENUM') type = `${t}_enum`;
    }
    await db.exec(`CREATE TABLE ${t} (id BIGINT PRIMARY KEY, v ${type})`);
    defer(async () => {
      await db.exec(`DROP TABLE IF EXISTS ${t}`);
      if (type !== typeCase.type) await db.exec(`DROP TYPE IF EXISTS ${type}`);
    });
    return t;
  }
  const sink = (): SinkConfig => (db.name === 'sqlite' ? { type: 'sqlite', filename: sqlite.name } : db.sink);

  it.each(CASES[db.name])('$type: the schema check accepts a string column; values round-trip exactly; a rejected value fails alone as bad data', async (typeCase) => {
    const t = await table(typeCase);
    const driver = db.driver();
    defer(() => driver.close?.());
    for (const conflict of ['update', 'ignore'] as const satisfies readonly ConflictStrategy[]) {
      const schema = SQLSchema(t, conflict, { id: 'int64', v: 'string?' });
      const [diff] = await checkSinkSchemas(sink(), [{ schema }]);
      expect(diff?.problems ?? []).toEqual([]);
    }
    const schema = SQLSchema(t, 'update', { id: 'int64', v: 'string?' });
    const good = typeCase.good.map(([v], i) => Request.fromRow(schema, { id: BigInt(i + 1), v }));
    await driver.execute(schema, [...good, Request.fromRow(schema, { id: 999n, v: null })]);
    await driver.execute(schema, good); // the conflict path writes them once more, unchanged
    const expected: [string, string | null][] = [...typeCase.good.map(([, read], i) => [String(i + 1), read] as [string, string]), ['999', null]];
    expect(await db.texts(t)).toEqual(expected);
    for (const [value, code] of typeCase.bad) {
      const rows = [{ id: 100n, v: typeCase.good[0]?.[0] ?? null }, { id: 101n, v: value }, { id: 1n, v: null }];
      const err = await sinkErrorOf(driver.execute(schema, rows.map((row) => Request.fromRow(schema, row))));
      expect({ value, reason: err.reason, code: err.sinkCode }).toEqual({ value, reason: 'non_retryable', code });
      expect(await db.texts(t)).toEqual(expected);
    }
  });

  it.runIf(db.name === 'sqlite')('SQLite: the schema check refuses a string into a NUMERIC/DECIMAL column (its affinity would turn a decimal into a float)', async () => {
    const t = await table({ type: 'DECIMAL(30,10)', good: [], bad: [] });
    const [diff] = await checkSinkSchemas(sink(), [{ schema: SQLSchema(t, 'update', { id: 'int64', v: 'string' }) }]);
    expect(diff?.problems.map((p) => p.kind)).toEqual(['type-mismatch']);
  });
});

describe.each([POSTGRES, MYSQL])('through a consumer: $name', (db) => {
  it('a value too long for its varchar(5) is dead-lettered alone, with its code, and its neighbours commit', async () => {
    const t = uniqueTable(`bf_types_dlq_${db.name}`);
    await db.exec(`CREATE TABLE ${t} (id BIGINT PRIMARY KEY, v VARCHAR(5))`);
    defer(() => db.exec(`DROP TABLE IF EXISTS ${t}`));
    const schema = SQLSchema(t, 'update', { id: 'int64', v: 'string' });
    const prefix = uniquePrefix('types');
    const driver = db.driver();
    const consumer = new BatchConsumer({ connection: REDIS_URL, schema, executor: driver, prefix, flushSize: 50, flushIntervalMs: 100 });
    const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
    defer(async () => {
      await producer.close();
      await consumer.close();
      await driver.close?.();
      await deletePrefix(prefix);
    });
    await producer.submitMany(schema, Array.from({ length: 30 }, (_, i) => ({ id: BigInt(i + 1), v: i === 16 ? 'too long' : `r${i + 1}` })));
    const landed = async () => (await db.texts(t)).length;
    expect(await waitFor(async () => (await landed()) === 29 && (await consumer.dlq.count()) === 1, 60_000, 100)).toBe(true);
    const [dead] = await consumer.dlq.list();
    expect({ request: dead?.entry.request, code: dead?.entry.errorCode }).toEqual({
      request: { id: { $int64: '17' }, v: 'too long' },
      code: db.name === 'postgres' ? '22001' : '1406',
    });
    expect((await db.texts(t)).map(([id]) => id)).not.toContain('17');
  });
});

describe('keys the database compares differently from JavaScript', () => {
  /** A table keyed on `k <type>`, with an int `v`. */
  async function keyed(db: Db, type: string, setup?: string): Promise<string> {
    const t = uniqueTable(`bf_keys_${db.name}`);
    if (setup) await db.exec(setup);
    await db.exec(`CREATE TABLE ${t} (k ${type} PRIMARY KEY, v INT)`);
    defer(() => db.exec(`DROP TABLE IF EXISTS ${t}`));
    return t;
  }
  async function write(db: Db, t: string, conflict: ConflictStrategy, batches: readonly (readonly (readonly [string, number])[])[]): Promise<void> {
    const schema = SQLSchema(t, conflict, { k: 'string', v: 'int32' }, { keys: ['k'] });
    const driver = db.driver();
    try {
      for (const rows of batches) await driver.execute(schema, rows.map(([k, v]) => Request.fromRow(schema, { k, v })));
    } finally {
      await driver.close?.();
    }
  }
  const values = async (db: Db, t: string) => (await db.texts(t, 'k')).map(([k, v]) => [k, Number(v)]);

  it.each(['update', 'replace', 'ignore'] as const)("MySQL's default case-insensitive collation: abc and ABC are one row, in separate batches and in one (%s)", async (conflict) => {
    for (const batches of [[[['abc', 1]], [['ABC', 2]]], [[['abc', 1], ['ABC', 2]]]] as const) {
      const t = await keyed(MYSQL, 'VARCHAR(20)');
      await write(MYSQL, t, conflict, batches);
      expect(await values(MYSQL, t)).toEqual([['abc', conflict === 'ignore' ? 1 : 2]]);
    }
  });

  it('PostgreSQL citext key: spellings in separate batches merge on the one row', async () => {
    const t = await keyed(POSTGRES, 'citext', 'CREATE EXTENSION IF NOT EXISTS citext');
    await write(POSTGRES, t, 'update', [[['abc', 1]], [['ABC', 2]]]);
    expect(await values(POSTGRES, t)).toEqual([['abc', 2]]);
  });

  // Both spellings in ONE batch would reach one ON CONFLICT DO UPDATE twice (SQLSTATE 21000): the
  // driver writes keys the database may equate in separate statements, the later one last.
  it.each([
    ['citext', 'citext', ['abc', 'ABC'], 'CREATE EXTENSION IF NOT EXISTS citext'],
    ['char(3) (padded)', 'char(3)', ['a', 'a  '], undefined],
  ] as const)('PostgreSQL %s key, both spellings in one batch: the later row wins', async (_, type, [first, second], setup) => {
    const t = await keyed(POSTGRES, type, setup);
    await write(POSTGRES, t, 'update', [[[first, 1], [second, 2]]]);
    expect((await values(POSTGRES, t)).map(([, v]) => v)).toEqual([2]);
  });
});

describe.each([POSTGRES, MYSQL, SQLITE])('a column the table lacks: $name', (db) => {
  it.each(['declared', 'untyped'] as const)('%s schema: the batch is held (reason schema), never bisected into the DLQ', async (typing) => {
    const t = uniqueTable(`bf_types_drift_${db.name}`);
    await db.exec(`CREATE TABLE ${t} (id BIGINT PRIMARY KEY, v VARCHAR(20))`);
    defer(() => db.exec(`DROP TABLE IF EXISTS ${t}`));
    const schema = typing === 'declared' ? SQLSchema(t, 'update', { id: 'int64', v: 'string', gone: 'string?' }) : SQLSchema(t, 'update', ['id', 'v', 'gone']);
    const driver = db.driver();
    defer(() => driver.close?.());
    const err = await sinkErrorOf(driver.execute(schema, [Request.fromRow(schema, { id: 1n, v: 'a', gone: 'x' })]));
    expect(err.reason).toBe('schema');
    expect(await db.texts(t)).toEqual([]);
  });
});
