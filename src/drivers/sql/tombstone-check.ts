import type { TableShape } from '../../core/schema-diff.js';
import type { SQLSchema } from '../../core/schema.js';
import type { SchemaNote, SchemaProblem } from '../../errors/schema-diff-report.js';
import { keepsTombstones, type TombstoneSchema } from './tombstone-keeper.js';

/** The schemas among `schemas` that keep delete tombstones, so have a tombstone table to create and check. */
export function tombstoneSchemas(schemas: readonly SQLSchema[]): TombstoneSchema[] {
  return schemas.filter(keepsTombstones);
}

/**
 * Compares a schema's tombstone table with what the deletes need: the key columns and the version
 * column (the driver copies their types from the data table), `bf_deleted_ms`, and a unique index
 * on exactly the keys. A missing table is a note, not a problem: the first delete batch creates it
 * (the database user then needs CREATE), and `createTable: true` creates it at start. A table that
 * exists without those columns or that index fails every delete batch, so it is a problem.
 */
export function compareTombstoneTable(schema: TombstoneSchema, shape: TableShape, createTable: boolean): { problems: SchemaProblem[]; notes: SchemaNote[] } {
  const table = schema.tombstones.table;
  if (!shape.exists) {
    const message = createTable
      ? `tombstone table ${table} is missing: createTable: true creates it`
      : `tombstone table ${table} is missing: the first delete batch creates it (the database user needs CREATE), or create it at start with createTable: true`;
    return { problems: [], notes: [{ kind: 'tombstone-table', message }] };
  }
  const columns = new Set(shape.columns.map((column) => column.name));
  const missing = [...schema.keys, schema.version.column, 'bf_deleted_ms'].filter((column) => !columns.has(column));
  const problems: SchemaProblem[] = missing.map((column) => ({ kind: 'tombstone-table', column, message: `tombstone table ${table}: column ${column} is missing (drop the table to let BatchFlow create it again)` }));
  const keys = [...schema.keys].sort().join(',');
  if (!shape.uniqueIndexes.some((index) => [...index.columns].sort().join(',') === keys)) {
    problems.push({ kind: 'tombstone-table', message: `tombstone table ${table}: no primary key or unique index on exactly the keys (${schema.keys.join(', ')})` });
  }
  return { problems, notes: [] };
}
