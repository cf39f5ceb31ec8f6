// versionColumn on the three SQL drivers, against the real servers: an older version never
// overwrites a newer one, across batches and inside one batch, for update and replace, with
// NULL stored versions overwritten. What a user checks: the rows in the table.
// (A file of its own: sql-conformance.test.ts is past the 300-line mark.)
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Request, SQLSchema, type BatchExecutor, type Row } from '../../src/index.js';
import { conformanceDialects, uniqueTable, type ColumnSpec, type DialectAdapter } from './sql-dialects.js';

/** `email` gets a second unique index in some tests: the MySQL driver then merges on the key only (another code path). */
const COLUMNS: Record<string, ColumnSpec> = { id: { type: 'int64', notNull: true }, name: { type: 'string' }, email: { type: 'string' }, v: { type: 'int64' } };
const DIALECTS = await conformanceDialects();
const STRATEGIES = ['update', 'replace'] as const;
const OTHER_UNIQUE = [false, true] as const;

describe.each(DIALECTS)('versionColumn conformance: $name', (db: DialectAdapter) => {
  let driver: BatchExecutor;
  const tables: string[] = [];

  async function table(otherUnique: boolean): Promise<string> {
    const name = uniqueTable(`bf_ver_${db.name}`);
    tables.push(name);
    await db.createTable(name, COLUMNS, ['id'], otherUnique ? 'UNIQUE (email)' : undefined);
    return name;
  }
  const own = (t: string, conflict: 'update' | 'replace') =>
    SQLSchema(t, conflict, { id: 'int64', name: 'string', email: 'string?', v: 'int64?' }, { versionColumn: 'v', versionSource: 'row' });
  const write = (schema: SQLSchema, rows: readonly Row[]) => driver.execute(schema, rows.map((row) => Request.fromRow(schema, row)));
  const names = async (t: string) => (await db.read(t, COLUMNS)).map((r) => `${r.id}:${r.name}@${r.v}`);

  beforeAll(async () => {
    await db.open();
    driver = db.ownedDriver();
  });
  afterEach(async () => {
    for (const name of tables.splice(0)) await db.dropTable(name);
  });
  afterAll(async () => {
    await driver.close?.();
    await db.close();
  });

  describe.each(OTHER_UNIQUE)('with another unique index: %s', (otherUnique) => {
    it.each(STRATEGIES)('%s: an older version never overwrites a newer one across batches; a newer one does', async (conflict) => {
      const t = await table(otherUnique);
      const schema = own(t, conflict);
      await write(schema, [{ id: 1n, name: 'v5', v: 5n }, { id: 2n, name: 'v1', v: 1n }]);
      await write(schema, [{ id: 1n, name: 'v3', email: 'old@x', v: 3n }, { id: 2n, name: 'v2', v: 2n }, { id: 3n, name: 'new', v: 1n }]);
      await write(schema, [{ id: 1n, name: 'v5 again', v: 5n }]); // an equal version (a redelivery) changes nothing
      expect(await names(t)).toEqual(['1:v5@5', '2:v2@2', '3:new@1']);
      expect((await db.read(t, COLUMNS))[0]?.email).toBeNull(); // no column of the older row leaked in
    });

    it.each(STRATEGIES)('%s: inside one batch the newest version of each key wins, wherever it is', async (conflict) => {
      const t = await table(otherUnique);
      const schema = own(t, conflict);
      await write(schema, [{ id: 2n, name: 'stored v4', v: 4n }]);
      await write(schema, [
        { id: 1n, name: 'v7', v: 7n },
        { id: 2n, name: 'v6', v: 6n },
        { id: 1n, name: 'v2', v: 2n },
        { id: 2n, name: 'v3', v: 3n },
        { id: 1n, name: 'v5', v: 5n },
      ]);
      expect(await names(t)).toEqual(['1:v7@7', '2:v6@6']);
    });

    it.each(STRATEGIES)('%s: a NULL stored version is overwritten; an incoming NULL never overwrites a version', async (conflict) => {
      const t = await table(otherUnique);
      await db.exec(`INSERT INTO ${db.quote(t)} (id, name, v) VALUES (1, 'legacy', NULL), (2, 'versioned', 9)`);
      const schema = own(t, conflict);
      await write(schema, [{ id: 1n, name: 'v1', v: 1n }, { id: 2n, name: 'no version', v: null }]);
      expect(await names(t)).toEqual(['1:v1@1', '2:versioned@9']);
    });
  });

  it('a producer-stamped schema (versionSource submit) writes only newer stamps', async () => {
    const t = await table(false);
    // The producer stamps `v`; a driver used directly gets it set by hand, as the producer would.
    const schema = SQLSchema(t, 'update', { id: 'int64', name: 'string', email: 'string?' }, { versionColumn: 'v' });
    const stamped = (row: Row, v: bigint | null) => Request.fromRow(schema, row).set('v', v);
    await driver.execute(schema, [stamped({ id: 1n, name: 'later' }, 1_700_000_000_000_002n)]);
    await driver.execute(schema, [stamped({ id: 1n, name: 'earlier' }, 1_700_000_000_000_001n), stamped({ id: 2n, name: 'unstamped' }, null)]);
    expect(await names(t)).toEqual(['1:later@1700000000000002', '2:unstamped@null']);
  });

  it('a schema without versionColumn still lets the last commit win (unchanged)', async () => {
    const t = await table(false);
    const schema = SQLSchema(t, 'update', { id: 'int64', name: 'string', v: 'int64?' });
    await write(schema, [{ id: 1n, name: 'v5', v: 5n }]);
    await write(schema, [{ id: 1n, name: 'v3', v: 3n }]);
    expect(await names(t)).toEqual(['1:v3@3']);
  });
});
