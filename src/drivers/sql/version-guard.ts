import type { SQLSchema } from '../../core/schema.js';
import { quoteIdentifier, quoteTableName, type IdentifierQuote } from './quote.js';

/**
 * The condition under which an incoming row may overwrite the stored one: its version is newer,
 * or the stored version is NULL (a row written before the column existed, or without a version,
 * is older than any version). An incoming NULL never overwrites a stored version (`NULL > x` is
 * not true), and an equal version does not either, so a redelivered request changes nothing.
 * Both arguments are SQL column references, already quoted.
 */
export function newerThanStored(stored: string, incoming: string): string {
  return `(${stored} IS NULL OR ${incoming} > ${stored})`;
}

/**
 * ` WHERE …` for `ON CONFLICT (keys) DO UPDATE SET …` (PostgreSQL and SQLite): the stored row is
 * named by its table, the incoming one by `excluded`. Empty for a schema without a version column.
 *
 * @example
 * ```ts
 * upsertVersionWhere(SQLSchema('t', 'update', ['id', 'name'], { versionColumn: 'v' }), '"', 'EXCLUDED');
 * // ' WHERE ("t"."v" IS NULL OR EXCLUDED."v" > "t"."v")'
 * ```
 */
export function upsertVersionWhere(schema: SQLSchema, quote: IdentifierQuote, excluded: string): string {
  if (!schema.version) return '';
  const column = quoteIdentifier(schema.version.column, quote);
  return ` WHERE ${newerThanStored(`${quoteTableName(schema.table, quote)}.${column}`, `${excluded}.${column}`)}`;
}
