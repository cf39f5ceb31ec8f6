import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { chunkRangesByBytes } from '../sql/chunk.js';
import { splitOperations } from '../sql/delete-rows.js';
import { inDatabaseKeyOrder } from '../sql/key-order.js';
import type { LedgerBatch } from '../sql/ledger.js';
import { survivingRowPerKey } from '../sql/row-key.js';
import type { TombstoneKeeper } from '../sql/tombstone-keeper.js';
import type { TransactionBody } from '../sql/transaction.js';
import { datesAsText, mySqlUtcText } from '../sql/utc-time-text.js';
import { deleteMySqlKeys, guardMySqlUpserts } from './delete-keys.js';
import { mergeOnKeys } from './key-merge.js';
import type { MySqlLookalikeKeyRanks } from './key-ranks.js';
import { claimMySqlRows } from './ledger.js';
import { refuseOversizedRows, statementBudget, type ServerPacketLimit } from './packet-limit.js';
import { buildMySqlInsert } from './statement-builder.js';
import type { UniqueIndexCache } from './unique-index-cache.js';
import { hasOtherUniqueIndex } from './unique-indexes.js';

const SINK = 'mysql';

/** What the write of a batch keeps across batches: the driver's settings and its per-table caches. */
export interface MySqlWriteState {
  /** The `maxStatementBytes` option (the server's packet limit may lower it). */
  readonly maxStatementBytes: number;
  /** True with the user's own pool, which may be set to any zone: Dates are formatted as UTC text here. */
  readonly userPool: boolean;
  /** The server's `max_allowed_packet`, read on the first batch. */
  readonly maxPacket: ServerPacketLimit;
  /** How look-alike key spellings compare under each table's key collations. */
  readonly keyRanks: MySqlLookalikeKeyRanks;
  /** Unique indexes per table and when they were read. */
  readonly uniqueIndexes: UniqueIndexCache;
  /** The tombstone tables the driver has made sure of, and when it last pruned each. */
  readonly tombstones: TombstoneKeeper;
}

/** One batch, as its transaction writes it. */
export interface MySqlBatchWrite {
  readonly schema: SQLSchema;
  readonly rows: readonly (readonly Value[])[];
  /** The rows (by identity, of `rows`) that are deletes by key. */
  readonly deletes: ReadonlySet<readonly Value[]>;
  /** With `delivery: 'exactly-once'`: the batch's delivery ids for the ledger. */
  readonly once: LedgerBatch | undefined;
  /** Most rows per statement, under the placeholder limit. */
  readonly maxRows: number;
}

/**
 * The statements of one batch's transaction: the ledger claim (exactly-once), the deletes, then
 * the upserts in key order (one statement per chunk, or the key-only merge when the table has
 * another unique index), and the tombstone guard.
 */
export function mySqlBatchBody(state: MySqlWriteState, batch: MySqlBatchWrite): TransactionBody {
  const { schema: sql, maxRows, once } = batch;
  return async (query, checkpoint) => {
    const maxPacket = await state.maxPacket.read(query);
    // A row no statement can carry is refused before anything is sent (bisection isolates it).
    refuseOversizedRows(SINK, batch.rows, maxPacket);
    const maxBytes = statementBudget(state.maxStatementBytes, maxPacket);
    // Exactly-once: only the requests this transaction recorded first are written.
    // Key order: concurrent batches lock shared keys in one order, look-alike spellings in the
    // server's (rows it equates keep arrival order, so `ON DUPLICATE KEY UPDATE` lets the later win).
    const claimedRows = once ? await claimMySqlRows(query, sql, once, Date.now()) : batch.rows;
    // By the database's keys: spellings the key's collation equates ('a' and 'A' under *_ci) are one key here too.
    const operations = splitOperations(sql, claimedRows, batch.deletes, batch.deletes.size > 0 ? await state.keyRanks.rank(query, sql, claimedRows) : undefined);
    // Deletes first (the upserts left are those after a key's last delete, or newer than it).
    const context = { query, checkpoint, schema: sql, maxRows, keeper: state.tombstones };
    if (operations.deletes.length > 0) {
      const deletes = state.userPool ? datesAsText(sql, operations.deletes, mySqlUtcText) : operations.deletes;
      await deleteMySqlKeys(context, deletes, Date.now());
    }
    // One row per key: the one `ON DUPLICATE KEY UPDATE` would leave. Hot keys repeat within a
    // batch, and every row the server overwrites is time the batch holds locks other batches wait for.
    const claimed = survivingRowPerKey(sql, operations.upserts);
    const newest = inDatabaseKeyOrder(sql, claimed, await state.keyRanks.rank(query, sql, claimed));
    // The driver's own pool formats a Date as this same UTC text (`timezone: 'Z'`); a user's
    // pool may be set to any zone, so its Dates are formatted here.
    const rows = state.userPool ? datesAsText(sql, newest, mySqlUtcText) : newest;
    if (rows.length === 0) return;
    // `insert` merges nothing, so other unique indexes do not matter: a collision fails as 1062.
    if (sql.conflict !== 'insert' && hasOtherUniqueIndex(await state.uniqueIndexes.of(sql.table, query), sql)) {
      await mergeOnKeys(query, checkpoint, sql, rows, { maxRows, maxBytes });
    } else {
      const text = buildMySqlInsert(sql);
      for (const { start, end } of chunkRangesByBytes(rows, maxRows, maxBytes)) {
        checkpoint();
        await query(text, [rows.slice(start, end)]);
      }
    }
    // An upsert older than its key's tombstone (a late redelivery of a write the delete overtook) is undone.
    await guardMySqlUpserts(context, rows);
  };
}
