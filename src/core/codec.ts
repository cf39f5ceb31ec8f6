import { DecodeError } from '../errors/decode-error.js';
import { ValidationError } from '../errors/validation-error.js';
import type { Value } from './column-type.js';
import { Request } from './request.js';
import type { Schema } from './schema.js';

/**
 * Version of the job payload format. A consumer rejects (dead-letters) payloads
 * with a version it does not know instead of guessing.
 */
export const PAYLOAD_VERSION = 1;

/** JSON-safe encoding of a value: plain JSON, or a one-key tagged object for types JSON lacks. */
export type EncodedValue = null | boolean | number | string | { $int64: string } | { $time: string } | { $bytes: string };

/** JSON-safe job payload: one or more rows of one schema (more than one when producer packing is on). */
export interface JobPayload {
  readonly v: number;
  readonly rows: ReadonlyArray<Readonly<Record<string, EncodedValue>>>;
}

/** Encodes a value losslessly: bigint as a decimal string, Date as ISO-8601 with ms, bytes as base64. */
export function encodeValue(value: Value): EncodedValue {
  switch (typeof value) {
    case 'bigint':
      return { $int64: value.toString() };
    case 'object':
      if (value === null) return null;
      if (value instanceof Date) return { $time: isoString(value) };
      return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
    default:
      return value;
  }
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * Exactly `date.toISOString()`, in about 40% of its time: V8's toISOString was most of the
 * cost of encoding a row with a timestamp (measured in bench/, see docs/benchmarks.md).
 * Years outside 1000–9999 (zero-padded or signed six-digit forms) and invalid dates (a
 * RangeError) are left to toISOString itself.
 */
function isoString(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return date.toISOString();
  const day = `${year}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
  return `${day}T${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}.${pad3(date.getUTCMilliseconds())}Z`;
}

/**
 * The marker of a delete in an encoded row: `{ "$delete": true, "id": 42 }`. No column can be named
 * so (identifiers start with a letter or `_`), and it shows a delete as one in Bull Board and the DLQ.
 */
export const DELETE_MARKER = '$delete';

/** One encoded row: column name to value, and `$delete: true` for a delete. */
export type EncodedRequest = Record<string, EncodedValue>;

/** Encodes one request as a row object keyed by column name (readable in Bull Board); a delete holds its key and the marker. */
export function encodeRequest(request: Request): EncodedRequest {
  const { columns } = request.schema;
  const values = request.values;
  const row: EncodedRequest = {};
  if (request.isDelete) {
    row[DELETE_MARKER] = true;
    for (let i = 0; i < columns.length; i++) if (values[i] !== null) row[columns[i] as string] = encodeValue(values[i] as Value);
    return row;
  }
  for (let i = 0; i < columns.length; i++) row[columns[i] as string] = encodeValue(values[i] as Value);
  return row;
}

/**
 * An empty request for an encoded row: a delete when it carries the marker (`true`, nothing else).
 * Throws {@link DecodeError} on a malformed marker, and the {@link ValidationError} of a delete on a
 * schema that cannot take one.
 */
export function requestForRow(schema: Schema, row: object): Request {
  const marker = (row as Record<string, unknown>)[DELETE_MARKER];
  if (marker === undefined) return new Request(schema);
  if (marker !== true) throw new DecodeError(`malformed ${DELETE_MARKER} ${JSON.stringify(marker)} (only true)`);
  return new Request(schema, 'delete');
}

/** Decodes a tagged value; throws {@link DecodeError} on anything malformed. */
export function decodeValue(encoded: unknown): Value {
  if (encoded === null || typeof encoded !== 'object') {
    if (encoded === undefined) throw new DecodeError('value is undefined');
    return encoded as Value;
  }
  if (Array.isArray(encoded)) throw new DecodeError('arrays are not a value type');
  const keys = Object.keys(encoded);
  const tag = keys[0];
  const raw = (encoded as Record<string, unknown>)[tag ?? ''];
  if (keys.length !== 1 || typeof raw !== 'string') throw new DecodeError(`malformed tagged value ${JSON.stringify(encoded)}`);
  switch (tag) {
    case '$int64':
      if (!/^-?\d{1,19}$/.test(raw)) throw new DecodeError(`malformed $int64 ${JSON.stringify(raw)}`);
      return BigInt(raw);
    case '$time': {
      const date = new Date(raw);
      if (Number.isNaN(date.getTime())) throw new DecodeError(`malformed $time ${JSON.stringify(raw)}`);
      return date;
    }
    case '$bytes':
      return new Uint8Array(Buffer.from(raw, 'base64'));
    default:
      throw new DecodeError(`unknown value tag ${JSON.stringify(tag)}`);
  }
}

/**
 * Decodes a job payload into requests, re-validating every value against the schema
 * (a payload may have been written by another version or injected directly into Redis).
 * Throws {@link DecodeError} for anything that cannot be read.
 */
export function decodePayload(schema: Schema, payload: unknown): Request[] {
  return decodePayloadRows(schema, payload).map((row) => {
    if (row instanceof DecodeError) throw row;
    return row;
  });
}

/**
 * Like {@link decodePayload}, but decides per row: each row is a {@link Request} or the
 * {@link DecodeError} that row alone failed with, so one bad row of a packed job does not take
 * its good neighbours down with it. Throws only when the payload itself cannot be read (not an
 * object, unknown version, no rows).
 */
export function decodePayloadRows(schema: Schema, payload: unknown): Array<Request | DecodeError> {
  if (payload === null || typeof payload !== 'object') throw new DecodeError('payload is not an object');
  const { v, rows } = payload as Partial<JobPayload>;
  if (v !== PAYLOAD_VERSION) throw new DecodeError(`unsupported payload version ${JSON.stringify(v)} (this consumer reads ${PAYLOAD_VERSION})`);
  if (!Array.isArray(rows) || rows.length === 0) throw new DecodeError('payload has no rows');
  return rows.map((row: unknown, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) return new DecodeError(`row ${i} is not an object`);
    try {
      const request = requestForRow(schema, row);
      for (const column in row) if (column !== DELETE_MARKER) request.set(column, decodeValue((row as Record<string, unknown>)[column]));
      request.assertComplete();
      return request;
    } catch (err) {
      if (err instanceof ValidationError || err instanceof DecodeError) return new DecodeError(`row ${i}: ${err.message}`, { cause: err });
      throw err;
    }
  });
}
