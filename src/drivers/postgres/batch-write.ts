import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { chunkRangesByBytes } from '../sql/chunk.js';
import { splitOperations } from '../sql/delete-rows.js';
import { inDatabaseKeyOrder, keyIndexesOf, lastRowPerDatabaseKey } from '../sql/key-order.js';
import type { LedgerBatch } from '../sql/ledger.js';
import { lastRowPerKey, newestRowsIfVersioned } from '../sql/row-key.js';
import type { TombstoneKeeper } from '../sql/tombstone-keeper.js';
import type { TransactionBody } from '../sql/transaction.js';
import { postgresArrayLiterals } from './array-literal.js';
import type { CatalogElementTypes } from './catalog-element-types.js';
import { deletePostgresKeys, guardPostgresUpserts, lockPostgresKeys } from './delete-keys.js';
import { POSTGRES_MAX_STATEMENT_BYTES, refuseOversizedFields } from './field-limit.js';
import type { LookalikeKeyRanks } from './key-ranks.js';
import { claimPostgresRows } from './ledger.js';
import { buildPostgresInsert } from './statement-builder.js';

const SINK = 'postgres';

/** What the write of a batch keeps across batches: the driver's setting and its per-table caches. */
export interface PostgresWriteState {
  readonly maxRowsPerStatement: number;
  /** The database's order of look-alike key spellings (see {@link LookalikeKeyRanks}). */
  readonly keyRanks: LookalikeKeyRanks;
  /** The array casts, per table (see {@link CatalogElementTypes}). */
  readonly elementTypes: CatalogElementTypes;
  /** The tombstone tables the driver has made sure of, and when it last pruned each. */
  readonly tombstones: TombstoneKeeper;
}

/** One attempt at one batch. */
export interface PostgresBatchWrite {
  readonly schema: SQLSchema;
  readonly rows: readonly (readonly Value[])[];
  /** The rows (by identity, of `rows`) that are deletes by key. */
  readonly deletes: ReadonlySet<readonly Value[]>;
  /** With `delivery: 'exactly-once'`: the batch's delivery ids for the ledger. */
  readonly once: LedgerBatch | undefined;
  /** Each row in its own statement, in arrival order (the second attempt after SQLSTATE 21000). */
  readonly rowByRow: boolean;
}

/** True when conflicts update the stored row (`DO UPDATE`), which may not touch one row twice per statement. */
function mergesOnConflict(schema: SQLSchema): boolean {
  return (schema.conflict === 'update' || schema.conflict === 'replace') && schema.keys.length < schema.columns.length;
}

/**
 * The statements of one batch's transaction: the ledger claim (exactly-once), the deletes, then
 * the upserts as `INSERT … SELECT * FROM unnest(…)` chunks in key order, and the tombstone guard.
 */
export function postgresBatchBody(state: PostgresWriteState, batch: PostgresBatchWrite): TransactionBody {
  const { schema: sql, deletes, once, rowByRow } = batch;
  return async (query, checkpoint, send) => {
    // Exactly-once: only the requests this transaction recorded first are written.
    const claimed = once ? await claimPostgresRows(query, sql, once, state.maxRowsPerStatement, Date.now()) : batch.rows;
    // Deletes first, in key order and one statement per chunk; then the upserts they leave.
    // By the database's keys: look-alike spellings of one key (citext, char(n)) are one key here too.
    const operations = splitOperations(sql, claimed, deletes, deletes.size > 0 ? await state.keyRanks.rank(query, sql, claimed) : undefined);
    const context = { query, checkpoint, schema: sql, elementTypes: await state.elementTypes.of(sql, query), maxRows: state.maxRowsPerStatement, keeper: state.tombstones };
    await lockPostgresKeys(context, claimed);
    if (operations.deletes.length > 0) await deletePostgresKeys(context, operations.deletes, Date.now());
    let rows = operations.upserts;
    // One row per key (DO UPDATE cannot touch a row twice): the newest version, else the last submit.
    if (sql.version) rows = newestRowsIfVersioned(sql, [...rows]);
    else if (mergesOnConflict(sql)) rows = lastRowPerKey(rows, keyIndexesOf(sql));
    if (rows.length === 0) return;
    const text = buildPostgresInsert(sql, context.elementTypes);
    refuseOversizedFields(SINK, rows);
    if (!rowByRow) {
      const ranks = await state.keyRanks.rank(query, sql, rows);
      // Likewise for spellings the database equates; DO NOTHING keeps the first, which key order keeps first.
      if (ranks && mergesOnConflict(sql)) rows = lastRowPerDatabaseKey(sql, rows, ranks);
      rows = inDatabaseKeyOrder(sql, rows, ranks);
    }
    for (const { start, end } of chunkRangesByBytes(rows, rowByRow ? 1 : state.maxRowsPerStatement, POSTGRES_MAX_STATEMENT_BYTES)) {
      checkpoint();
      // Sent, not awaited, on a pipelined client: BEGIN and every chunk go out without waiting for a round trip each.
      // Each column as one array literal, written here (see postgresArrayLiterals): not JS arrays for node-postgres to convert.
      await send(text, postgresArrayLiterals(sql, rows, start, end));
    }
    // An upsert older than its key's tombstone (a late redelivery of a write the delete overtook) is undone.
    await guardPostgresUpserts(context, rows);
  };
}
