// Key order (issue 18): two drivers write batches over the same keys, each batch in a different
// random order, at the same time. Before, each statement locked its rows in arrival order, so
// the pair deadlocked (PostgreSQL notices only after deadlock_timeout, a full second each). Now
// every statement writes in one total order of the key: the second writer waits, nothing deadlocks.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Request } from '../../src/core/request.js';
import { SQLSchema, type ConflictStrategy } from '../../src/core/schema.js';
import type { BatchExecutor } from '../../src/core/batch-executor.js';
import type { SinkError } from '../../src/errors/sink-error.js';
import { dialect, uniqueTable, type DialectAdapter } from './sql-dialects.js';
import { PostgresDriver } from '../../src/drivers/postgres/postgres-driver.js';
import { PG_URL, pgQuery, uniqueTable as pgUniqueTable } from '../helpers/pg.js';

const KEYS = 300;
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
              // A deadlock is retried by the BatchWriter in production; here each one is counted.
              for (;;) {
                try {
                  await driver.execute(schema, requests);
                  break;
                } catch (err) {
                  if ((err as SinkError).reason !== 'deadlock') throw err;
                  deadlocks.push(`${(err as SinkError).sinkCode} in round ${round}`);
                }
              }
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
// `text` key keeps them apart while `citext` makes them one. Before, such rows went into separate
// statements in arrival order, so [a, A] and [A, a] locked two distinct keys in opposite orders
// and deadlocked (40P01, a 1 s stall each). Now the driver asks PostgreSQL how it compares them:
// one order of its keys for every batch, and the later row of the keys it equates.
describe('look-alike keys on postgres: concurrent [a, A, z] and [A, a, z]', () => {
  const ITERATIONS = 25;
  const spellings = [
    ['a', 'A', 'z'],
    ['A', 'a', 'z'],
  ] as const;

  for (const keyType of ['text', 'citext'] as const) {
    it(`${keyType} key: never deadlocks, and ${keyType === 'text' ? 'each spelling is its own row' : 'the later spelling of a batch wins'}`, async () => {
      if (keyType === 'citext') await pgQuery('CREATE EXTENSION IF NOT EXISTS citext').catch(() => undefined); // concurrent creators race
      const table = pgUniqueTable('ko_look');
      await pgQuery(`CREATE TABLE ${table} (k ${keyType} PRIMARY KEY, v int NOT NULL)`);
      const schema = SQLSchema(table, 'update', { k: 'string', v: 'int32' });
      const drivers = [new PostgresDriver({ connectionString: PG_URL }), new PostgresDriver({ connectionString: PG_URL })];
      const deadlocks: string[] = [];
      try {
        await Promise.all(
          drivers.map(async (driver, writer) => {
            for (let i = 0; i < ITERATIONS; i++) {
              // v = iteration, writer, position in the batch: which row won is readable from it.
              const requests = (spellings[writer] as readonly string[]).map((k, position) => Request.fromRow(schema, { k, v: i * 100 + writer * 10 + position }));
              for (;;) {
                try {
                  await driver.execute(schema, requests);
                  break;
                } catch (err) {
                  if ((err as SinkError).reason !== 'deadlock') throw err;
                  deadlocks.push(`${(err as SinkError).sinkCode} in iteration ${i}`);
                }
              }
            }
          }),
        );
        expect(deadlocks).toEqual([]);
        const rows = await pgQuery<{ k: string; v: number }>(`SELECT k::text AS k, v FROM ${table} ORDER BY k::text COLLATE "C"`);
        const last = (ITERATIONS - 1) * 100;
        if (keyType === 'text') {
          expect(rows.map((r) => r.k)).toEqual(['A', 'a', 'z']);
          // Each spelling holds its own row from the last iteration of either writer.
          expect([last + 1, last + 10]).toContain(rows[0]?.v); // 'A'
          expect([last, last + 11]).toContain(rows[1]?.v); // 'a'
        } else {
          expect(rows).toHaveLength(2);
          // 'a' and 'A' are one key: the later of the pair in whichever batch committed last.
          expect([last + 1, last + 11]).toContain(rows.find((r) => r.k.toLowerCase() === 'a')?.v);
        }
        expect([last + 2, last + 12]).toContain(rows.find((r) => r.k === 'z')?.v);
      } finally {
        for (const driver of drivers) await driver.close();
        await pgQuery(`DROP TABLE IF EXISTS ${table}`);
      }
    });
  }
});
