import { ValidationError } from '../errors/validation-error.js';
import { isSQLSchema, partitionKeyColumns, type Schema } from './schema.js';

/** The key columns of a deletable schema (empty for any other). */
export function deleteKeyColumns(schema: Schema): readonly string[] {
  return isSQLSchema(schema) ? schema.keys : [];
}

/**
 * Refuses a delete on a schema it cannot name a row in: not a SQL table (a Redis schema deletes
 * with its own `DEL` command), without keys, or partitioned by a column that is not a key (the
 * delete could land in another partition than the row's writes, and overtake them).
 */
export function assertDeletable(schema: Schema): void {
  const why = !isSQLSchema(schema)
    ? 'it is not a SQL table schema (a Redis schema deletes with a DEL command)'
    : schema.keys.length === 0
      ? 'it has no keys to name a row by'
      : partitionKeyColumns(schema).some((column) => !schema.keys.includes(column))
        ? 'it is partitioned by a column that is not a key'
        : schema.version && schema.tombstones === undefined
          ? 'it has a versionColumn but no tombstones choice (set tombstones: true so an older write cannot resurrect a deleted row, or false to accept that)'
          : undefined;
  if (why) throw new ValidationError('invalid_row', `schema "${schema.name}" cannot take deletes: ${why}`, { schema: schema.name });
}
