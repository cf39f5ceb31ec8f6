import type { SQLSchema } from '../../core/schema.js';
import { nonKeyColumns, quoteColumnList, quoteIdentifier, quoteTableName } from '../sql/quote.js';
import { upsertVersionWhere } from '../sql/version-guard.js';

/**
 * SQLite SQL text, and nothing else: no connections, no values.
 * One multi-row `INSERT … VALUES (?, …), (?, …)` per chunk (measured about twice the rows per
 * second of a one-row statement run repeatedly, flat from 50 to 1,000 rows per statement).
 */

/** SQLITE_MAX_VARIABLE_NUMBER of the SQLite bundled with better-sqlite3 12 (3.53; the default since 3.32). */
export const SQLITE_MAX_PARAMETERS = 32_766;

/**
 * The INSERT for `rowCount` rows and the schema's conflict strategy. Every strategy names the
 * schema's keys as its conflict target, so only a key conflict is merged: a row that collides on
 * another unique index fails with SQLITE_CONSTRAINT_UNIQUE (the default ABORT), and no other row changes.
 * - `ignore`: `… ON CONFLICT (keys) DO NOTHING`. Not `INSERT OR IGNORE`, which also silently skips
 *   rows that break a NOT NULL or CHECK constraint, where they must fail and be dead-lettered.
 * - `update` and `replace`: `… ON CONFLICT (keys) DO UPDATE SET c = excluded.c` for each non-key column
 *   (`DO NOTHING` when every column is a key). `replace` is not `INSERT OR REPLACE`: that deletes
 *   every row the new one matches on *any* unique index (with `ON DELETE CASCADE`, their children
 *   too) before inserting. Like PostgreSQL, `replace` overwrites every column the schema lists in
 *   place; columns it does not list keep their values. A key twice in one statement: the later row wins.
 */
export function buildSqliteInsert(schema: SQLSchema, rowCount: number): string {
  const q = '"';
  const row = `(${new Array<string>(schema.columns.length).fill('?').join(', ')})`;
  const values = new Array<string>(rowCount).fill(row).join(', ');
  return `INSERT INTO ${quoteTableName(schema.table, q)} (${quoteColumnList(schema.columns, q)}) VALUES ${values}${sqliteConflictClause(schema)}`;
}

/** The ` ON CONFLICT (keys) …` upsert clause for the schema's strategy (none for `insert`, where any conflict fails); a version column adds `WHERE` it is newer. */
export function sqliteConflictClause(schema: SQLSchema): string {
  if (schema.conflict === 'insert') return '';
  const q = '"';
  const target = ` ON CONFLICT (${quoteColumnList(schema.keys, q)})`;
  const updates = schema.conflict === 'ignore' ? [] : nonKeyColumns(schema.columns, schema.keys);
  if (updates.length === 0) return `${target} DO NOTHING`;
  return `${target} DO UPDATE SET ${updates.map((c) => `${quoteIdentifier(c, q)} = excluded.${quoteIdentifier(c, q)}`).join(', ')}${upsertVersionWhere(schema, q, 'excluded')}`;
}
