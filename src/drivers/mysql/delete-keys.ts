import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { rowsPerStatement } from '../sql/chunk.js';
import { buildDeleteWhere, deleteRowParams } from '../sql/delete-rows.js';
import { inKeyOrder } from '../sql/key-order.js';
import { quoteColumnList, quoteTableName } from '../sql/quote.js';
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

/**
 * Deletes the rows' keys inside the batch's transaction: in key order (the order the upserts lock
 * in), chunked under the placeholder limit and `maxRows`.
 */
export async function deleteMySqlKeys(
  query: (sql: string, params?: unknown[]) => Promise<unknown>,
  checkpoint: () => void,
  schema: SQLSchema,
  rows: readonly (readonly Value[])[],
  maxRows: number,
): Promise<void> {
  const ordered = inKeyOrder(schema, rows);
  const size = rowsPerStatement(schema.keys.length + (schema.version ? 1 : 0), MYSQL_MAX_PARAMETERS, maxRows);
  for (let start = 0; start < ordered.length; start += size) {
    const chunk = ordered.slice(start, start + size);
    checkpoint();
    await query(buildMySqlDelete(schema, chunk.length), chunk.flatMap((row) => deleteRowParams(schema, row)));
  }
}
