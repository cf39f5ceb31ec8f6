import type { Value } from '../../core/column-type.js';
import { compareVersions } from '../../core/row-version.js';
import type { SQLSchema } from '../../core/schema.js';

/**
 * Keeps only the last row for each key, in their original order. An upsert that touches the
 * same key twice in one statement is an error on PostgreSQL ("ON CONFLICT DO UPDATE command
 * cannot affect row a second time"), while a queue that delivers at least once can easily
 * hold two versions of one row in one batch; the later one is the one to keep.
 * Rows with a null in a key column never conflict (NULLs are distinct) and are all kept.
 */
export function lastRowPerKey<R extends readonly Value[]>(rows: readonly R[], keyIndexes: readonly number[]): R[] {
  const lastIndex = new Map<string, number>();
  const keys: (string | undefined)[] = rows.map((row) => exactKey(row, keyIndexes));
  keys.forEach((key, i) => {
    if (key !== undefined) lastIndex.set(key, i);
  });
  if (lastIndex.size === rows.length) return [...rows];
  return rows.filter((_, i) => {
    const key = keys[i];
    return key === undefined || lastIndex.get(key) === i;
  });
}

/**
 * Keeps only the newest row for each key (by the value at `versionIndex`, see `compareVersions`;
 * on a tie the later row), in their original order. This is "last submit wins" inside one batch:
 * arrival order in the queue says nothing about submit order once batches run concurrently or
 * are retried. Rows with a null in a key column are all kept, as in {@link lastRowPerKey}.
 */
export function newestRowPerKey<R extends readonly Value[]>(rows: readonly R[], keyIndexes: readonly number[], versionIndex: number): R[] {
  const newest = new Map<string, number>();
  const keys: (string | undefined)[] = rows.map((row) => exactKey(row, keyIndexes));
  keys.forEach((key, i) => {
    if (key === undefined) return;
    const held = newest.get(key);
    if (held === undefined || compareVersions((rows[i] as R)[versionIndex], (rows[held] as R)[versionIndex]) >= 0) newest.set(key, i);
  });
  if (newest.size === rows.length) return [...rows];
  return rows.filter((_, i) => {
    const key = keys[i];
    return key === undefined || newest.get(key) === i;
  });
}

/** The rows of a versioned schema's batch collapsed to the newest per key; other schemas' rows unchanged. */
export function newestRowsIfVersioned<R extends readonly Value[]>(schema: SQLSchema, rows: R[]): R[] {
  if (!schema.version) return rows;
  return newestRowPerKey(rows, schema.keys.map((key) => schema.columnIndex.get(key) as number), schema.version.index);
}

/**
 * One row per key (as JavaScript compares it, see {@link exactKey}), the row a statement that
 * applied the batch's rows in order would leave: the newest version with a version column, else
 * the last row for `update` and `replace`, the first for `ignore` (a duplicate never overwrites).
 * `insert` keeps every row, since a key twice must still fail as a duplicate. Identical keys are
 * one key to every database, so this changes no outcome; it only spares the server rows it would
 * overwrite, and spares concurrent batches the row locks held while it does.
 */
export function survivingRowPerKey<R extends readonly Value[]>(schema: SQLSchema, rows: R[]): R[] {
  if (schema.version) return newestRowsIfVersioned(schema, rows);
  const keyIndexes = schema.keys.map((key) => schema.columnIndex.get(key) as number);
  if (schema.conflict === 'update' || schema.conflict === 'replace') return lastRowPerKey(rows, keyIndexes);
  if (schema.conflict === 'ignore') return lastRowPerKey([...rows].reverse(), keyIndexes).reverse();
  return rows;
}

/** A row's key as JavaScript compares it (`1`, `1n` and `'1'` alike), undefined when a key column is null. */
export function exactKey(row: readonly Value[], keyIndexes: readonly number[]): string | undefined {
  const parts: string[] = [];
  for (const index of keyIndexes) {
    const value = row[index] ?? null;
    if (value === null) return undefined;
    parts.push(keyPart(value));
  }
  return JSON.stringify(parts);
}

/** Numbers, bigints and strings share one form because the database compares `1`, `1n` and `'1'` alike in a typed key column. */
function keyPart(value: Exclude<Value, null>): string {
  if (value instanceof Date) return `t${value.getTime()}`;
  if (value instanceof Uint8Array) return `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  return `v${String(value)}`;
}
