import type { SQLSchema } from '../../core/schema.js';
import { nonKeyColumns, quoteColumnList, quoteIdentifier, quoteTableName } from '../sql/quote.js';
import { mySqlKeyedUpdateWhere, mySqlVersionedUpdateList } from './version-guard.js';

/**
 * MySQL/MariaDB SQL text, and nothing else: no connections, no values.
 *
 * Statements end in `VALUES ?`: mysql2's `query()` expands a nested array into
 * `(…), (…)` with every value escaped by the client library, which is its bulk path
 * (measured ~189k rows/s on MariaDB, ahead of server-side prepared statements, which also
 * cap a statement at 65,535 placeholders). The key-only merge statements below take one `?`
 * per value instead, which mysql2 escapes the same way.
 */

/** Server-side prepared statements allow at most this many placeholders (we stay under it too). */
export const MYSQL_MAX_PARAMETERS = 65_535;

const Q = '`';

/**
 * The single-statement INSERT for a schema's conflict strategy, used when the table has no unique
 * index but the one on exactly the schema's keys (`ON DUPLICATE KEY` fires on *any* unique index,
 * so with another one the driver merges through {@link buildMySqlExistingKeys} instead):
 * - `update` and `replace`: `INSERT INTO t (…) VALUES ? ON DUPLICATE KEY UPDATE c = VALUES(c)` for each
 *   non-key column. `VALUES(c)` rather than MySQL 8's row alias because MariaDB only understands the
 *   former. `replace` is not `REPLACE INTO`: that deletes every row matching the new one on *any*
 *   unique index (and their children through `ON DELETE CASCADE`) before inserting. Like PostgreSQL,
 *   `replace` overwrites every column the schema lists in place; columns it does not list keep their values.
 * - `ignore`, and `update`/`replace` when every column is a key: `… ON DUPLICATE KEY UPDATE k = k`, a no-op
 *   on duplicates. Not `INSERT IGNORE`: IGNORE also turns NOT NULL, too-long, out-of-range and
 *   foreign-key errors into warnings and writes '' / truncated / clamped values, so bad rows would be
 *   silently stored instead of failing and going to the dead-letter queue.
 */
export function buildMySqlInsert(schema: SQLSchema): string {
  // `insert`: no conflict clause, so any duplicate key fails with errno 1062 (a data error).
  if (schema.conflict === 'insert') return buildMySqlPlainInsert(schema);
  return `${buildMySqlPlainInsert(schema)} ON DUPLICATE KEY UPDATE ${mySqlUpdateList(schema)}`;
}

/** The `c = VALUES(c), …` list of an upsert, or the key-only no-op for `ignore`; guarded per column with a version column (see `mySqlVersionedUpdateList`). */
export function mySqlUpdateList(schema: SQLSchema): string {
  if (schema.version) return mySqlVersionedUpdateList(schema, schema.version);
  const updates = schema.conflict === 'ignore' ? [] : nonKeyColumns(schema.columns, schema.keys);
  if (updates.length === 0) {
    const key = quoteIdentifier(schema.keys[0] as string, Q);
    return `${key} = ${key}`;
  }
  return updates.map((column) => `${quoteIdentifier(column, Q)} = VALUES(${quoteIdentifier(column, Q)})`).join(', ');
}

/**
 * `INSERT INTO t (…) VALUES ?` with no conflict clause: the key-only merge inserts only rows whose
 * key is not in the table yet, so any duplicate (on another unique index, or a key inserted
 * meanwhile by someone else) fails with errno 1062.
 */
export function buildMySqlPlainInsert(schema: SQLSchema): string {
  return `INSERT INTO ${quoteTableName(schema.table, Q)} (${quoteColumnList(schema.columns, Q)}) VALUES ?`;
}

/**
 * A write that changes nothing: `INSERT INTO t (…) SELECT … FROM t WHERE 1 = 0`. It still needs the
 * table open for writing, so it fails on a read-only server or a locked table, like a batch would.
 */
export function buildMySqlProbeWrite(schema: SQLSchema): string {
  const columns = quoteColumnList(schema.columns, Q);
  const table = quoteTableName(schema.table, Q);
  return `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${table} WHERE 1 = 0`;
}

/**
 * Which of `rowCount` rows already have their key in the table, locking those rows:
 * `SELECT v.i FROM (SELECT ? AS i, ? AS k0 UNION ALL SELECT ?, ? …) AS v JOIN t ON t.key = v.k0 … FOR UPDATE`.
 * Parameters per row: its position in the chunk, then its key values in `schema.keys` order.
 * The server compares the keys (with the column's collation and type), so a key is found exactly
 * when `ON DUPLICATE KEY` on the key's own index would have found it; only positions come back.
 */
export function buildMySqlExistingKeys(schema: SQLSchema, rowCount: number): string {
  const names = ['i', ...schema.keys.map((_, k) => `k${k}`)];
  const on = schema.keys.map((key, k) => `t.${quoteIdentifier(key, Q)} = v.k${k}`).join(' AND ');
  return `SELECT v.i FROM (${derivedRows(names, rowCount)}) AS v JOIN ${quoteTableName(schema.table, Q)} AS t ON ${on} FOR UPDATE`;
}

/**
 * Updates rows whose key exists, matching on the schema's keys only:
 * `UPDATE t JOIN (SELECT ? AS c0, ? AS c1 UNION ALL SELECT ?, ? …) AS v ON t.key = v.c0 SET t.c = v.c1, …`.
 * Parameters: every row's values in schema column order. A value that collides on another
 * unique index fails with errno 1062 instead of touching the other row. Undefined when every
 * column is a key (nothing to update). A versioned schema adds `WHERE` its version is newer.
 */
export function buildMySqlKeyedUpdate(schema: SQLSchema, rowCount: number): string | undefined {
  const updates = nonKeyColumns(schema.columns, schema.keys);
  if (updates.length === 0) return undefined;
  const alias = (column: string): string => `v.c${schema.columns.indexOf(column)}`;
  const names = schema.columns.map((_, c) => `c${c}`);
  const on = schema.keys.map((key) => `t.${quoteIdentifier(key, Q)} = ${alias(key)}`).join(' AND ');
  const set = updates.map((column) => `t.${quoteIdentifier(column, Q)} = ${alias(column)}`).join(', ');
  const guard = schema.version ? mySqlKeyedUpdateWhere(schema, alias(schema.version.column)) : '';
  return `UPDATE ${quoteTableName(schema.table, Q)} AS t JOIN (${derivedRows(names, rowCount)}) AS v ON ${on} SET ${set}${guard}`;
}

/**
 * The table's unique indexes (PRIMARY included), one row per index column:
 * `name`, `column`, in index and column order. `?` 1 is the database (NULL for the connection's
 * current one), `?` 2 the table.
 */
export const MYSQL_UNIQUE_INDEXES_SQL =
  'SELECT INDEX_NAME AS `name`, COLUMN_NAME AS `column` FROM information_schema.STATISTICS ' +
  'WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX';

/**
 * A derived table of `rowCount` rows of placeholders, columns named by the first row:
 * `SELECT ? AS a, ? AS b UNION ALL SELECT ?, ?`. Portable to MySQL 5.7+ and every MariaDB
 * (table value constructors differ between the two). Names are ours, never user input.
 */
function derivedRows(names: readonly string[], rowCount: number): string {
  const first = `SELECT ${names.map((name) => `? AS ${name}`).join(', ')}`;
  const rest = ` UNION ALL SELECT ${names.map(() => '?').join(', ')}`;
  return first + rest.repeat(Math.max(0, rowCount - 1));
}
