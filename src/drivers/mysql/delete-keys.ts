import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { rowsPerStatement } from '../sql/chunk.js';
import { buildDeleteWhere, deleteRowParams } from '../sql/delete-rows.js';
import { inKeyOrder } from '../sql/key-order.js';
import { quoteColumnList, quoteTableName } from '../sql/quote.js';
import { keepsTombstones, type TombstoneKeeper } from '../sql/tombstone-keeper.js';
import { keyIndexesOf } from '../sql/key-order.js';
import { buildMySqlTombstoneGuard, buildMySqlTombstonePrune, buildMySqlTombstoneRecord } from './tombstones.js';
import { MYSQL_MAX_PARAMETERS } from './statement-builder.js';

const Q = '`';

/**
 * The delete of `rowCount` keys: `DELETE FROM t WHERE (k1, k2) IN ((?, ?), …)`, which both MySQL
 * and MariaDB resolve as lookups on the key's index. With a version column each key carries its
 * own guard, so the form is `(k1 = ? AND … AND (v IS NULL OR ? > v)) OR …` instead.
 */
export function buildMySqlDelete(schema: SQLSchema, rowCount: number): string {
  if (schema.version) return buildDeleteWhere(schema, Q, rowCount);
  const tuple = schema.keys.length === 1 ? '?' : `(${new Array<string>(schema.keys.length).fill('?').join(', ')})`;
  const target = schema.keys.length === 1 ? quoteColumnList(schema.keys, Q) : `(${quoteColumnList(schema.keys, Q)})`;
  return `DELETE FROM ${quoteTableName(schema.table, Q)} WHERE ${target} IN (${new Array<string>(rowCount).fill(tuple).join(', ')})`;
}

/** What the delete steps of one MySQL batch transaction need. */
export interface MySqlDeleteContext {
  readonly query: (sql: string, params?: unknown[]) => Promise<unknown>;
  readonly checkpoint: () => void;
  readonly schema: SQLSchema;
  readonly maxRows: number;
  readonly keeper: TombstoneKeeper;
}

/**
 * Deletes the rows' keys inside the batch's transaction: in key order (the order the upserts lock
 * in), chunked under the placeholder limit and `maxRows`. With tombstones, records one per key
 * and now and then prunes expired ones.
 */
export async function deleteMySqlKeys(context: MySqlDeleteContext, rows: readonly (readonly Value[])[], nowMs: number): Promise<void> {
  const { query, checkpoint, schema, maxRows, keeper } = context;
  const ordered = inKeyOrder(schema, rows);
  const size = rowsPerStatement(schema.keys.length + (schema.version ? 1 : 0), MYSQL_MAX_PARAMETERS, maxRows);
  const tomb = keepsTombstones(schema) ? schema : undefined;
  for (let start = 0; start < ordered.length; start += size) {
    const chunk = ordered.slice(start, start + size);
    checkpoint();
    await query(buildMySqlDelete(schema, chunk.length), chunk.flatMap((row) => deleteRowParams(schema, row)));
    if (tomb) await query(buildMySqlTombstoneRecord(tomb), [chunk.map((row) => [...deleteRowParams(schema, row), nowMs])]);
  }
  if (tomb && keeper.duePrune(tomb.tombstones.table, nowMs)) await query(buildMySqlTombstonePrune(tomb), [nowMs - tomb.tombstones.retentionMs]);
}

/** After the upserts: removes any upserted row older than its key's tombstone again (no-op without tombstones). */
export async function guardMySqlUpserts(context: MySqlDeleteContext, rows: readonly (readonly Value[])[]): Promise<void> {
  const { query, checkpoint, schema, maxRows } = context;
  if (!keepsTombstones(schema) || rows.length === 0) return;
  const keys = keyIndexesOf(schema);
  const size = rowsPerStatement(keys.length, MYSQL_MAX_PARAMETERS, maxRows);
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size);
    checkpoint();
    await query(buildMySqlTombstoneGuard(schema, chunk.length), chunk.flatMap((row) => keys.map((index) => row[index] ?? null)));
  }
}
