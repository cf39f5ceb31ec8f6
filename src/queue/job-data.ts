import { PAYLOAD_VERSION, type EncodedValue } from '../core/codec.js';
import type { ReplayHistory } from './dead-letter-entry.js';

/**
 * The data of a job in a schema's queue, as the consumer reads it (`decodePayload`): the payload
 * format version, the schema's name, one or more encoded rows (more than one with producer
 * packing) and, for a replayed DLQ entry, its failure history.
 */
export interface SchemaJobData {
  readonly v: number;
  readonly s: string;
  readonly rows: ReadonlyArray<Readonly<Record<string, EncodedValue>>>;
  readonly replay?: ReplayHistory;
}

/** Builds the data of a schema-queue job; `replay` is set only when re-enqueuing a DLQ entry. */
export function schemaJobData(schema: string, rows: ReadonlyArray<Readonly<Record<string, EncodedValue>>>, replay?: ReplayHistory): SchemaJobData {
  return replay ? { v: PAYLOAD_VERSION, s: schema, rows, replay } : { v: PAYLOAD_VERSION, s: schema, rows };
}
