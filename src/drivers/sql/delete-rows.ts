import type { Value } from '../../core/column-type.js';
import { compareVersions } from '../../core/row-version.js';
import type { SQLSchema } from '../../core/schema.js';
import { databaseKeyId, keyIndexesOf, type DatabaseKeyRanks } from './key-order.js';
import { newerThanStored } from './version-guard.js';
import { quoteIdentifier, quoteTableName, type IdentifierQuote } from './quote.js';

/** A batch's rows split by operation: the deletes run first, then the upserts, in one transaction. */
export interface BatchOperations<R> {
  /** One delete per key, for every key whose deletes are not overtaken by a newer version. */
  readonly deletes: R[];
  /** The upserts still to write after the deletes, in their original order. */
  readonly upserts: R[];
}

/**
 * Splits a batch into the deletes to run first and the upserts to run after them, so that the
 * outcome per key is that of applying the batch's operations one after another.
 *
 * Without a version column, the last operation per key wins in arrival order: a key with any
 * delete is deleted once (its last delete), and only its upserts after that delete are kept
 * (a delete then an upsert leaves the upsert, on every strategy, `insert` and `ignore` too).
 * With a version column, the newest operation per key wins (on a tie the later): a delete is
 * kept only when it is the newest, and then the key's upserts are all dropped; an older delete
 * before a newer upsert is dropped, since the versioned upsert overwrites the row anyway.
 * Rows with a null key are upserts that name no row, kept as they are.
 *
 * Keys are the database's: `ranks` (the driver's `LookalikeKeyRanks` over `rows`) joins spellings
 * the key column equates ('a' and 'A' under citext or a `*_ci` collation, 'a' and 'a ' in a
 * `char(n)`), so a delete of 'A' after an upsert of 'a' deletes that key, as the database would.
 * Without ranks, keys are compared exactly.
 */
export function splitOperations<R extends readonly Value[]>(schema: SQLSchema, rows: readonly R[], deletes: ReadonlySet<readonly Value[]>, ranks?: DatabaseKeyRanks): BatchOperations<R> {
  if (deletes.size === 0 || !rows.some((row) => deletes.has(row))) return { deletes: [], upserts: [...rows] };
  const keyIndexes = keyIndexesOf(schema);
  const keys = rows.map((row) => databaseKeyId(row, keyIndexes, ranks));
  const version = schema.version?.index;
  // Per key, the index of its deciding row: the newest (versioned) or the last delete (unversioned).
  const deciding = new Map<string, number>();
  rows.forEach((row, i) => {
    const key = keys[i];
    if (key === undefined) return;
    const held = deciding.get(key);
    if (version === undefined) {
      if (deletes.has(row)) deciding.set(key, i);
    } else if (held === undefined || compareVersions(row[version], (rows[held] as R)[version]) >= 0) {
      deciding.set(key, i);
    }
  });
  const out: BatchOperations<R> = { deletes: [], upserts: [] };
  rows.forEach((row, i) => {
    const key = keys[i];
    const at = key === undefined ? undefined : deciding.get(key);
    if (deletes.has(row)) {
      if (at === i) out.deletes.push(row);
    } else if (at === undefined || (version === undefined ? i > at : !deletes.has(rows[at] as R))) {
      out.upserts.push(row);
    }
  });
  return out;
}

/**
 * One row's delete condition, `k1 = ? AND k2 = ?`, plus `AND (v IS NULL OR ? > v)` with a version
 * column: a delete removes only a row older than itself, so a late delete cannot remove a newer write.
 */
export function deleteRowCondition(schema: SQLSchema, quote: IdentifierQuote): string {
  const conditions = schema.keys.map((key) => `${quoteIdentifier(key, quote)} = ?`);
  if (schema.version) conditions.push(newerThanStored(quoteIdentifier(schema.version.column, quote), '?'));
  return conditions.join(' AND ');
}

/** The columns a delete binds, in the order of {@link deleteRowCondition}: the keys, then the version column when the schema has one. */
export function deleteColumnIndexes(schema: SQLSchema): number[] {
  const indexes = keyIndexesOf(schema);
  if (schema.version) indexes.push(schema.version.index);
  return indexes;
}

/** The parameters of {@link deleteRowCondition} for one row: its keys, then its version. */
export function deleteRowParams(schema: SQLSchema, row: readonly Value[]): Value[] {
  return deleteColumnIndexes(schema).map((index) => row[index] ?? null);
}

/** `DELETE FROM t WHERE (cond) OR (cond) …` for `rowCount` rows (SQLite's per-row form is `rowCount` 1). */
export function buildDeleteWhere(schema: SQLSchema, quote: IdentifierQuote, rowCount: number): string {
  const condition = rowCount === 1 ? deleteRowCondition(schema, quote) : `(${deleteRowCondition(schema, quote)})`;
  return `DELETE FROM ${quoteTableName(schema.table, quote)} WHERE ${new Array<string>(rowCount).fill(condition).join(' OR ')}`;
}
