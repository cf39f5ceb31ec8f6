import type { BaseColumnType } from '../../src/core/column-type.js';
import type { SQLSchema } from '../../src/core/schema.js';
import { SchemaDefinitionError } from '../../src/errors/schema-definition-error.js';
import { quoteColumnList, quoteIdentifier, quoteTableName, type IdentifierQuote } from '../../src/drivers/sql/quote.js';

/** SQL dialects the worker can create tables for. */
export type DdlDialect = 'postgres' | 'mysql' | 'sqlite';

/** Column types per dialect. `key` variants apply to key columns, which MySQL cannot index as TEXT/BLOB. */
const TYPES: Readonly<Record<DdlDialect, Readonly<Record<BaseColumnType, string>> & { keyString?: string; keyBytes?: string }>> = Object.freeze({
  postgres: { int32: 'integer', int64: 'bigint', float64: 'double precision', string: 'text', bool: 'boolean', timestamp: 'timestamptz', bytes: 'bytea' },
  // DATETIME(3): the driver writes UTC with millisecond precision, which is what survives the queue.
  mysql: { int32: 'INT', int64: 'BIGINT', float64: 'DOUBLE', string: 'TEXT', bool: 'BOOLEAN', timestamp: 'DATETIME(3)', bytes: 'LONGBLOB', keyString: 'VARCHAR(255)', keyBytes: 'VARBINARY(255)' },
  // The SQLite driver stores timestamps as ISO-8601 text by default (epoch_ms: INTEGER).
  sqlite: { int32: 'INTEGER', int64: 'INTEGER', float64: 'REAL', string: 'TEXT', bool: 'INTEGER', timestamp: 'TEXT', bytes: 'BLOB' },
});

/**
 * `CREATE TABLE IF NOT EXISTS` for a typed schema: one column per schema column (NOT NULL
 * unless declared nullable) and the schema's keys as primary key, which the conflict strategy
 * needs. Identifiers are quoted per dialect; no value is ever part of the text.
 *
 * @example
 * ```ts
 * buildCreateTable(SQLSchema('events', 'ignore', { id: 'int64', kind: 'string' }), 'postgres');
 * // CREATE TABLE IF NOT EXISTS "events" ("id" bigint NOT NULL, "kind" text NOT NULL, PRIMARY KEY ("id"))
 * ```
 */
export function buildCreateTable(schema: SQLSchema, dialect: DdlDialect, options: { sqliteTimestamp?: 'iso' | 'epoch_ms' } = {}): string {
  if (!schema.types) throw new SchemaDefinitionError(`schema "${schema.name}": creating its table needs typed columns`);
  const q: IdentifierQuote = dialect === 'mysql' ? '`' : '"';
  const types = TYPES[dialect];
  const columns = schema.columns.map((column, i) => {
    const type = schema.types?.[i];
    if (!type) throw new SchemaDefinitionError(`schema "${schema.name}": column "${column}" has no type`);
    const isKey = schema.keys.includes(column);
    let sqlType = types[type.base];
    if (isKey && type.base === 'string' && types.keyString) sqlType = types.keyString;
    if (isKey && type.base === 'bytes' && types.keyBytes) sqlType = types.keyBytes;
    if (dialect === 'sqlite' && type.base === 'timestamp' && options.sqliteTimestamp === 'epoch_ms') sqlType = 'INTEGER';
    return `${quoteIdentifier(column, q)} ${sqlType}${type.nullable && !isKey ? '' : ' NOT NULL'}`;
  });
  return `CREATE TABLE IF NOT EXISTS ${quoteTableName(schema.table, q)} (${columns.join(', ')}, PRIMARY KEY (${quoteColumnList(schema.keys, q)}))`;
}
