// Key order (issue 18): two drivers write batches over the same keys, each batch in a different
// random order, at the same time. Before, each statement locked its rows in arrival order, so
// the pair deadlocked (PostgreSQL notices only after deadlock_timeout, a full second each). Now
// every statement writes in one total order of the key: the second writer waits, nothing deadlocks.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Request } from '../../src/core/request.js';
import { SQLSchema, type ConflictStrategy, type Schema } from '../../src/core/schema.js';
import type { BatchExecutor } from '../../src/core/batch-executor.js';
import type { SinkError } from '../../src/errors/sink-error.js';
import { dialect, uniqueTable, type DialectAdapter } from './sql-dialects.js';
import { PostgresDriver } from '../../src/drivers/postgres/postgres-driver.js';
import { MySqlDriver } from '../../src/drivers/mysql/mysql-driver.js';
import { PG_URL, pgQuery, uniqueTable as pgUniqueTable } from '../helpers/pg.js';

const KEYS = 300;
const MARIADB_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const ROUNDS = 20;

interface Case {
  readonly conflict: ConflictStrategy;
  readonly versioned: boolean;
}
const CASES: readonly Case[] = [
  { conflict: 'update', versioned: false },
  { conflict: 'replace', versioned: false },
  { conflict: 'ignore', versioned: false },
  { conflict: 'update', versioned: true },
];

/** The rows of one batch: every key once, in the order `order` (a permutation), with this round's values. */
function batchOf(schema: ReturnType<typeof SQLSchema>, order: readonly number[], round: number, writer: number): Request[] {
  return order.map((key) => Request.fromRow(schema, { id: BigInt(key + 1), v: round * 10 + writer, ver: BigInt(round * 10 + writer) }));
}

/** Executes a batch until it commits; a deadlock is retried by the BatchWriter in production, here each one is counted. */
async function executeCountingDeadlocks(driver: BatchExecutor, schema: Schema, requests: Request[], deadlocks: string[], label: string): Promise<void> {
  for (;;) {
    try {
      await driver.execute(schema, requests);
      return;
    } catch (err) {
      if ((err as SinkError).reason !== 'deadlock') throw err;
      deadlocks.push(`${(err as SinkError).sinkCode} in ${label}`);
    }
  }
}

for (const type of ['postgres', 'mysql'] as const) {
  describe(`key order on ${type}: concurrent batches over shared keys in different orders`, () => {
    let db: DialectAdapter;
    beforeAll(async () => {
      db = await dialect(type);
      await db.open();
    });
    afterAll(async () => {
      await db?.close();
    });

    it.each(CASES)('$conflict (versioned: $versioned): never deadlocks, and every key holds a value some writer wrote last', async ({ conflict, versioned }) => {
      const table = uniqueTable('ko');
      await db.createTable(table, { id: { type: 'int64', notNull: true }, v: { type: 'int32' }, ver: { type: 'int64' } }, ['id']);
      const schema = SQLSchema(table, conflict, { id: 'int64', v: 'int32', ver: 'int64' }, versioned ? { versionColumn: 'ver', versionSource: 'row' } : {});
      const drivers: BatchExecutor[] = [db.ownedDriver(), db.ownedDriver()];
      const deadlocks: string[] = [];
      try {
        // Seeded permutations: each round, each writer shuffles the same keys differently.
        const orders = fc.sample(fc.shuffledSubarray(Array.from({ length: KEYS }, (_, i) => i), { minLength: KEYS, maxLength: KEYS }), { numRuns: ROUNDS * 2, seed: 18 });
        // Each writer runs its rounds back to back, so the two overlap all the time.
        await Promise.all(
          drivers.map(async (driver, writer) => {
            for (let round = 0; round < ROUNDS; round++) {
              const requests = batchOf(schema, orders[round * 2 + writer] as number[], round, writer);
              await executeCountingDeadlocks(driver, schema, requests, deadlocks, `round ${round}`);
            }
          }),
        );
        expect(deadlocks).toEqual([]);
        const rows = await db.read(table, { id: { type: 'int64' }, v: { type: 'int32' } }, 'id');
        expect(rows).toHaveLength(KEYS);
        // ignore keeps the first round's values; the others the last round's (either writer may commit last).
        const expected = conflict === 'ignore' ? [0, 1] : [(ROUNDS - 1) * 10, (ROUNDS - 1) * 10 + 1];
        for (const row of rows) expect(expected).toContain(Number(row.v));
      } finally {
        for (const driver of drivers) await driver.close?.();
        await db.dropTable(table);
      }
    });
  });
}

// Look-alike spellings (issue 18, found by the model test): 'a' and 'A' share a loose key, but a
// `text` (or `_bin`) key keeps them apart while `citext` (or `_ci`) makes them one. Before, such
// rows were ordered by arrival (on PostgreSQL in separate statements), so [a, A] and [A, a] locked
// two distinct keys in opposite orders and deadlocked (PostgreSQL: 40P01, a 1 s stall each). Now
// the driver asks the database how it compares them: one order of its keys for every batch, and
// the later row of the keys it equates.
interface LookalikeTable {
  readonly name: string;
  readonly distinct: boolean;
  readonly column: string;
}
const LOOKALIKE_TABLES: Record<'postgres' | 'mysql', readonly LookalikeTable[]> = {
  postgres: [
    { name: 'text', distinct: true, column: 'text' },
    { name: 'citext', distinct: false, column: 'citext' },
  ],
  mysql: [
    { name: 'utf8mb4_bin', distinct: true, column: 'varchar(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' },
    { name: 'utf8mb4_general_ci', distinct: false, column: 'varchar(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci' },
  ],
};

/** Raw SQL on the test's own connection, and a driver of the dialect. */
interface LookalikeDb {
  exec(sql: string): Promise<{ k: string; v: number }[]>;
  driver(): BatchExecutor;
  close(): Promise<void>;
}
async function lookalikeDb(type: 'postgres' | 'mysql'): Promise<LookalikeDb> {
  if (type === 'postgres') {
    return { exec: (sql) => pgQuery(sql), driver: () => new PostgresDriver({ connectionString: PG_URL }), close: async () => undefined };
  }
  const mysql = (await import('mysql2/promise')).default;
  const admin = await mysql.createConnection({ uri: MARIADB_URL });
  return {
    exec: async (sql) => ((await admin.query(sql)) as unknown as [{ k: string; v: number }[]])[0],
    driver: () => new MySqlDriver({ connectionString: MARIADB_URL }),
    close: () => admin.end(),
  };
}

for (const type of ['postgres', 'mysql'] as const) {
  describe(`look-alike keys on ${type}: concurrent batches [a, A, b, B, …] and [A, a, B, b, …]`, () => {
    const ITERATIONS = 25;
    const letters = 'abcdefghijklmnopqrst'.split('');
    const spellings = [letters.flatMap((l) => [l, l.toUpperCase()]), letters.flatMap((l) => [l.toUpperCase(), l])];

    it.each(LOOKALIKE_TABLES[type])('$name key: never deadlocks; spellings it keeps apart are rows of their own, else the later of a batch wins', async ({ distinct, column }) => {
      const db = await lookalikeDb(type);
      if (column === 'citext') await db.exec('CREATE EXTENSION IF NOT EXISTS citext').catch(() => undefined); // concurrent creators race
      const table = pgUniqueTable('ko_look');
      await db.exec(`CREATE TABLE ${table} (k ${column} PRIMARY KEY, v int NOT NULL)`);
      const schema = SQLSchema(table, 'update', { k: 'string', v: 'int32' });
      const drivers = [db.driver(), db.driver()];
      const deadlocks: string[] = [];
      try {
        await Promise.all(
          drivers.map(async (driver, writer) => {
            for (let i = 0; i < ITERATIONS; i++) {
              // v = iteration, writer, position in the batch: which row won is readable from it.
              const requests = (spellings[writer] as string[]).map((k, position) => Request.fromRow(schema, { k, v: i * 1000 + writer * 100 + position }));
              await executeCountingDeadlocks(driver, schema, requests, deadlocks, `iteration ${i}`);
            }
          }),
        );
        expect(deadlocks).toEqual([]);
        const rows = await db.exec(`SELECT k, v FROM ${table}`);
        expect(rows).toHaveLength(distinct ? letters.length * 2 : letters.length);
        // Every batch writes every key, so the table is one writer's last batch: per key the last
        // row of that batch with a spelling the database equates to it (the row of its own spelling
        // where it keeps them apart). v = iteration, writer, position.
        const last = (ITERATIONS - 1) * 1000;
        const expected = (writer: number) =>
          rows.map(({ k }) => {
            const positions = (spellings[writer] as string[]).flatMap((s, p) => (distinct ? s === k : s.toLowerCase() === k.toLowerCase()) ? [p] : []);
            return last + writer * 100 + Math.max(...positions);
          });
        expect([expected(0), expected(1)]).toContainEqual(rows.map((r) => r.v));
      } finally {
        for (const driver of drivers) await driver.close?.();
        await db.exec(`DROP TABLE IF EXISTS ${table}`);
        await db.close();
      }
    });
  });
}

describe('look-alike keys on postgres: a two-column key', () => {
  it("ranks by every key column, each with its own type: ('a', '01') and ('a', 1) are one key, ('A', 1) another", async () => {
    const table = pgUniqueTable('ko_look2');
    await pgQuery(`CREATE TABLE ${table} (s text, n bigint, v int NOT NULL, PRIMARY KEY (s, n))`);
    const schema = SQLSchema(table, 'update', ['s', 'n', 'v'], { keys: ['s', 'n'] });
    const driver = new PostgresDriver({ connectionString: PG_URL });
    try {
      const rows = [
        { s: 'a', n: '01', v: 1 },
        { s: 'A', n: 1, v: 2 },
        { s: 'a', n: 1, v: 3 },
        { s: 'A', n: '1', v: 4 },
      ];
      await driver.execute(schema, rows.map((row) => Request.fromRow(schema, row)));
      expect(await pgQuery(`SELECT s, n::int AS n, v FROM ${table} ORDER BY s COLLATE "C"`)).toEqual([
        { s: 'A', n: 1, v: 4 },
        { s: 'a', n: 1, v: 3 },
      ]);
    } finally {
      await driver.close();
      await pgQuery(`DROP TABLE IF EXISTS ${table}`);
    }
  });
});
