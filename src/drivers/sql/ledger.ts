import type { Value } from '../../core/column-type.js';
import type { DeliveryId, SQLSchemaLike } from '../../core/delivery.js';
import type { Request } from '../../core/request.js';
import type { SQLSchema } from '../../core/schema.js';
import { SchemaDefinitionError } from '../../errors/schema-definition-error.js';
import { quoteTableName, type IdentifierQuote } from './quote.js';

/**
 * The dialect-neutral half of `delivery: 'exactly-once'`. Each SQL driver keeps, per schema, a
 * ledger table `(source, seq, written_ms)` with primary key `(source, seq)`: one row per request
 * written. Inside the batch's own transaction the driver records the batch's delivery ids and
 * writes only the requests whose id was not there yet, so rows and ledger commit or roll back
 * together, and the primary key makes two workers that hold the same request (a stalled job
 * redelivered while its first worker still runs) write it once between them: the second one
 * waits on the first one's uncommitted key and then skips it (or retries, see each dialect).
 *
 * `written_ms` is the writer's clock (epoch ms), compared only with the same clocks' cutoffs by
 * the age sweep, which needs no index: the ledger holds only what pruning has not reached yet.
 */

/** The ledger's column types of one dialect. */
export interface LedgerColumnTypes {
  readonly source: string;
  readonly seq: string;
  readonly ms: string;
  /** Table options after the column list, e.g. SQLite's ` WITHOUT ROWID`. */
  readonly tableSuffix?: string;
}

/** `CREATE TABLE IF NOT EXISTS` for a schema's ledger table, quoted for the dialect. */
export function buildLedgerDdl(schema: SQLSchemaLike, quote: IdentifierQuote, types: LedgerColumnTypes): string {
  const table = quoteTableName(ledgerTableOf(schema), quote);
  return `CREATE TABLE IF NOT EXISTS ${table} (source ${types.source} NOT NULL, seq ${types.seq} NOT NULL, written_ms ${types.ms} NOT NULL, PRIMARY KEY (source, seq))${types.tableSuffix ?? ''}`;
}

/** The schema's ledger table; an at-least-once schema has none. */
export function ledgerTableOf(schema: SQLSchemaLike): string {
  if (schema.ledgerTable === undefined) throw new SchemaDefinitionError(`schema "${schema.name}" is not exactly-once: it has no ledger table`);
  return schema.ledgerTable;
}

/** True when the schema's batches go through the ledger. */
export function isExactlyOnce(schema: SQLSchema): boolean {
  return schema.delivery === 'exactly-once';
}

/** A string key for one delivery id (sources never hold a NUL). */
export function deliveryKey(source: string, seq: number): string {
  return `${source}\u0000${seq}`;
}

/** The rows of a batch with their delivery ids, requests without one (written directly, not through a queue) apart. */
export interface LedgerBatch {
  /** Distinct delivery ids of the batch, sorted (so concurrent writers lock ledger keys in one order). */
  readonly ids: readonly DeliveryId[];
  /** Picks the rows to write once the new ids are known: rows without an id always, a repeated id once. */
  rowsFor(isNew: (key: string) => boolean): (readonly Value[])[];
}

/** Pairs each row with its request's delivery id, for one of the dialects' ledger claims. */
export function ledgerBatch(rows: readonly (readonly Value[])[], requests: readonly Request[]): LedgerBatch {
  const byKey = new Map<string, DeliveryId>();
  const keys = requests.map((request) => {
    const id = request.delivery;
    if (!id) return undefined;
    const key = deliveryKey(id.source, id.seq);
    if (!byKey.has(key)) byKey.set(key, id);
    return key;
  });
  const ids = [...byKey.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.seq - b.seq));
  return {
    ids,
    rowsFor(isNew) {
      const taken = new Set<string>();
      return rows.filter((_, i) => {
        const key = keys[i];
        if (key === undefined) return true;
        if (taken.has(key) || !isNew(key)) return false;
        taken.add(key);
        return true;
      });
    },
  };
}

/** Distinct sources of a list of ids, in order. */
export function sourcesOf(ids: readonly DeliveryId[]): string[] {
  return [...new Set(ids.map((id) => id.source))];
}
