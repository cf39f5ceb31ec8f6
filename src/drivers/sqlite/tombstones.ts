import { quoteColumnList, quoteIdentifier, quoteTableName } from '../sql/quote.js';
import type { TombstoneSchema } from '../sql/tombstone-keeper.js';
import { newerThanStored } from '../sql/version-guard.js';

/**
 * SQLite SQL text of a versioned schema's delete tombstones (see `TombstoneOptions`): the side
 * table copies the key and version columns of the data table, plus `bf_deleted_ms` (epoch ms).
 */
const Q = '"';

/** `CREATE TABLE IF NOT EXISTS` from the data table's columns, and the unique index upserts need. */
export function buildSqliteTombstoneDdl(schema: TombstoneSchema): string[] {
  const tomb = quoteTableName(schema.tombstones.table, Q);
  const columns = quoteColumnList([...schema.keys, schema.version.column], Q);
  // An index lives in its table's database: `"ns"."t_key" ON "t"`.
  const dot = schema.tombstones.table.lastIndexOf('.');
  const namespace = dot < 0 ? '' : `${quoteIdentifier(schema.tombstones.table.slice(0, dot), Q)}.`;
  const bare = schema.tombstones.table.slice(dot + 1);
  return [
    `CREATE TABLE IF NOT EXISTS ${tomb} AS SELECT ${columns}, 0 AS "bf_deleted_ms" FROM ${quoteTableName(schema.table, Q)} WHERE 0`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${namespace}${quoteIdentifier(`${bare}_key`, Q)} ON ${quoteIdentifier(bare, Q)} (${quoteColumnList(schema.keys, Q)})`,
  ];
}

/** One tombstone (keys, version, delete time), keeping the newest version per key. */
export function buildSqliteTombstoneRecord(schema: TombstoneSchema): string {
  const tomb = quoteTableName(schema.tombstones.table, Q);
  const v = quoteIdentifier(schema.version.column, Q);
  const marks = new Array<string>(schema.keys.length + 2).fill('?').join(', ');
  return (
    `INSERT INTO ${tomb} (${quoteColumnList([...schema.keys, schema.version.column], Q)}, "bf_deleted_ms") VALUES (${marks}) ` +
    `ON CONFLICT (${quoteColumnList(schema.keys, Q)}) DO UPDATE SET ${v} = excluded.${v}, "bf_deleted_ms" = excluded."bf_deleted_ms" ` +
    `WHERE ${newerThanStored(`${tomb}.${v}`, `excluded.${v}`)}`
  );
}

/** Removes the row of one upserted key again when it is older than the key's tombstone; binds the key columns. */
export function buildSqliteTombstoneGuard(schema: TombstoneSchema): string {
  const table = quoteTableName(schema.table, Q);
  const tomb = quoteTableName(schema.tombstones.table, Q);
  const v = quoteIdentifier(schema.version.column, Q);
  const keys = schema.keys.map((key) => `${quoteIdentifier(key, Q)} = ?`).join(' AND ');
  // The data table's column goes left: SQLite compares two columns under the left one's collation,
  // and the tombstone table (made by CREATE TABLE AS) has BINARY columns whatever the data table
  // declares. With the tombstone left, 'a' deleted under a NOCASE key did not guard a later 'A'.
  const join = schema.keys.map((key) => `${table}.${quoteIdentifier(key, Q)} = ${tomb}.${quoteIdentifier(key, Q)}`).join(' AND ');
  return `DELETE FROM ${table} WHERE ${keys} AND EXISTS (SELECT 1 FROM ${tomb} WHERE ${join} AND ${newerThanStored(`${table}.${v}`, `${tomb}.${v}`)})`;
}

/** Removes tombstones older than the retention; binds the cutoff (epoch ms). */
export function buildSqliteTombstonePrune(schema: TombstoneSchema): string {
  return `DELETE FROM ${quoteTableName(schema.tombstones.table, Q)} WHERE "bf_deleted_ms" < ?`;
}
