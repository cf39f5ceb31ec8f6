import { ValidationError } from '../errors/validation-error.js';
import type { BaseColumnType, ParsedColumnType, Value } from './column-type.js';
import type { Schema } from './schema.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Checks one value for one column and returns it (normalised where that is free,
 * e.g. a safe-integer bigint stays as given). Throws a {@link ValidationError}
 * naming the schema and column otherwise.
 */
export function checkValue(schema: Schema, column: string, type: ParsedColumnType | undefined, value: unknown): Value {
  if (value === null) {
    if (type && !type.nullable) fail(schema, column, 'wrong_type', 'is not nullable');
    return null;
  }
  if (!type) return checkAnyValue(schema, column, value);
  return checkTyped(schema, column, type.base, value);
}

function checkTyped(schema: Schema, column: string, base: BaseColumnType, value: unknown): Value {
  switch (base) {
    case 'int32':
      if (typeof value !== 'number' || !Number.isInteger(value)) return wrongType(schema, column, 'an int32', value);
      if (value < INT32_MIN || value > INT32_MAX) fail(schema, column, 'out_of_range', `value ${value} is out of int32 range`);
      return value;
    case 'int64':
      return checkInt64(schema, column, value);
    case 'float64':
      if (typeof value !== 'number') return wrongType(schema, column, 'a float64', value);
      if (!Number.isFinite(value)) fail(schema, column, 'out_of_range', `value ${value} is not finite`);
      return value;
    case 'string':
      return typeof value === 'string' ? value : wrongType(schema, column, 'a string', value);
    case 'bool':
      return typeof value === 'boolean' ? value : wrongType(schema, column, 'a boolean', value);
    case 'timestamp':
      if (!(value instanceof Date)) return wrongType(schema, column, 'a Date', value);
      if (Number.isNaN(value.getTime())) fail(schema, column, 'out_of_range', 'is an invalid Date');
      return value;
    case 'bytes':
      return value instanceof Uint8Array ? value : wrongType(schema, column, 'a Uint8Array', value);
  }
}

/** int64: a bigint in signed 64-bit range, or a safe integer number. */
export function checkInt64(schema: Schema, column: string, value: unknown): bigint | number {
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) fail(schema, column, 'out_of_range', `value ${value} is out of int64 range`);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      fail(schema, column, 'out_of_range', `value ${value} is not a safe integer; pass a bigint for int64 values beyond 2^53`);
    }
    return value;
  }
  return wrongType(schema, column, 'an int64 (bigint or safe integer)', value);
}

/** Untyped columns accept any {@link Value}, but numbers must be finite and dates valid. */
function checkAnyValue(schema: Schema, column: string, value: unknown): Value {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return value;
    case 'number':
      if (!Number.isFinite(value)) fail(schema, column, 'out_of_range', `value ${value} is not finite`);
      return value;
    default:
      if (value instanceof Uint8Array) return value;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) fail(schema, column, 'out_of_range', 'is an invalid Date');
        return value;
      }
      return wrongType(schema, column, 'null, boolean, number, bigint, string, Date or Uint8Array', value);
  }
}

function wrongType(schema: Schema, column: string, expected: string, value: unknown): never {
  return fail(schema, column, 'wrong_type', `expected ${expected}, got ${describe(value)}`);
}

function fail(schema: Schema, column: string, kind: 'wrong_type' | 'out_of_range', detail: string): never {
  throw new ValidationError(kind, `schema "${schema.name}", column "${column}": ${detail}`, { schema: schema.name, column });
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return value === null ? 'null' : `an object (${value.constructor?.name ?? 'Object'})`;
  return typeof value;
}
