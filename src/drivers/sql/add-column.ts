import type { SQLSchema } from '../../core/schema.js';
import { SchemaDefinitionError } from '../../errors/schema-definition-error.js';
import type { DdlColumnTypes } from './create-table.js';
import { quoteIdentifier, quoteTableName, type IdentifierQuote } from './quote.js';

/**
 * `ALTER TABLE … ADD COLUMN` for one missing nullable column of a typed schema, as
 * `evolve: 'add-columns'` runs it: the dialect's `CREATE TABLE` type, no NOT NULL (existing rows
 * have no value), identifiers quoted per dialect.
 *
 * @example
 * ```ts
 * buildAddColumn(SQLSchema('events', 'ignore', { id: 'int64', note: 'string?' }), 'note', '"', POSTGRES_DDL_TYPES);
 * // ALTER TABLE "events" ADD COLUMN "note" text
 * ```
 */
export function buildAddColumn(schema: SQLSchema, column: string, quote: IdentifierQuote, types: DdlColumnTypes): string {
  const type = schema.types?.[schema.columnIndex.get(column) ?? -1];
  if (!type?.nullable) throw new SchemaDefinitionError(`schema "${schema.name}": only a typed nullable column can be added, not "${column}"`);
  return `ALTER TABLE ${quoteTableName(schema.table, quote)} ADD COLUMN ${quoteIdentifier(column, quote)} ${types[type.base]}`;
}
