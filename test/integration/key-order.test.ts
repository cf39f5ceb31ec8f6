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
