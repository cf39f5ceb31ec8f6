import { quoteColumnList, quoteIdentifier, quoteTableName } from '../sql/quote.js';
import type { TombstoneSchema } from '../sql/tombstone-keeper.js';
import { newerThanStored } from '../sql/version-guard.js';

/**
 * MySQL/MariaDB SQL text of a versioned schema's delete tombstones (see `TombstoneOptions`): the
 * side table copies the key and version columns of the data table (`CREATE TABLE … SELECT`), with
 * the keys as primary key and `bf_deleted_ms` (epoch ms) for pruning.
 */
const Q = '`';

/** `CREATE TABLE IF NOT EXISTS tomb (…, PRIMARY KEY (keys)) SELECT keys, v FROM t WHERE 1 = 0`. */
export function buildMySqlTombstoneDdl(schema: TombstoneSchema): string {
  const columns = quoteColumnList([...schema.keys, schema.version.column], Q);
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteTableName(schema.tombstones.table, Q)} ` +
    `(\`bf_deleted_ms\` BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (${quoteColumnList(schema.keys, Q)})) ` +
    `SELECT ${columns} FROM ${quoteTableName(schema.table, Q)} WHERE 1 = 0`
  );
}

/**
 * One tombstone per row of `VALUES ?` (keys, version, delete time), keeping the newest version per
 * key. MySQL assigns left to right, so the time is decided before the version changes.
 */
export function buildMySqlTombstoneRecord(schema: TombstoneSchema): string {
  const v = quoteIdentifier(schema.version.column, Q);
  const newer = newerThanStored(v, `VALUES(${v})`);
  return (
    `INSERT INTO ${quoteTableName(schema.tombstones.table, Q)} (${quoteColumnList([...schema.keys, schema.version.column], Q)}, \`bf_deleted_ms\`) VALUES ? ` +
    `ON DUPLICATE KEY UPDATE \`bf_deleted_ms\` = IF(${newer}, VALUES(\`bf_deleted_ms\`), \`bf_deleted_ms\`), ${v} = IF(${newer}, VALUES(${v}), ${v})`
  );
}

/** Removes the rows of `rowCount` upserted keys again where older than their key's tombstone; binds the key columns. */
export function buildMySqlTombstoneGuard(schema: TombstoneSchema, rowCount: number): string {
  const table = quoteTableName(schema.table, Q);
  const tomb = quoteTableName(schema.tombstones.table, Q);
  const v = quoteIdentifier(schema.version.column, Q);
  const join = schema.keys.map((key) => `${tomb}.${quoteIdentifier(key, Q)} = ${table}.${quoteIdentifier(key, Q)}`).join(' AND ');
  const one = schema.keys.length === 1;
  const target = one ? `${table}.${quoteIdentifier(schema.keys[0] as string, Q)}` : `(${schema.keys.map((key) => `${table}.${quoteIdentifier(key, Q)}`).join(', ')})`;
  const tuple = one ? '?' : `(${new Array<string>(schema.keys.length).fill('?').join(', ')})`;
  return `DELETE ${table} FROM ${table} JOIN ${tomb} ON ${join} WHERE ${target} IN (${new Array<string>(rowCount).fill(tuple).join(', ')}) AND ${newerThanStored(`${table}.${v}`, `${tomb}.${v}`)}`;
}

/** Removes tombstones older than the retention; binds the cutoff (epoch ms). */
export function buildMySqlTombstonePrune(schema: TombstoneSchema): string {
  return `DELETE FROM ${quoteTableName(schema.tombstones.table, Q)} WHERE \`bf_deleted_ms\` < ?`;
}
