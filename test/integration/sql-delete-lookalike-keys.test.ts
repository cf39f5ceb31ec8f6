// Deletes by the database's key equality, not JavaScript's: on a key column that equates spellings
// ('a' and 'A' under citext, MySQL's default *_ci collation or SQLite NOCASE; 'a' and 'a ' in a
// padded char(n) or under RTRIM), an upsert and a delete of two spellings of one key in one batch
// are operations on one key, and the last (or, versioned, the newest) wins as the database sees
// keys. On a column that keeps them apart they stay two keys. One batch per case, through the
// real drivers against the real servers.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Request, SQLSchema, type BatchExecutor } from '../../src/index.js';
import { conformanceDialects, uniqueTable, type ColumnSpec, type DialectAdapter } from './sql-dialects.js';

const DIALECTS = await conformanceDialects();
const COLUMNS: Record<string, ColumnSpec> = { k: { type: 'string' }, name: { type: 'string' }, v: { type: 'int64' } };

/** Key column types per dialect: one that folds case, one that ignores trailing spaces, one exact. */
const KEY_TYPES: Readonly<Record<string, { folds: string; pads: string; exact: string }>> = {
  postgres: { folds: 'citext', pads: 'char(4)', exact: 'text' },
  mysql: { folds: 'varchar(16) COLLATE utf8mb4_general_ci', pads: 'char(4) COLLATE utf8mb4_bin', exact: 'varchar(16) COLLATE utf8mb4_nopad_bin' },
  sqlite: { folds: 'TEXT COLLATE NOCASE', pads: 'TEXT COLLATE RTRIM', exact: 'TEXT' },
};

describe.each(DIALECTS)('deletes by the database key: $name', (db: DialectAdapter) => {
  let driver: BatchExecutor;
  const tables: string[] = [];
  const types = KEY_TYPES[db.name] as (typeof KEY_TYPES)[string];

  async function table(keyType: string): Promise<string> {
    const name = uniqueTable(`bf_dlk_${db.name}`);
    tables.push(name);
    const q = (s: string) => db.quote(s);
    const int64 = db.name === 'sqlite' ? 'INTEGER' : 'bigint';
    await db.exec(`CREATE TABLE ${q(name)} (${q('k')} ${keyType} NOT NULL, ${q('name')} varchar(16), ${q('v')} ${int64}, PRIMARY KEY (${q('k')}))`);
    return name;
  }
  const plain = (t: string) => SQLSchema(t, 'update', { k: 'string', name: 'string', v: 'int64?' }, { keys: ['k'] });
  const versioned = (t: string) => SQLSchema(t, 'update', { k: 'string', name: 'string', v: 'int64?' }, { keys: ['k'], versionColumn: 'v', versionSource: 'row', tombstones: true });
  const up = (schema: SQLSchema, k: string, name: string, v: bigint | null = null) => Request.fromRow(schema, { k, name, v });
  const del = (schema: SQLSchema, k: string, v?: bigint) => Request.deleteOf(schema, v === undefined ? { k } : { k, v });
  const names = async (t: string) => (await db.read(t, COLUMNS, 'k')).map((r) => `${String(r.name)}${r.v === null ? '' : `@${String(r.v)}`}`).sort();

  beforeAll(async () => {
    await db.open();
    if (db.name === 'postgres') {
      // Another test may create it at the same moment: losing that race is fine.
      await db.exec('CREATE EXTENSION IF NOT EXISTS citext').catch((err: { code?: string }) => {
        if (err.code !== '23505' && err.code !== '42710') throw err;
      });
    }
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

  it.each(['folds', 'pads'] as const)('%s: an upsert then a delete of another spelling leaves the key deleted; a delete then an upsert leaves the upsert', async (kind) => {
    const other = kind === 'folds' ? 'A' : 'a ';
    const t = await table(types[kind]);
    const schema = plain(t);
    await driver.execute(schema, [up(schema, 'b', 'stored b')]);
    await driver.execute(schema, [up(schema, 'a', 'upserted'), del(schema, other), del(schema, kind === 'folds' ? 'B' : 'b '), up(schema, kind === 'folds' ? 'B' : 'b ', 'back')]);
    expect(await names(t)).toEqual(['back']);
  });

  it.each(['folds', 'pads'] as const)('%s, versioned with tombstones: the newest operation per database key wins, and a later older upsert of another spelling stays deleted', async (kind) => {
    const other = kind === 'folds' ? 'A' : 'a ';
    const t = await table(types[kind]);
    const schema = versioned(t);
    // Two deletes of one key in one batch (one tombstone, the newest), an older upsert of the other spelling.
    await driver.execute(schema, [up(schema, 'a', 'old', 1n), del(schema, other, 3n), del(schema, 'a', 2n)]);
    expect(await names(t)).toEqual([]);
    // A late redelivery of an older write, spelled either way: stays deleted.
    await driver.execute(schema, [up(schema, other, 'late', 2n)]);
    await driver.execute(schema, [up(schema, 'a', 'late', 1n)]);
    expect(await names(t)).toEqual([]);
    // A newer write comes back; an older delete of the other spelling after it changes nothing.
    await driver.execute(schema, [up(schema, other, 'newer', 4n), del(schema, 'a', 3n)]);
    expect(await names(t)).toEqual(['newer@4']);
  });

  it.each(['folds', 'pads'] as const)('%s: a delete of another spelling removes the key stored by an earlier batch', async (kind) => {
    const other = kind === 'folds' ? 'A' : 'a ';
    const t = await table(types[kind]);
    const schema = plain(t);
    await driver.execute(schema, [up(schema, 'a', 'stored a'), up(schema, 'b', 'stored b')]);
    await driver.execute(schema, [del(schema, other)]);
    expect(await names(t)).toEqual(['stored b']);
  });

  it.each(['folds', 'pads'] as const)('%s, versioned with tombstones: a delete committed alone guards a later older upsert of either spelling', async (kind) => {
    // The model test's shrunk case on SQLite (seed 1887343619): the tombstone table made by
    // CREATE TABLE AS has BINARY columns, so the guard must compare under the data table's collation.
    const other = kind === 'folds' ? 'A' : 'a ';
    const t = await table(types[kind]);
    const schema = versioned(t);
    await driver.execute(schema, [del(schema, 'a', 2n)]);
    await driver.execute(schema, [up(schema, other, 'late', 1n)]);
    expect(await names(t)).toEqual([]);
    await driver.execute(schema, [del(schema, other, 4n)]);
    await driver.execute(schema, [up(schema, 'a', 'late', 3n)]);
    expect(await names(t)).toEqual([]);
  });

  it('exact key column: spellings the column keeps apart stay two keys', async () => {
    const t = await table(types.exact);
    const schema = plain(t);
    await driver.execute(schema, [up(schema, 'a', 'lower'), del(schema, 'A'), up(schema, 'A', 'upper'), del(schema, 'a ')]);
    expect(await names(t)).toEqual(['lower', 'upper']);
  });
});
