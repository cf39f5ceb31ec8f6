import { SinkError } from '../../errors/sink-error.js';
import type { TombstoneSchema } from '../sql/tombstone-keeper.js';
import { runTransaction, type TransactionSpec } from '../sql/transaction.js';
import { deleteColumnIndexes } from '../sql/delete-rows.js';
import { quoteColumnList, quoteIdentifier, quoteTableName } from '../sql/quote.js';
import { newerThanStored } from '../sql/version-guard.js';

/**
 * PostgreSQL SQL text of a versioned schema's delete tombstones (see `TombstoneOptions`): the side
 * table holds the key columns and the version column of the data table (same types), and
 * `bf_deleted_ms`, the epoch milliseconds of the delete, which pruning compares.
 */
const Q = '"';

/** The statements that create the tombstone table from the data table's own column types (run in one transaction). */
export function buildPostgresTombstoneDdl(schema: TombstoneSchema): string[] {
  const tomb = quoteTableName(schema.tombstones.table, Q);
  const columns = quoteColumnList([...schema.keys, schema.version.column], Q);
  return [
    `CREATE TABLE ${tomb} AS SELECT ${columns} FROM ${quoteTableName(schema.table, Q)} WITH NO DATA`,
    `ALTER TABLE ${tomb} ADD PRIMARY KEY (${quoteColumnList(schema.keys, Q)}), ADD COLUMN "bf_deleted_ms" bigint NOT NULL DEFAULT 0`,
  ];
}

/**
 * {@link buildPostgresTombstoneDdl} as one idempotent statement, for the start-up table setup
 * (`createTable: true`): creates the tombstone table only when it is missing.
 */
export function buildPostgresTombstoneSetup(schema: TombstoneSchema): string {
  const name = quoteTableName(schema.tombstones.table, Q).replaceAll("'", "''");
  return `DO $bf$ BEGIN IF to_regclass('${name}') IS NULL THEN ${buildPostgresTombstoneDdl(schema).join('; ')}; END IF; END $bf$`;
}

/** `$1…` array parameters of the delete columns (keys, version), cast to the data table's element types. */
function unnestParams(schema: TombstoneSchema, elementTypes: readonly string[]): string {
  return deleteColumnIndexes(schema).map((index, i) => `$${i + 1}::${elementTypes[index] as string}[]`).join(', ');
}

/**
 * Records the batch's deletes: one tombstone per key, keeping the newest version. The last
 * parameter is the delete time (epoch ms).
 */
export function buildPostgresTombstoneRecord(schema: TombstoneSchema, elementTypes: readonly string[]): string {
  const tomb = quoteTableName(schema.tombstones.table, Q);
  const v = quoteIdentifier(schema.version.column, Q);
  const count = schema.keys.length + 1;
  return (
    `INSERT INTO ${tomb} (${quoteColumnList([...schema.keys, schema.version.column], Q)}, "bf_deleted_ms") ` +
    `SELECT *, $${count + 1}::int8 FROM unnest(${unnestParams(schema, elementTypes)}) ` +
    `ON CONFLICT (${quoteColumnList(schema.keys, Q)}) DO UPDATE SET ${v} = EXCLUDED.${v}, "bf_deleted_ms" = EXCLUDED."bf_deleted_ms" ` +
    `WHERE ${newerThanStored(`${tomb}.${v}`, `EXCLUDED.${v}`)}`
  );
}

/**
 * After the batch's upserts, in its transaction: removes again every row of the batch's keys that
 * is older than its key's tombstone (an older write that arrived after the delete). The
 * parameters are the upserted keys (and versions, unused but bound like the deletes').
 */
export function buildPostgresTombstoneGuard(schema: TombstoneSchema, elementTypes: readonly string[]): string {
  const table = quoteTableName(schema.table, Q);
  const tomb = quoteTableName(schema.tombstones.table, Q);
  const v = quoteIdentifier(schema.version.column, Q);
  const names = quoteColumnList([...schema.keys, 'bf_v'], Q);
  const match = schema.keys.flatMap((key) => {
    const k = quoteIdentifier(key, Q);
    return [`${table}.${k} = "bf_u".${k}`, `${tomb}.${k} = ${table}.${k}`];
  });
  return `DELETE FROM ${table} USING unnest(${unnestParams(schema, elementTypes)}) AS "bf_u"(${names}), ${tomb} WHERE ${match.join(' AND ')} AND ${newerThanStored(`${table}.${v}`, `${tomb}.${v}`)}`;
}

/** Removes tombstones older than the retention; `$1` is the cutoff (epoch ms). */
export function buildPostgresTombstonePrune(schema: TombstoneSchema): string {
  return `DELETE FROM ${quoteTableName(schema.tombstones.table, Q)} WHERE "bf_deleted_ms" < $1`;
}

/** Creates the tombstone table when missing, in its own transaction; another worker creating it at the same moment is no error. */
export async function createPostgresTombstones(spec: TransactionSpec, schema: TombstoneSchema): Promise<void> {
  try {
    await runTransaction(spec, async (query) => {
      const found = (await query('SELECT to_regclass($1) AS t', [quoteTableName(schema.tombstones.table, Q)])) as { rows: { t: string | null }[] };
      if (found.rows[0]?.t) return;
      for (const statement of buildPostgresTombstoneDdl(schema)) await query(statement);
    });
  } catch (err) {
    // duplicate_table, unique_violation (on pg_type): a concurrent creator won the race.
    if (!(err instanceof SinkError) || (err.sinkCode !== '42P07' && err.sinkCode !== '23505')) throw err;
  }
}
