import type { BaseColumnType } from '../src/core/column-type.js';
import { DELETE_MARKER } from '../src/core/codec.js';
import { Request } from '../src/core/request.js';
import type { Row, Schema } from '../src/core/schema.js';
import { ValidationError } from '../src/errors/validation-error.js';

const DECIMAL = /^-?\d{1,20}$/;
// Date-times must carry their offset: without one, `Date` would read them in the server's time zone.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Turns a row parsed from JSON into a row of the schema's value types, from the columns' declared
 * types (JSON has no bigint, date or bytes):
 *
 * | declared    | JSON accepted                          | becomes      |
 * |-------------|----------------------------------------|--------------|
 * | `int64`     | integer number (safe range) or decimal string (`"9007199254740993"`) | number / bigint |
 * | `timestamp` | ISO-8601 string with offset (`"2024-05-01T12:00:00.123Z"`) or a date (`"2024-05-01"`, UTC) | Date |
 * | `bytes`     | base64 (or base64url) string            | Uint8Array   |
 * | others      | as is (`int32`/`float64` number, `string`, `bool`), `null` for nullable columns | unchanged |
 *
 * Untyped (seed-style) schemas take JSON values as they are. Values of the wrong JSON type are
 * passed on unchanged for `Request.fromRow` to reject; malformed strings are rejected here with a
 * {@link ValidationError} naming the column. Anything that is not an object is returned as is.
 *
 * @example
 * ```ts
 * jsonToRow(events, { id: '9007199254740993', at: '2024-05-01T12:00:00Z' });
 * // → { id: 9007199254740993n, at: new Date('2024-05-01T12:00:00Z') }
 * ```
 */
export function jsonToRow(schema: Schema, json: unknown): unknown {
  const types = schema.types;
  if (!types || json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  // fromEntries defines own properties, so a "__proto__" key stays a (rejected) column name.
  return Object.fromEntries(
    Object.entries(json).map(([column, value]) => {
      const index = schema.columnIndex.get(column);
      const base = index === undefined ? undefined : types[index]?.base;
      return [column, base === undefined || value === null ? value : convert(schema, column, base, value)];
    }),
  );
}

function convert(schema: Schema, column: string, base: BaseColumnType, value: unknown): unknown {
  switch (base) {
    case 'int64':
      if (typeof value === 'string') {
        if (!DECIMAL.test(value)) return fail(schema, column, 'wrong_type', 'expected an int64 as an integer or a decimal string');
        return BigInt(value);
      }
      if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
        // JSON.parse has already rounded it: refuse rather than store a different number.
        return fail(schema, column, 'out_of_range', `${value} is beyond 2^53 and lost precision in JSON; send int64 values as decimal strings`);
      }
      return value;
    case 'timestamp': {
      if (typeof value !== 'string' || !ISO_8601.test(value)) {
        return fail(schema, column, 'wrong_type', 'expected an ISO-8601 string with a time-zone offset, e.g. "2024-05-01T12:00:00Z"');
      }
      return new Date(value); // an impossible date (month 13) becomes Invalid Date, which fromRow rejects
    }
    case 'bytes':
      if (typeof value !== 'string' || !BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
        return fail(schema, column, 'wrong_type', 'expected a base64 string');
      }
      return Buffer.from(value, 'base64');
    default:
      return value;
  }
}

function fail(schema: Schema, column: string, kind: 'wrong_type' | 'out_of_range', detail: string): never {
  throw new ValidationError(kind, `schema "${schema.name}", column "${column}": ${detail}`, { schema: schema.name, column });
}

/**
 * One JSON row as a request: `{ "$delete": true, <key columns> }` is a delete by key (the marker a
 * job's row carries in Bull Board and the DLQ), anything else a row to write; `asDelete` makes
 * every row a delete (its columns the key). Throws the {@link ValidationError} of a bad row.
 */
export function jsonToRequest(schema: Schema, json: unknown, asDelete = false): Request {
  const marked = json !== null && typeof json === 'object' && !Array.isArray(json) && DELETE_MARKER in json;
  if (!marked) return asDelete ? Request.deleteOf(schema, jsonToRow(schema, json) as Row) : Request.fromRow(schema, jsonToRow(schema, json) as Row);
  const { [DELETE_MARKER]: marker, ...key } = json as Record<string, unknown>;
  if (marker !== true) throw new ValidationError('invalid_row', `schema "${schema.name}": ${DELETE_MARKER} must be true`, { schema: schema.name });
  return Request.deleteOf(schema, jsonToRow(schema, key) as Row);
}
