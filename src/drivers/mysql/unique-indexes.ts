import type { SQLSchema } from '../../core/schema.js';
import { MYSQL_UNIQUE_INDEXES_SQL } from './statement-builder.js';

/** Runs one statement on the batch's connection, mysql2-style: resolves to `[rows, fields]`. */
export type MySqlQuery = (sql: string, params?: unknown) => Promise<unknown>;

/** A table's unique indexes (PRIMARY included): index name to its columns, in index order. */
export type UniqueIndexes = ReadonlyMap<string, readonly string[]>;

/** The rows of a mysql2 `query()` result (`[rows, fields]`), or `[]` when it has none. */
export function resultRows(result: unknown): Record<string, unknown>[] {
  const rows = Array.isArray(result) ? (result[0] as unknown) : undefined;
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}

/** A column of a result row, by name, or by position when the pool returns rows as arrays (`rowsAsArray`). */
export function field(row: Record<string, unknown>, name: string, position: number): unknown {
  return Array.isArray(row) ? (row as unknown[])[position] : row[name];
}

/** Reads a table's unique indexes from `information_schema.STATISTICS`; `db.table` names another database. */
export async function readUniqueIndexes(query: MySqlQuery, table: string): Promise<UniqueIndexes> {
  const dot = table.lastIndexOf('.');
  const params = dot < 0 ? [null, table] : [table.slice(0, dot), table.slice(dot + 1)];
  const indexes = new Map<string, string[]>();
  for (const row of resultRows(await query(MYSQL_UNIQUE_INDEXES_SQL, params))) {
    const name = String(field(row, 'name', 0));
    let columns = indexes.get(name);
    if (!columns) indexes.set(name, (columns = []));
    columns.push(String(field(row, 'column', 1)));
  }
  return indexes;
}

/**
 * Whether `ON DUPLICATE KEY` could match a row through an index other than the schema's key:
 * true when the table has any unique index whose columns are not exactly the schema's keys
 * (in any order; MySQL column names compare case-insensitively). A unique index that merely
 * contains the keys counts too, since the safe path is always correct and this one is rare.
 */
export function hasOtherUniqueIndex(indexes: UniqueIndexes, schema: SQLSchema): boolean {
  const keys = new Set(schema.keys.map((key) => key.toLowerCase()));
  for (const columns of indexes.values()) {
    const same = columns.length === keys.size && columns.every((column) => keys.has(column.toLowerCase()));
    if (!same) return true;
  }
  return false;
}
