import type { BaseColumnType, Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { postgresUtcText } from '../sql/utc-time-text.js';

/**
 * PostgreSQL array literals (`{1,2,NULL}`, `{"a","b \"c\""}`) built straight from row-major
 * values, one string per column, for the `unnest($1::int8[], …)` insert.
 *
 * Why not bind JS arrays: node-postgres turns each array into the same literal itself
 * (`prepareValue` → `arrayString`), but element by element through its generic type checks and
 * two regex replaces, after our own column split (`toColumns`) and date rewrite
 * (`columnDatesAsText`). At batch rates that was about a quarter of the consumer's CPU per row.
 * Here each column knows its declared type, so one pass per column writes the literal.
 *
 * The text is exactly what node-postgres would send for the same arrays (after
 * `columnDatesAsText`), element for element: `NULL` for null and undefined, every string,
 * date and other text element double-quoted with `\` and `"` escaped (so the string `'NULL'`,
 * `''`, commas, braces and spaces stay text), numbers and bigints unquoted (their text holds
 * none of the characters the array parser treats specially), `true`/`false`, and bytes as
 * `\\x` + hex (bytea's hex input once the array parser has removed one backslash). A `Date`
 * is UTC text (`postgresUtcText`), never node-postgres' local-zone format.
 */

/** The literal of an element node-postgres would quote: `"…"` with `\` and `"` escaped. */
function quoted(text: string): string {
  // Most text has neither character: two memchr-fast scans and no copy. Else split/join, which
  // measured about 3× faster than node-postgres' two regex replaces on JSON text full of quotes.
  if (text.indexOf('\\') !== -1) text = text.split('\\').join('\\\\');
  if (text.indexOf('"') !== -1) text = text.split('"').join('\\"');
  return `"${text}"`;
}

/** bytea's hex form as an array element: `\\x0a1b…` (the array parser turns `\\` into `\`). */
function byteaElement(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return `\\\\x${buffer.toString('hex')}`;
}

/**
 * One non-null element of any type, as node-postgres' `arrayString` writes it (dates as UTC
 * text). Used for untyped (seed-style) columns, and as the safe path should a typed column ever
 * hold a value of another type (requests are validated, so that is not expected).
 */
function anyElement(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quoted(value);
    case 'number':
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      if (value instanceof Date) return quoted(postgresUtcText(value));
      if (ArrayBuffer.isView(value)) return byteaElement(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      // Never a request Value (requests are validated); written as node-postgres writes them: nested
      // arrays as sub-arrays, other objects as JSON (without its `toPostgres` hook).
      if (Array.isArray(value)) return arrayLiteral(value);
      return quoted(JSON.stringify(value));
  }
}

/** `{…}` of a JS array, as node-postgres' `arrayString` (nested arrays included). */
function arrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    out += value === null || value === undefined ? 'NULL' : anyElement(value);
  }
  return `${out}}`;
}

type Rows = readonly (readonly Value[])[];

// One loop per declared type, each with a single typeof (or instanceof) check per element and
// the safe `anyElement` path otherwise; separate loops keep each call site monomorphic.

function numberColumn(rows: Rows, c: number, start: number, end: number): string {
  let out = '{';
  for (let r = start; r < end; r++) {
    const v = (rows[r] as readonly Value[])[c];
    if (r > start) out += ',';
    out += v === null || v === undefined ? 'NULL' : typeof v === 'number' || typeof v === 'bigint' ? String(v) : anyElement(v);
  }
  return `${out}}`;
}

function stringColumn(rows: Rows, c: number, start: number, end: number): string {
  let out = '{';
  for (let r = start; r < end; r++) {
    const v = (rows[r] as readonly Value[])[c];
    if (r > start) out += ',';
    out += v === null || v === undefined ? 'NULL' : typeof v === 'string' ? quoted(v) : anyElement(v);
  }
  return `${out}}`;
}

function boolColumn(rows: Rows, c: number, start: number, end: number): string {
  let out = '{';
  for (let r = start; r < end; r++) {
    const v = (rows[r] as readonly Value[])[c];
    if (r > start) out += ',';
    out += v === true ? 'true' : v === false ? 'false' : v === null || v === undefined ? 'NULL' : anyElement(v);
  }
  return `${out}}`;
}

function dateColumn(rows: Rows, c: number, start: number, end: number): string {
  let out = '{';
  // Rows of one batch often share their instant (stamped together): format each instant once in a run.
  let lastTime = Number.NaN;
  let lastText = '';
  for (let r = start; r < end; r++) {
    const v = (rows[r] as readonly Value[])[c];
    if (r > start) out += ',';
    if (v instanceof Date) {
      const time = v.getTime();
      if (time !== lastTime) {
        lastTime = time;
        lastText = quoted(postgresUtcText(v));
      }
      out += lastText;
    } else out += v === null || v === undefined ? 'NULL' : anyElement(v);
  }
  return `${out}}`;
}

function bytesColumn(rows: Rows, c: number, start: number, end: number): string {
  let out = '{';
  for (let r = start; r < end; r++) {
    const v = (rows[r] as readonly Value[])[c];
    if (r > start) out += ',';
    out += v === null || v === undefined ? 'NULL' : v instanceof Uint8Array ? byteaElement(v) : anyElement(v);
  }
  return `${out}}`;
}

function anyColumn(rows: Rows, c: number, start: number, end: number): string {
  let out = '{';
  for (let r = start; r < end; r++) {
    const v = (rows[r] as readonly Value[])[c];
    if (r > start) out += ',';
    out += v === null || v === undefined ? 'NULL' : anyElement(v);
  }
  return `${out}}`;
}

const COLUMN_WRITERS: Readonly<Record<BaseColumnType, (rows: Rows, c: number, start: number, end: number) => string>> = Object.freeze({
  int32: numberColumn,
  int64: numberColumn,
  float64: numberColumn,
  string: stringColumn,
  bool: boolColumn,
  timestamp: dateColumn,
  bytes: bytesColumn,
});

/**
 * One PostgreSQL array literal per schema column for `rows[start, end)` (row-major, in schema
 * column order), to bind as the insert's `$n::type[]` parameters in place of JS arrays. A
 * declared column's elements are written by its type; an untyped column's by each value's
 * own. The elements PostgreSQL reads are those of node-postgres' literals for
 * `columnDatesAsText(toColumns(rows))` (only numbers are spelled without quotes).
 *
 * @example
 * ```ts
 * postgresArrayLiterals(schema, [[1n, 'a "b"', null]], 0, 1); // ['{1}', '{"a \\"b\\""}', '{NULL}']
 * ```
 */
export function postgresArrayLiterals(schema: SQLSchema, rows: Rows, start = 0, end = rows.length): string[] {
  const literals = new Array<string>(schema.columns.length);
  for (let c = 0; c < literals.length; c++) {
    const type = schema.types?.[c];
    literals[c] = (type ? COLUMN_WRITERS[type.base] : anyColumn)(rows, c, start, end);
  }
  return literals;
}
