import type { Value } from '../../core/column-type.js';
import type { SQLSchemaLike } from '../../core/delivery.js';
import type { SQLSchema } from '../../core/schema.js';
import { chunkRanges } from '../sql/chunk.js';
import { buildLedgerDdl, deliveryKey, ledgerTableOf, type LedgerBatch, type LedgerColumnTypes } from '../sql/ledger.js';
import { quoteTableName } from '../sql/quote.js';
import type { SessionLedgerSpec } from '../sql/session-ledger.js';
import type { SqlSession } from '../sql/transaction.js';

/** PostgreSQL's exactly-once ledger: SQL text and the claim a batch makes in its transaction. */

const LEDGER_TYPES: LedgerColumnTypes = Object.freeze({ source: 'text', seq: 'integer', ms: 'bigint' });

const table = (schema: SQLSchemaLike): string => quoteTableName(ledgerTableOf(schema), '"');

/** `CREATE TABLE IF NOT EXISTS "t__batchflow_ledger" (source text, seq integer, written_ms bigint, PRIMARY KEY (source, seq))`. */
export function buildPostgresLedgerDdl(schema: SQLSchemaLike): string {
  return buildLedgerDdl(schema, '"', LEDGER_TYPES);
}

/**
 * Records ids and returns the ones that were new: `INSERT … SELECT … FROM unnest($1::text[],
 * $2::int4[]) ON CONFLICT (source, seq) DO NOTHING RETURNING source, seq`. A concurrent writer
 * of the same id blocks this statement on the id's index entry until it commits (then the id
 * is skipped here) or rolls back (then it is inserted here): never both.
 */
export function buildPostgresLedgerClaim(schema: SQLSchemaLike): string {
  return (
    `INSERT INTO ${table(schema)} (source, seq, written_ms) SELECT s, q, $3::int8 FROM unnest($1::text[], $2::int4[]) AS u(s, q) ` +
    'ON CONFLICT (source, seq) DO NOTHING RETURNING source, seq'
  );
}

/**
 * The ledger spec of the pooled upkeep: DELETE by source (`= ANY($1)`) and by age. A concurrent
 * `CREATE TABLE IF NOT EXISTS` of the same table can fail on the catalog's unique index
 * (23505) or find it created meanwhile (42P07): either way the table is there.
 */
export function postgresLedgerSpec(): Pick<SessionLedgerSpec, 'ddl' | 'createdMeanwhile' | 'forget' | 'sweep' | 'affected' | 'lookup' | 'rows'> {
  return {
    ddl: buildPostgresLedgerDdl,
    createdMeanwhile: (err) => ['23505', '42P07'].includes((err as { code?: unknown } | null)?.code as string),
    forget: (schema, sources) => ({ sql: `DELETE FROM ${table(schema)} WHERE source = ANY($1::text[])`, params: [sources] }),
    sweep: (schema, beforeMs) => ({ sql: `DELETE FROM ${table(schema)} WHERE written_ms < $1::int8`, params: [beforeMs] }),
    affected: (result) => (result as { rowCount?: number | null }).rowCount ?? 0,
    lookup: (schema, sources) => ({ sql: `SELECT source, seq FROM ${table(schema)} WHERE source = ANY($1::text[])`, params: [sources] }),
    rows: (result) => (result as { rows: { source: string; seq: number }[] }).rows,
  };
}

/**
 * Inside the batch's transaction: records the batch's delivery ids and returns the rows to
 * write (those whose id was new, and rows without one).
 */
export async function claimPostgresRows(query: SqlSession['query'], schema: SQLSchema, batch: LedgerBatch, maxRows: number, nowMs: number): Promise<(readonly Value[])[]> {
  const fresh = new Set<string>();
  const text = buildPostgresLedgerClaim(schema);
  for (const { start, end } of chunkRanges(batch.ids.length, maxRows)) {
    const ids = batch.ids.slice(start, end);
    const result = (await query(text, [ids.map((id) => id.source), ids.map((id) => id.seq), nowMs])) as { rows: { source: string; seq: number }[] };
    for (const row of result.rows) fresh.add(deliveryKey(row.source, row.seq));
  }
  return batch.rowsFor((key) => fresh.has(key));
}
