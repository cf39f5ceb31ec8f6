import { PAYLOAD_VERSION, type EncodedValue } from '../core/codec.js';
import type { DeliveryId } from '../core/delivery.js';
import type { ReplayHistory } from './dead-letter-entry.js';

/**
 * The data of a job in a schema's queue, as the consumer reads it (`decodePayload`): the payload
 * format version, the schema's name, one or more encoded rows (more than one with producer
 * packing, which also sets `n`, their count, for Bull Board readers) and, for a replayed DLQ
 * entry, its failure history. A packed job keeps the schema's name as its job name, so BullMQ's
 * and Bull Board's filters by name, and older consumers, see every job of the queue alike.
 */
export interface SchemaJobData {
  readonly v: number;
  readonly s: string;
  readonly rows: ReadonlyArray<Readonly<Record<string, EncodedValue>>>;
  /** How many requests the job packs; set only when more than one (informational: readers use `rows`). */
  readonly n?: number;
  readonly replay?: ReplayHistory;
  /**
   * A replayed DLQ entry's delivery identity: the id its request had in its first job, so an
   * exactly-once ledger recognises the replay of a request that committed. One-row jobs only.
   */
  readonly origin?: DeliveryId;
}

/** Builds the data of a schema-queue job; `replay` is set only when re-enqueuing a DLQ entry. */
export function schemaJobData(schema: string, rows: ReadonlyArray<Readonly<Record<string, EncodedValue>>>, replay?: ReplayHistory, origin?: DeliveryId): SchemaJobData {
  if (replay) return { v: PAYLOAD_VERSION, s: schema, rows, replay, ...(origin && rows.length === 1 && { origin }) };
  return rows.length > 1 ? { v: PAYLOAD_VERSION, s: schema, n: rows.length, rows } : { v: PAYLOAD_VERSION, s: schema, rows };
}
