import type { Value } from '../../core/column-type.js';
import type { SQLSchemaLike } from '../../core/delivery.js';
import type { SQLSchema } from '../../core/schema.js';
import { SinkError } from '../../errors/sink-error.js';
import { chunkRanges } from '../sql/chunk.js';
import { buildLedgerDdl, deliveryKey, ledgerTableOf, sourcesOf, type LedgerBatch, type LedgerColumnTypes } from '../sql/ledger.js';
import { quoteTableName } from '../sql/quote.js';
import type { SessionLedgerSpec } from '../sql/session-ledger.js';
import type { SqlSession } from '../sql/transaction.js';

/** MySQL/MariaDB's exactly-once ledger: SQL text and the claim a batch makes in its transaction. */

// Sources are hex digests: ASCII with a binary collation compares them exactly and keeps the key short.
const LEDGER_TYPES: LedgerColumnTypes = Object.freeze({ source: 'VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin', seq: 'INT', ms: 'BIGINT', tableSuffix: ' ENGINE=InnoDB' });

/** Most ids per ledger statement: 3 values each, far under the 65,535-placeholder and packet limits. */
const LEDGER_CHUNK = 2000;

const table = (schema: SQLSchemaLike): string => quoteTableName(ledgerTableOf(schema), '`');

/** `CREATE TABLE IF NOT EXISTS` of the ledger (InnoDB: the claim relies on its row locks). */
export function buildMySqlLedgerDdl(schema: SQLSchemaLike): string {
  return buildLedgerDdl(schema, '`', LEDGER_TYPES);
}

/** The ids already recorded for some sources: `SELECT source, seq FROM ledger WHERE source IN (?)`. */
export function buildMySqlLedgerLookup(schema: SQLSchemaLike): string {
  return `SELECT source, seq FROM ${table(schema)} WHERE source IN (?)`;
}

/** Records ids: a plain `INSERT … VALUES ?`, so an id another writer recorded meanwhile fails with errno 1062. */
export function buildMySqlLedgerInsert(schema: SQLSchemaLike): string {
  return `INSERT INTO ${table(schema)} (source, seq, written_ms) VALUES ?`;
}

/** The ledger spec of the pooled upkeep: DELETE by source and by age. */
export function mySqlLedgerSpec(): Pick<SessionLedgerSpec, 'ddl' | 'forget' | 'sweep' | 'affected' | 'lookup' | 'rows'> {
  return {
    ddl: buildMySqlLedgerDdl,
    forget: (schema, sources) => ({ sql: `DELETE FROM ${table(schema)} WHERE source IN (?)`, params: [sources] }),
    sweep: (schema, beforeMs) => ({ sql: `DELETE FROM ${table(schema)} WHERE written_ms < ?`, params: [beforeMs] }),
    affected: (result) => (Array.isArray(result) ? ((result[0] as { affectedRows?: number } | undefined)?.affectedRows ?? 0) : 0),
    lookup: (schema, sources) => ({ sql: buildMySqlLedgerLookup(schema), params: [sources] }),
    rows: (result) => (Array.isArray(result) ? (result[0] as { source: string; seq: number }[]) : []),
  };
}

/**
 * Inside the batch's transaction: looks up which of the batch's ids are recorded, records the
 * rest with a plain INSERT and returns the rows to write. MySQL has no `INSERT … RETURNING`
 * (MariaDB's is not in MySQL), and `INSERT IGNORE` would not say which ids were new. A
 * concurrent writer of the same id makes the INSERT wait on its uncommitted key; if that writer
 * commits, the INSERT fails with errno 1062, reported here as a `deadlock` so the whole batch is
 * retried (its next lookup sees the id and skips it). A 1062 must not reach bisection: the
 * request is not at fault, and it would be dead-lettered although it was written.
 */
export async function claimMySqlRows(query: SqlSession['query'], schema: SQLSchema, batch: LedgerBatch, nowMs: number): Promise<(readonly Value[])[]> {
  const recorded = new Set<string>();
  const sources = sourcesOf(batch.ids);
  for (const { start, end } of chunkRanges(sources.length, LEDGER_CHUNK)) {
    const [rows] = (await query(buildMySqlLedgerLookup(schema), [sources.slice(start, end)])) as [{ source: string; seq: number }[]];
    for (const row of rows) recorded.add(deliveryKey(row.source, Number(row.seq)));
  }
  const fresh = batch.ids.filter((id) => !recorded.has(deliveryKey(id.source, id.seq)));
  try {
    for (const { start, end } of chunkRanges(fresh.length, LEDGER_CHUNK)) {
      await query(buildMySqlLedgerInsert(schema), [fresh.slice(start, end).map((id) => [id.source, id.seq, nowMs])]);
    }
  } catch (err) {
    if ((err as { errno?: unknown } | null)?.errno === 1062) {
      throw new SinkError('deadlock', `mysql: another worker recorded a request of this batch in ${ledgerTableOf(schema)} meanwhile; retrying the batch`, { cause: err, sinkCode: '1062' });
    }
    throw err;
  }
  return batch.rowsFor((key) => !recorded.has(key));
}
