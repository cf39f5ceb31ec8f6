import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { toColumns } from '../sql/batch-rows.js';
import { deleteColumnIndexes } from '../sql/delete-rows.js';
import { inKeyOrder, keyIndexesOf, looseKeyId } from '../sql/key-order.js';
import { keepsTombstones, type TombstoneKeeper } from '../sql/tombstone-keeper.js';
import type { SqlSession } from '../sql/transaction.js';
import { columnDatesAsText, postgresUtcText } from '../sql/utc-time-text.js';
import { buildPostgresDelete } from './statement-builder.js';
import { buildPostgresTombstoneGuard, buildPostgresTombstonePrune, buildPostgresTombstoneRecord } from './tombstones.js';

/** What the delete steps of one PostgreSQL batch transaction need. */
export interface PostgresDeleteContext {
  readonly query: SqlSession['query'];
  readonly checkpoint: () => void;
  readonly schema: SQLSchema;
  /** One array element type per schema column. */
  readonly elementTypes: readonly string[];
  readonly maxRows: number;
  readonly keeper: TombstoneKeeper;
}

/** The rows' key (and version) columns as arrays, in key order and chunks of `maxRows`. */
function* keyChunks(context: PostgresDeleteContext, rows: readonly (readonly Value[])[]): Generator<Value[][]> {
  const { schema, maxRows } = context;
  const indexes = deleteColumnIndexes(schema);
  const ordered = inKeyOrder(schema, rows);
  for (let start = 0; start < ordered.length; start += maxRows) {
    const columns = columnDatesAsText(schema, toColumns(ordered.slice(start, start + maxRows), schema.columns.length), postgresUtcText);
    yield indexes.map((index) => columns[index] as Value[]);
  }
}

/**
 * Deletes the batch's keys (`DELETE … USING unnest(…)`, in key order, one statement per chunk) and,
 * for a schema that keeps tombstones, records one per key and prunes expired ones now and then.
 */
export async function deletePostgresKeys(context: PostgresDeleteContext, rows: readonly (readonly Value[])[], nowMs: number): Promise<void> {
  const { query, checkpoint, schema, elementTypes, keeper } = context;
  const text = buildPostgresDelete(schema, elementTypes);
  const tomb = keepsTombstones(schema) ? schema : undefined;
  const record = tomb && buildPostgresTombstoneRecord(tomb, elementTypes);
  for (const params of keyChunks(context, rows)) {
    checkpoint();
    await query(text, params);
    if (record) await query(record, [...params, nowMs]);
  }
  if (tomb && keeper.duePrune(tomb.tombstones.table, nowMs)) await query(buildPostgresTombstonePrune(tomb), [nowMs - tomb.tombstones.retentionMs]);
}

/** After the upserts: removes again any upserted row older than its key's tombstone (no-op without tombstones). */
export async function guardPostgresUpserts(context: PostgresDeleteContext, rows: readonly (readonly Value[])[]): Promise<void> {
  const { query, checkpoint, schema, elementTypes } = context;
  if (!keepsTombstones(schema) || rows.length === 0) return;
  const text = buildPostgresTombstoneGuard(schema, elementTypes);
  for (const params of keyChunks(context, rows)) {
    checkpoint();
    await query(text, params);
  }
}

/**
 * For a schema that keeps tombstones: takes a transaction-scoped advisory lock per key of the batch
 * (deletes and upserts), in one order, before writing. Without it, under READ COMMITTED a delete
 * and an older upsert of one key in concurrent transactions each miss the other's uncommitted
 * work (the delete finds no row; the upsert's check finds no tombstone) and the row comes back.
 * With it they run one after the other per key. Every such batch takes its locks first and in
 * sorted order, so the locks add no deadlock. A lock is per *loose* key (case, trailing spaces and
 * accents folded, see `looseKey`), so every spelling the database may equate ('a' and 'A' in a
 * citext key) takes the same lock; spellings it keeps apart may share one, which only serialises them.
 */
export async function lockPostgresKeys(context: PostgresDeleteContext, rows: readonly (readonly Value[])[]): Promise<void> {
  const { query, schema } = context;
  if (!keepsTombstones(schema) || rows.length === 0) return;
  const keyIndexes = keyIndexesOf(schema);
  const keys = [...new Set(rows.flatMap((row) => looseKeyId(row, keyIndexes) ?? []))];
  await query(
    'SELECT count(pg_advisory_xact_lock(h)) FROM (SELECT DISTINCT hashtextextended($2 || k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS bf_locks',
    [keys, `${schema.table}|`],
  );
}
