import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { chunkRangesByBytes } from '../sql/chunk.js';
import { survivingRowPerKey } from '../sql/row-key.js';
import { inKeyOrder } from '../sql/key-order.js';
import { buildMySqlExistingKeys, buildMySqlKeyedUpdate, buildMySqlPlainInsert } from './statement-builder.js';
import { field, resultRows, type MySqlQuery } from './unique-indexes.js';

/** How {@link mergeOnKeys} chunks a batch: the same limits as the single-statement path. */
export interface KeyMergeLimits {
  readonly maxRows: number;
  readonly maxBytes: number;
}

/**
 * Writes a batch into a table that has a unique index besides the schema's key, merging on the
 * schema's keys only. `ON DUPLICATE KEY UPDATE` and `REPLACE` would match a row through *any*
 * unique index and overwrite (or delete) it; here a collision on another index fails with a real
 * errno 1062, so bisection dead-letters just that row and no other row changes.
 *
 * Per chunk, inside the caller's transaction: find (and lock, `FOR UPDATE`) the rows whose key
 * exists; `update`/`replace` overwrite their non-key columns through one `UPDATE … JOIN`; rows
 * with new keys go through a plain multi-row `INSERT` (so a key inserted meanwhile by another
 * writer is a 1062 too, which bisection then retries alone and finds). A key twice in one batch
 * keeps the documented outcome of the single-statement path: the first row for `ignore`, the last
 * one for `update` and `replace`.
 */
export async function mergeOnKeys(
  query: MySqlQuery,
  checkpoint: () => void,
  schema: SQLSchema,
  batch: readonly (readonly Value[])[],
  limits: KeyMergeLimits,
): Promise<void> {
  const keyIndexes = schema.keys.map((key) => schema.columnIndex.get(key) as number);
  const kept = survivingRowPerKey(schema, [...batch]);
  // The caller's key order may not survive the dedupe's filter unchanged: sort again (stable, cheap).
  const rows = inKeyOrder(schema, kept);
  const insert = buildMySqlPlainInsert(schema);
  for (const { start, end } of chunkRangesByBytes(rows, limits.maxRows, limits.maxBytes)) {
    checkpoint();
    const chunk = rows.slice(start, end);
    const lookup = chunk.flatMap((row, i) => [i, ...keyIndexes.map((k) => row[k] ?? null)]);
    const found = new Set(resultRows(await query(buildMySqlExistingKeys(schema, chunk.length), lookup)).map((row) => Number(field(row, 'i', 0))));
    const existing = chunk.filter((_, i) => found.has(i));
    const fresh = found.size === 0 ? chunk : chunk.filter((_, i) => !found.has(i));
    const update = schema.conflict === 'ignore' || existing.length === 0 ? undefined : buildMySqlKeyedUpdate(schema, existing.length);
    if (update !== undefined) {
      checkpoint();
      await query(update, existing.flat());
    }
    if (fresh.length > 0) {
      checkpoint();
      await query(insert, [fresh]);
    }
  }
}
