import type { BaseColumnType } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { nonKeyColumns, quoteColumnList, quoteIdentifier, quoteTableName } from '../sql/quote.js';
import { newerThanStored, upsertVersionWhere } from '../sql/version-guard.js';
import { deleteColumnIndexes } from '../sql/delete-rows.js';

/**
 * PostgreSQL SQL text, and nothing else: no connections, no values.
 *
 * Rows are bound as one array per column and expanded with `unnest`, so a statement has as
 * many parameters as the table has columns, whatever the row count (measured about 4× faster
 * than a long `VALUES ($1, …)` list, and never near the 65,535-parameter limit).
 */

/** Array element type per declared column type. */
export const POSTGRES_ELEMENT_TYPES: Readonly<Record<BaseColumnType, string>> = Object.freeze({
  int32: 'int4',
  int64: 'int8',
  float64: 'float8',
  string: 'text',
  bool: 'bool',
  timestamp: 'timestamptz',
  bytes: 'bytea',
});

/**
 * Reads a table's column types from the catalog, without type modifiers: an explicit cast to
 * `varchar(20)` or `numeric(5,2)` would silently truncate or round, while the assignment into
 * the column checks the value and fails loudly. `$1` is the quoted table name.
 */
export const POSTGRES_COLUMN_TYPES_SQL =
  'SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type FROM pg_catalog.pg_attribute a ' +
  'WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped';

/**
 * Catalog types whose unmodified name means a fixed length of one (`character` is `char(1)`,
 * `bit` is `bit(1)`): cast through their unbounded siblings so long values are not cut short.
 * `character` goes to `bpchar` (unbounded, still blank-padded), not `text`: a key compared with
 * its parameter (deletes, the tombstone guard) must ignore trailing spaces as the column does,
 * and `char(4) = text` compares as text, where 'a' and 'a ' differ.
 */
const UNBOUNDED_TYPES: Readonly<Record<string, string>> = Object.freeze({ character: 'bpchar', bit: 'bit varying' });

/** The array element type to cast a column's parameter to, given its catalog type. */
export function elementTypeForCatalogType(catalogType: string): string {
  return UNBOUNDED_TYPES[catalogType] ?? catalogType;
}

/**
 * `INSERT INTO "t" ("a", "b") SELECT * FROM unnest($1::int8[], $2::text[])` plus the conflict clause.
 * `elementTypes` holds one element type per schema column, in column order.
 *
 * PostgreSQL has no REPLACE: `replace` and `update` both become
 * `ON CONFLICT (keys) DO UPDATE SET c = EXCLUDED.c` for every non-key column (columns the
 * schema does not list keep their values, and no row is ever deleted). `ignore` is
 * `ON CONFLICT (keys) DO NOTHING`. The keys are the only arbiter: a row that collides on any
 * other unique index fails with SQLSTATE 23505 for every strategy (so it is dead-lettered alone
 * and no other row changes), and every other constraint still fails the batch too.
 */
export function buildPostgresInsert(schema: SQLSchema, elementTypes: readonly string[]): string {
  const q = '"';
  const params = elementTypes.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  return `INSERT INTO ${quoteTableName(schema.table, q)} (${quoteColumnList(schema.columns, q)}) SELECT * FROM unnest(${params})${postgresConflictClause(schema)}`;
}

/** The ` ON CONFLICT …` clause for the schema's strategy (none for `insert`, where any conflict fails with 23505); a version column adds `WHERE` it is newer. */
export function postgresConflictClause(schema: SQLSchema): string {
  if (schema.conflict === 'insert') return '';
  const q = '"';
  const target = ` ON CONFLICT (${quoteColumnList(schema.keys, q)})`;
  const updates = nonKeyColumns(schema.columns, schema.keys);
  // With every column in the key there is nothing to update: ignoring is the same outcome.
  if (schema.conflict === 'ignore' || updates.length === 0) return `${target} DO NOTHING`;
  const set = updates.map((column) => `${quoteIdentifier(column, q)} = EXCLUDED.${quoteIdentifier(column, q)}`).join(', ');
  return `${target} DO UPDATE SET ${set}${upsertVersionWhere(schema, q, 'EXCLUDED')}`;
}

/**
 * The statement that opens a batch's transaction, with per-transaction timeouts when set
 * (`SET LOCAL` ends with the transaction, so a user's pooled connection is left as it was).
 */
export function buildPostgresBegin(statementTimeoutMs: number | undefined, lockTimeoutMs: number | undefined): string {
  let sql = 'BEGIN';
  if (statementTimeoutMs !== undefined) sql += `; SET LOCAL statement_timeout = ${Math.trunc(statementTimeoutMs)}`;
  if (lockTimeoutMs !== undefined) sql += `; SET LOCAL lock_timeout = ${Math.trunc(lockTimeoutMs)}`;
  return sql;
}

/**
 * `DELETE FROM "t" USING unnest($1::int8[], …) AS "bf_d"("id", …) WHERE "t"."id" = "bf_d"."id" …`:
 * every delete of a batch in one statement, its keys bound as arrays like the inserts. With a
 * version column the delete removes only a stored row older than itself (see `newerThanStored`).
 * `elementTypes` holds one element type per schema column, in column order.
 */
export function buildPostgresDelete(schema: SQLSchema, elementTypes: readonly string[]): string {
  const q = '"';
  const table = quoteTableName(schema.table, q);
  const indexes = deleteColumnIndexes(schema);
  const names = indexes.map((index) => schema.columns[index] as string);
  const params = indexes.map((index, i) => `$${i + 1}::${elementTypes[index] as string}[]`).join(', ');
  const match = schema.keys.map((key) => `${table}.${quoteIdentifier(key, q)} = "bf_d".${quoteIdentifier(key, q)}`);
  if (schema.version) {
    const column = quoteIdentifier(schema.version.column, q);
    match.push(newerThanStored(`${table}.${column}`, `"bf_d".${column}`));
  }
  return `DELETE FROM ${table} USING unnest(${params}) AS "bf_d"(${quoteColumnList(names, q)}) WHERE ${match.join(' AND ')}`;
}
