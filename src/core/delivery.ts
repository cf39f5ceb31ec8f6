import { SchemaDefinitionError } from '../errors/schema-definition-error.js';
import { assertTableName, isTableName } from './identifier.js';

/**
 * How often a request may land: `at-least-once` (a redelivery writes again; with keys and a
 * merging conflict strategy that is harmless), or `exactly-once` (each batch records its
 * requests' delivery ids in a ledger table in the same transaction, and skips ids already there).
 */
export type DeliveryGuarantee = 'at-least-once' | 'exactly-once';

/**
 * Identifies one request across redeliveries, opaque to the core and the drivers: the queue
 * layer sets it from the job the request came in. `source` names the delivery unit (a digest of
 * the job's identity, at most 64 characters), `seq` the request's position in it.
 */
export interface DeliveryId {
  readonly source: string;
  readonly seq: number;
}

/** Suffix of the default ledger table name: `events` keeps its ledger in `events__batchflow_ledger`. */
export const LEDGER_SUFFIX = '__batchflow_ledger';

/** Resolves and validates a SQL schema's `delivery` and `ledgerTable` options. */
export function deliveryOf(table: string, options: { delivery?: DeliveryGuarantee; ledgerTable?: string }): { delivery: DeliveryGuarantee; ledgerTable: string | undefined } {
  const delivery = options.delivery ?? 'at-least-once';
  if (delivery !== 'at-least-once' && delivery !== 'exactly-once') {
    throw new SchemaDefinitionError(`table "${table}": delivery must be at-least-once or exactly-once, got ${JSON.stringify(delivery)}`);
  }
  if (delivery === 'at-least-once') return { delivery, ledgerTable: undefined };
  const ledgerTable = options.ledgerTable ?? table + LEDGER_SUFFIX;
  if (options.ledgerTable === undefined && !isTableName(ledgerTable)) {
    throw new SchemaDefinitionError(`table "${table}": its ledger table name ${ledgerTable} is too long (63 characters per part): set ledgerTable`);
  }
  assertTableName(ledgerTable);
  return { delivery, ledgerTable };
}

/**
 * The exactly-once ledger of a SQL executor, for the queue layer's upkeep: it never takes part
 * in a batch (the driver writes and checks the ledger inside each batch's own transaction).
 */
export interface DeliveryLedger {
  /** Creates the schema's ledger table if it is missing; resolves to the DDL it ran (for the log). */
  prepare(schema: SQLSchemaLike): Promise<string>;
  /** Deletes the ledger rows of these delivery sources (jobs that can no longer be redelivered); resolves to the rows deleted. */
  forget(schema: SQLSchemaLike, sources: readonly string[]): Promise<number>;
  /** Deletes ledger rows written before `beforeMs` (epoch ms), whatever their source; resolves to the rows deleted. */
  sweep(schema: SQLSchemaLike, beforeMs: number): Promise<number>;
  /**
   * Of these delivery ids, the ones the ledger holds: their requests committed. Creates the table
   * first if it is missing (a ledger never written holds nothing). The failed-job sweeper asks it
   * so that a job BullMQ failed after its rows committed is not dead-lettered; a ledger without it
   * cannot tell, and those rows are dead-lettered as `queue_stalled` (not known to have failed).
   */
  recorded?(schema: SQLSchemaLike, ids: readonly DeliveryId[]): Promise<DeliveryId[]>;
}

/** What the ledger needs of a SQL schema (kept structural so this file imports no schema code). */
export interface SQLSchemaLike {
  readonly name: string;
  readonly ledgerTable: string | undefined;
}
