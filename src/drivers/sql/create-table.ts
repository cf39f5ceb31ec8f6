import type { BaseColumnType } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { SchemaDefinitionError } from '../../errors/schema-definition-error.js';
import { quoteColumnList, quoteIdentifier, quoteTableName, type IdentifierQuote } from './quote.js';

/**
 * Column types of one dialect for `CREATE TABLE`. The `key` variants apply to key columns,
 * which some dialects (MySQL) cannot index as TEXT/BLOB.
 */
export type DdlColumnTypes = Readonly<Record<BaseColumnType, string>> & { readonly keyString?: string; readonly keyBytes?: string };

/**
 * `CREATE TABLE IF NOT EXISTS` for a typed schema: one column per schema column (NOT NULL
 * unless declared nullable) and the schema's keys as primary key, which the conflict strategy
 * needs (none for `insert` without keys: an append-only table). Identifiers are quoted per dialect; no value is ever part of the text. Each SQL sink
 * definition calls it with its own quote and types.
 *
 * @example
 * ```ts
 * buildCreateTable(SQLSchema('events', 'ignore', { id: 'int64', kind: 'string' }), '"', POSTGRES_DDL_TYPES);
 * // CREATE TABLE IF NOT EXISTS "events" ("id" bigint NOT NULL, "kind" text NOT NULL, PRIMARY KEY ("id"))
 * ```
 */
export function buildCreateTable(schema: SQLSchema, quote: IdentifierQuote, types: DdlColumnTypes): string {
  if (!schema.types) throw new SchemaDefinitionError(`schema "${schema.name}": creating its table needs typed columns`);
  const columns = schema.columns.map((column, i) => {
    const type = schema.types?.[i];
    if (!type) throw new SchemaDefinitionError(`schema "${schema.name}": column "${column}" has no type`);
    const isKey = schema.keys.includes(column);
    let sqlType = types[type.base];
    if (isKey && type.base === 'string' && types.keyString) sqlType = types.keyString;
    if (isKey && type.base === 'bytes' && types.keyBytes) sqlType = types.keyBytes;
    return `${quoteIdentifier(column, quote)} ${sqlType}${type.nullable && !isKey ? '' : ' NOT NULL'}`;
  });
  const key = schema.keys.length > 0 ? `, PRIMARY KEY (${quoteColumnList(schema.keys, quote)})` : '';
  return `CREATE TABLE IF NOT EXISTS ${quoteTableName(schema.table, quote)} (${columns.join(', ')}${key})`;
}
