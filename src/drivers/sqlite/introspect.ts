import type { DialectSchemaRules, TableShape, TableUniqueIndex } from '../../core/schema-diff.js';
import { quoteIdentifier } from '../sql/quote.js';

/** Runs one read-only statement and returns its rows (better-sqlite3's `prepare(sql).all()`). */
export type SqliteRowsQuery = (sql: string) => Record<string, unknown>[];

const INTEGERS = ['integer', 'numeric', 'any'];

/**
 * Which SQLite column affinities hold each declared type (a column's declared type is
 * reduced to its affinity by SQLite's own rules; a column without a type, `any`, keeps every
 * value as given). Timestamps are TEXT by default, INTEGER with `timestampFormat: 'epoch_ms'`.
 */
export function sqliteSchemaRules(timestampFormat: 'iso' | 'epoch_ms' = 'iso'): DialectSchemaRules {
  return Object.freeze({
    caseInsensitiveNames: true,
    types: Object.freeze({
      int32: INTEGERS,
      int64: INTEGERS,
      float64: ['real', 'numeric', 'any'],
      string: ['text', 'any'],
      bool: INTEGERS,
      timestamp: timestampFormat === 'epoch_ms' ? INTEGERS : ['text', 'numeric', 'any'],
      bytes: ['blob', 'any'],
    }),
  });
}

/** A declared SQLite type's affinity (https://www.sqlite.org/datatype3.html#determination_of_column_affinity). */
export function sqliteAffinity(declared: string): string {
  const type = declared.toUpperCase();
  if (type.includes('INT')) return 'integer';
  if (['CHAR', 'CLOB', 'TEXT'].some((part) => type.includes(part))) return 'text';
  if (type.trim() === '') return 'any';
  if (type.includes('BLOB')) return 'blob';
  if (['REAL', 'FLOA', 'DOUB'].some((part) => type.includes(part))) return 'real';
  return 'numeric';
}

/** Reads one table's columns and unique indexes with `PRAGMA`s; `aux.events` names an attached database. */
export function readSqliteTable(query: SqliteRowsQuery, table: string): TableShape {
  const dot = table.indexOf('.');
  const schema = dot < 0 ? '' : `${quoteIdentifier(table.slice(0, dot), '"')}.`;
  const name = quoteIdentifier(dot < 0 ? table : table.slice(dot + 1), '"');
  const info = query(`PRAGMA ${schema}table_info(${name})`);
  if (info.length === 0) return { table, exists: false, columns: [], uniqueIndexes: [] };
  const pk = info.filter((row) => Number(row.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk));
  // A lone INTEGER PRIMARY KEY is the rowid: an insert without it gets the next one.
  const rowid = pk.length === 1 && String(pk[0]?.type).toUpperCase() === 'INTEGER' ? String(pk[0]?.name) : undefined;
  const columns = info.map((row) => ({
    name: String(row.name),
    type: sqliteAffinity(String(row.type ?? '')),
    declaredType: String(row.type ?? '') || '(no type)',
    nullable: Number(row.notnull) === 0,
    hasDefault: row.dflt_value !== null || String(row.name) === rowid,
  }));
  const uniqueIndexes: TableUniqueIndex[] = pk.length > 0 ? [{ name: 'PRIMARY KEY', primary: true, columns: pk.map((row) => String(row.name)) }] : [];
  for (const index of query(`PRAGMA ${schema}index_list(${name})`)) {
    if (Number(index.unique) !== 1 || Number(index.partial) === 1 || index.origin === 'pk') continue;
    const parts = query(`PRAGMA ${schema}index_info(${quoteIdentifier(String(index.name), '"')})`).sort((a, b) => Number(a.seqno) - Number(b.seqno));
    if (parts.some((part) => part.name === null)) continue; // an expression index cannot serve ON CONFLICT (keys)
    uniqueIndexes.push({ name: String(index.name), primary: false, columns: parts.map((part) => String(part.name)) });
  }
  return { table, exists: true, columns, uniqueIndexes };
}
