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
  /** Each row's W3C traceparent (`''` for none), aligned with `rows`; set only when the producer traced some. */
  readonly tp?: readonly string[];
}

/**
 * Builds the data of a schema-queue job; `replay` (and the request's `origin`) are set only when
 * re-enqueuing a DLQ entry, `traces` only when the producer recorded a trace context for some row.
 */
export function schemaJobData(schema: string, rows: ReadonlyArray<Readonly<Record<string, EncodedValue>>>, replay?: ReplayHistory, traces?: readonly string[], origin?: DeliveryId): SchemaJobData {
  const data: SchemaJobData = replay
    ? { v: PAYLOAD_VERSION, s: schema, rows, replay, ...(origin && rows.length === 1 && { origin }) }
    : rows.length > 1
      ? { v: PAYLOAD_VERSION, s: schema, n: rows.length, rows }
      : { v: PAYLOAD_VERSION, s: schema, rows };
  return traces ? { ...data, tp: traces } : data;
}

/** The trace context the producer recorded for row `rowIndex` of a job's data, if any. */
export function traceOfRow(data: unknown, rowIndex: number): string | undefined {
  const traces = (data as { tp?: unknown } | null)?.tp;
  const trace = Array.isArray(traces) ? (traces[rowIndex] as unknown) : undefined;
  return typeof trace === 'string' && trace !== '' ? trace : undefined;
}
