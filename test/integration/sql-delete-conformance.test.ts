// Deletes by key on the three SQL drivers, against the real servers: in one batch the last
// operation per key wins (upserts and deletes in one transaction), for every conflict strategy,
// with and without another unique index (MySQL's key-only merge path), and with a version column
// a delete obeys the version guard. What a user checks: the rows in the table.
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Request, SQLSchema, type BatchExecutor, type ConflictStrategy } from '../../src/index.js';
import { conformanceDialects, uniqueTable, type ColumnSpec, type DialectAdapter } from './sql-dialects.js';

const COLUMNS: Record<string, ColumnSpec> = { id: { type: 'int64', notNull: true }, name: { type: 'string' }, email: { type: 'string' }, v: { type: 'int64' } };
const DIALECTS = await conformanceDialects();
const STRATEGIES: readonly ConflictStrategy[] = ['update', 'replace', 'ignore', 'insert'];
const RUNS = Number(process.env.DELETE_CONFORMANCE_RUNS ?? 12);

/** One operation of the model: an upsert of `name`, or a delete; `v` only for versioned schemas. */
type Op = { readonly id: number; readonly del: boolean; readonly name: string; readonly v: number };

/**
 * The table after applying the batches one operation after another, as the contract says:
 * `insert` may not write an existing key (the generator avoids it), `ignore` keeps the stored row,
 * `update`/`replace` overwrite it; with a version column a write (or delete) applies only when newer.
 */
function model(conflict: ConflictStrategy, versioned: boolean, batches: readonly (readonly Op[])[], tombstones = false): string[] {
  const table = new Map<number, { name: string; v: number }>();
  const tomb = new Map<number, number>(); // the newest delete version per key
  for (const op of batches.flat()) {
    const stored = table.get(op.id);
    if (op.del && tombstones) tomb.set(op.id, Math.max(op.v, tomb.get(op.id) ?? 0));
    if (versioned && stored && !(op.v > stored.v)) continue;
    // With tombstones an upsert older than its key's newest delete stays deleted (a tie keeps it, as the guard does).
    if (!op.del && tombstones && op.v < (tomb.get(op.id) ?? 0)) continue;
    if (op.del) table.delete(op.id);
    else if (!stored || conflict === 'update' || conflict === 'replace') table.set(op.id, { name: op.name, v: op.v });
  }
  return [...table].sort(([a], [b]) => a - b).map(([id, row]) => `${id}:${row.name}` + (versioned ? `@${row.v}` : ''));
}

/** Batches of operations on keys 1–4; for `insert`, an upsert only of a key the model holds deleted (else it would fail with a duplicate key). */
function batchesArb(conflict: ConflictStrategy): fc.Arbitrary<Op[][]> {
  const op = fc.record({ id: fc.integer({ min: 1, max: 4 }), del: fc.boolean(), name: fc.constantFrom('a', 'b', 'c'), v: fc.integer({ min: 1, max: 6 }) });
  const batches = fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 });
  if (conflict !== 'insert') return batches;
  return batches.map((bs) => {
    const present = new Set<number>();
    return bs.map((ops) =>
      ops.map((o) => {
        const del = o.del || present.has(o.id);
        if (del) present.delete(o.id);
        else present.add(o.id);
        return { ...o, del };
      }),
    );
  });
}

describe.each(DIALECTS)('delete conformance: $name', (db: DialectAdapter) => {
  let driver: BatchExecutor;
  const tables: string[] = [];

  async function table(otherUnique: boolean): Promise<string> {
    const name = uniqueTable(`bf_del_${db.name}`);
    tables.push(name);
    await db.createTable(name, COLUMNS, ['id'], otherUnique ? 'UNIQUE (email)' : undefined);
    return name;
  }
  const schemaOf = (t: string, conflict: ConflictStrategy, versioned: boolean, tombstones = true) =>
    SQLSchema(t, conflict, { id: 'int64', name: 'string', email: 'string?', v: 'int64?' }, { keys: ['id'], ...(versioned && { versionColumn: 'v', versionSource: 'row' as const, tombstones }) });
  const requestOf = (schema: SQLSchema, versioned: boolean, op: Op) =>
    op.del
      ? Request.deleteOf(schema, versioned ? { id: BigInt(op.id), v: BigInt(op.v) } : { id: BigInt(op.id) })
      : Request.fromRow(schema, { id: BigInt(op.id), name: op.name, v: versioned ? BigInt(op.v) : null });
  const contents = async (t: string, versioned: boolean) =>
    (await db.read(t, COLUMNS)).map((r) => `${r.id}:${r.name}` + (versioned ? `@${r.v}` : ''));

  beforeAll(async () => {
    await db.open();
    driver = db.ownedDriver();
  });
  afterEach(async () => {
    for (const name of tables.splice(0)) {
      await db.dropTable(name);
      await db.dropTable(`${name}_bf_tombstones`);
    }
  });
  afterAll(async () => {
    await driver.close?.();
    await db.close();
  });

  it.each(STRATEGIES)('%s: an upsert then a delete of a key leaves it deleted; a delete then an upsert leaves the upsert; one transaction', async (conflict) => {
    const t = await table(false);
    const schema = schemaOf(t, conflict, false);
    await driver.execute(schema, [1, 2].map((id) => Request.fromRow(schema, { id: BigInt(id), name: 'stored', v: null })));
    await driver.execute(schema, [
      Request.fromRow(schema, { id: 3n, name: 'new', v: null }),
      Request.deleteOf(schema, { id: 3n }),
      Request.deleteOf(schema, { id: 1n }),
      Request.fromRow(schema, { id: 1n, name: 'back', v: null }),
      Request.deleteOf(schema, { id: 2n }),
      Request.deleteOf(schema, { id: 9n }), // a key with no row: nothing to delete, no error
    ]);
    expect(await contents(t, false)).toEqual(['1:back']);
  });

  it('a failing upsert rolls the batch back, its deletes too', async () => {
    const t = await table(false);
    const schema = schemaOf(t, 'insert', false);
    await driver.execute(schema, [1, 2].map((id) => Request.fromRow(schema, { id: BigInt(id), name: 'stored', v: null })));
    // Key 2 is inserted while it exists: a duplicate key, so the delete of key 1 must not commit either.
    await expect(driver.execute(schema, [Request.deleteOf(schema, { id: 1n }), Request.fromRow(schema, { id: 2n, name: 'dup', v: null })])).rejects.toThrow();
    expect(await contents(t, false)).toEqual(['1:stored', '2:stored']);
  });

  it('exactly-once: a redelivered delete is skipped by the ledger like any request', async () => {
    const t = await table(false);
    tables.push(`${t}__batchflow_ledger`);
    const schema = SQLSchema(t, 'update', { id: 'int64', name: 'string', email: 'string?', v: 'int64?' }, { keys: ['id'], delivery: 'exactly-once' });
    const withId = (request: Request, seq: number) => Object.assign(request, { delivery: { source: 'job-del', seq } });
    await driver.execute(schema, [withId(Request.fromRow(schema, { id: 1n, name: 'first', v: null }), 0)]);
    await driver.execute(schema, [withId(Request.deleteOf(schema, { id: 1n }), 1)]);
    expect(await contents(t, false)).toEqual([]);
    await driver.execute(schema, [withId(Request.fromRow(schema, { id: 1n, name: 'again', v: null }), 2)]);
    // The delete's job redelivered (a lost ack): already in the ledger, so the row written after it stays.
    await driver.execute(schema, [withId(Request.deleteOf(schema, { id: 1n }), 1)]);
    expect(await contents(t, false)).toEqual(['1:again']);
  });

  for (const otherUnique of [false, true]) {
    it.each(STRATEGIES)(`%s (another unique index: ${otherUnique}): mixed upserts and deletes per key match applying them in order`, async (conflict) => {
      await fc.assert(
        fc.asyncProperty(batchesArb(conflict), async (batches) => {
          const t = await table(otherUnique);
          const schema = schemaOf(t, conflict, false);
          for (const batch of batches) await driver.execute(schema, batch.map((op) => requestOf(schema, false, op)));
          expect(await contents(t, false)).toEqual(model(conflict, false, batches));
        }),
        { numRuns: RUNS },
      );
    }, 120_000);
  }

  for (const tombstones of [true, false]) {
    it.each(['update', 'replace'] as const)(`%s with a version column (tombstones: ${tombstones}): deletes obey the guard, older writes after a delete as the mechanism says`, async (conflict) => {
      await fc.assert(
        fc.asyncProperty(batchesArb(conflict), async (batches) => {
          const t = await table(false);
          const schema = schemaOf(t, conflict, true, tombstones);
          for (const batch of batches) await driver.execute(schema, batch.map((op) => requestOf(schema, true, op)));
          // Inside a batch the newest operation per key wins (on a tie the later), then the guard applies.
          const winners = batches.map((batch) => {
            const newest = new Map<number, Op>();
            for (const op of batch) {
              const held = newest.get(op.id);
              if (!held || op.v >= held.v) newest.set(op.id, op);
            }
            return [...newest.values()];
          });
          expect(await contents(t, true)).toEqual(model(conflict, true, winners, tombstones));
        }),
        { numRuns: RUNS },
      );
    }, 120_000);
  }

  it.each(['update', 'replace'] as const)('%s: a delete, then a late older write of its key: stays deleted with tombstones, resurrected without', async (conflict) => {
    for (const tombstones of [true, false]) {
      const t = await table(false);
      const schema = schemaOf(t, conflict, true, tombstones);
      await driver.execute(schema, [Request.fromRow(schema, { id: 1n, name: 'v2', v: 2n }), Request.fromRow(schema, { id: 2n, name: 'v2', v: 2n })]);
      await driver.execute(schema, [Request.deleteOf(schema, { id: 1n, v: 5n }), Request.deleteOf(schema, { id: 2n, v: 5n })]);
      // The redelivery of an older write (v3), and a newer write (v7) of the other key.
      await driver.execute(schema, [Request.fromRow(schema, { id: 1n, name: 'v3 late', v: 3n }), Request.fromRow(schema, { id: 2n, name: 'v7', v: 7n })]);
      expect(await contents(t, true)).toEqual(tombstones ? ['2:v7@7'] : ['1:v3 late@3', '2:v7@7']);
    }
  });
});
