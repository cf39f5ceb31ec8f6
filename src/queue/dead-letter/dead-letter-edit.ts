import { decodeValue, DELETE_MARKER, encodeRequest, requestForRow, type EncodedValue } from '../../core/codec.js';
import { Request } from '../../core/request.js';
import type { RowVersion } from '../../core/row-version.js';
import type { Row, Schema } from '../../core/schema.js';
import { DecodeError } from '../../errors/decode-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import type { DeadLetterEntry } from '../dead-letter-entry.js';
import type { DeadLetterRecord } from './dead-letter-walk.js';

/**
 * Edits a dead-lettered row before it is replayed: gets the row as the schema reads it (int64
 * as submitted, a number or a bigint; timestamps as Date; bytes as Uint8Array) and its DLQ
 * record, and returns the row to replay, or `null` to drop the entry (removed without
 * replaying). The returned row is validated against the schema before anything is enqueued.
 *
 * @example
 * ```ts
 * const fix: DeadLetterTransform = (row) => (row.amount === 0 ? null : { ...row, amount: Math.abs(Number(row.amount)) });
 * await dlq.replay({ transform: fix });
 * ```
 */
export type DeadLetterTransform = (row: Row, record: DeadLetterRecord) => Row | null | Promise<Row | null>;

/** What a replay does with one selected entry. */
export type ReplayDecision =
  /** Replayed; `request` is the (edited, validated) request, absent for entries holding raw job data. */
  | { readonly action: 'replay'; readonly id: string; readonly entry: DeadLetterEntry; readonly request: Request | undefined }
  /** The transform returned null: the entry is removed without replaying. */
  | { readonly action: 'drop'; readonly id: string; readonly entry: DeadLetterEntry }
  /** The (edited) request does not fit the schema: the entry stays in the DLQ, unchanged. */
  | { readonly action: 'refuse'; readonly id: string; readonly entry: DeadLetterEntry; readonly error: ValidationError }
  /**
   * The row has no version on a schema with a `versionColumn` (neither the edit, the stored row nor
   * the entry's `version` gives one): the version guard never lets a NULL version overwrite a row,
   * so the replay would be skipped. The entry stays in the DLQ, unchanged; set a version in the edit.
   */
  | { readonly action: 'stale'; readonly id: string; readonly entry: DeadLetterEntry; readonly column: string };

/** Entries whose `request` is the raw data of a job that could not be read, not a row. */
export function holdsRawJobData(entry: DeadLetterEntry): boolean {
  return entry.class === 'undecodable' || entry.class === 'unknown_schema';
}

/**
 * Decides the replay of one entry. Without a schema, entries replay as stored. With one, a
 * row entry is decoded and validated (after the transform, if any); a validation failure is a
 * `refuse` naming the column and the entry. Raw job data replays as stored, but cannot be
 * transformed (it is refused). Errors the transform itself throws are not caught.
 */
export async function decideReplay(record: DeadLetterRecord, schema: Schema | undefined, transform: DeadLetterTransform | undefined): Promise<ReplayDecision> {
  const { id, entry } = record;
  if (holdsRawJobData(entry)) {
    if (!transform) return { action: 'replay', id, entry, request: undefined };
    const error = new ValidationError('invalid_row', `DLQ entry ${id} (class ${entry.class}) holds raw job data, not a row: replay it without a transform, or fix its job data (Bull Board "update data")`, { schema: entry.schema });
    return { action: 'refuse', id, entry, error };
  }
  if (!schema) return { action: 'replay', id, entry, request: undefined };
  // A replay keeps the row's version unless the edit sets one: an edit (a transform that builds a
  // new row, a Bull Board edit that drops the field) that leaves it out must not make it NULL.
  const column = stampedOrRowVersion(schema);
  try {
    let request = decodeRow(schema, column === undefined ? entry.request : withVersion(entry.request, column, entry.version));
    if (transform) {
      const edited = await transform(request.toRow(), record);
      if (edited === null) return { action: 'drop', id, entry };
      // The version the entry had stays unless the edit sets one; an edit keeps the operation (a delete's edited key is still a delete).
      const kept = column === undefined || edited[column] != null ? edited : { ...edited, [column]: request.get(column) ?? null };
      request = request.isDelete ? Request.deleteOf(schema, kept) : Request.fromRow(schema, kept);
    }
    if (column !== undefined && request.get(column) == null) return { action: 'stale', id, entry, column };
    return { action: 'replay', id, entry, request };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const error = new ValidationError(err.kind, `DLQ entry ${id}: ${err.message}`, { schema: err.schema ?? schema.name, ...(err.column !== undefined && { column: err.column }) });
    return { action: 'refuse', id, entry, error };
  }
}

/** The schema's version column, whatever fills it (undefined without one). */
function stampedOrRowVersion(schema: Schema): string | undefined {
  return (schema as { readonly version?: RowVersion }).version?.column;
}

/** The stored row with the entry's recorded version where the row has none (edited away in Bull Board). */
function withVersion(stored: unknown, column: string, version: EncodedValue | undefined): unknown {
  if (version == null || stored === null || typeof stored !== 'object' || Array.isArray(stored)) return stored;
  return (stored as Record<string, unknown>)[column] == null ? { ...stored, [column]: version } : stored;
}

/** The encoded row a replay enqueues for a decision (the stored request when nothing was decoded). */
export function replayRow(decision: Extract<ReplayDecision, { action: 'replay' }>): unknown {
  return decision.request ? encodeRequest(decision.request) : decision.entry.request;
}

/**
 * Decodes a stored row (as encoded in its job, or as edited in Bull Board) into a request,
 * checking every value: a malformed value or a missing, unknown or mistyped column is a
 * {@link ValidationError} naming the column.
 */
export function decodeRow(schema: Schema, encoded: unknown): Request {
  if (encoded === null || typeof encoded !== 'object' || Array.isArray(encoded)) {
    throw new ValidationError('invalid_row', `schema "${schema.name}": the request must be an object of column values`, { schema: schema.name });
  }
  let request: Request;
  try {
    request = requestForRow(schema, encoded);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new ValidationError('invalid_row', `schema "${schema.name}": ${err.message}`, { schema: schema.name });
  }
  for (const [column, raw] of Object.entries(encoded as Record<string, EncodedValue>)) {
    if (column === DELETE_MARKER) continue;
    let value;
    try {
      value = decodeValue(raw);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      throw new ValidationError('wrong_type', `schema "${schema.name}", column "${column}": ${err.message}`, { schema: schema.name, column });
    }
    request.set(column, value);
  }
  request.assertComplete();
  return request;
}

/** Why a replay (Bull Board's Retry) leaves a stale entry where it is; a `ValidationError`, so the DLQ worker fails it back. */
export function staleError(id: string, schema: string, column: string): ValidationError {
  return new ValidationError('invalid_row', `DLQ entry ${id} is stale: its row has no version in column "${column}", and the version guard never lets a NULL version overwrite a row; set a version in the edit`, { schema, column });
}
