import { SQLSchema, type Row, type Schema } from '../src/index.js';

/**
 * The wide scenario's row (issue 21): 20 columns of mixed types, about 2 KB as JSON, the width of
 * an order or event row in a real app. Numeric, uuid and json columns are declared `string`
 * (BatchFlow sends them as text; the database's own type checks them), as an app would.
 */
export const WIDE_COLUMNS = Object.freeze({
  id: 'int64',
  account: 'int32',
  amount: 'float64',
  price: 'string', // numeric(12,2) / DECIMAL(12,2)
  quantity: 'int32',
  active: 'bool',
  created_at: 'timestamp',
  updated_at: 'timestamp',
  uuid: 'string', // uuid / CHAR(36)
  payload: 'string', // jsonb / JSON
  title: 'string',
  description: 'string',
  tags: 'string',
  email: 'string',
  country: 'string',
  city: 'string',
  notes: 'string',
  score: 'float64',
  flags: 'int32',
  revision: 'int64',
} as const);

/** Column names of the wide table, in schema order, for hand-written SQL. */
export const WIDE_COLUMN_LIST = Object.keys(WIDE_COLUMNS).join(', ');

/** A wide row as submitted (and as the raw writer writes it). */
export type WideRow = Readonly<Record<keyof typeof WIDE_COLUMNS, number | string | boolean | Date>>;

/** The wide schema for a table (`ignore`, like the five-column bench schema, so a redelivered row is not counted twice). */
export function wideSchema(table: string): Schema {
  return SQLSchema(table, 'ignore', WIDE_COLUMNS);
}

const WORDS = ['amber', 'basalt', 'cedar', 'delta', 'ember', 'fjord', 'garnet', 'harbor', 'indigo', 'juniper', 'kestrel', 'lumen'];

/** `length` characters of words picked from `seed` (varied, so no column compresses to nothing). */
function text(seed: number, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += `${WORDS[(seed * 7 + i * 13) % WORDS.length]} `;
  return out.slice(0, length);
}

/** A stable UUID-shaped id for row `id`. */
function uuidOf(id: number): string {
  const hex = id.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex.slice(-12)}`;
}

/** Wide row `id`, stamped `now`: about 2 KB as JSON. */
export function makeWideRow(id: number, now: Date): WideRow {
  return {
    id,
    account: id % 1000,
    amount: (id % 100_000) / 100,
    price: ((id % 99_999) / 100).toFixed(2),
    quantity: 1 + (id % 50),
    active: id % 3 !== 0,
    created_at: now,
    updated_at: now,
    uuid: uuidOf(id),
    payload: JSON.stringify({ source: 'bench', id, lines: [1, 2, 3].map((n) => ({ sku: `sku-${(id + n) % 9973}`, qty: n, note: text(id + n, 60) })) }),
    title: text(id, 80),
    description: text(id + 1, 1000),
    tags: text(id + 2, 120),
    email: `user${id % 100_000}@example.com`,
    country: ['DE', 'FR', 'US', 'JP', 'BR'][id % 5] as string,
    city: text(id + 3, 24),
    notes: text(id + 4, 400),
    score: (id % 1000) / 7,
    flags: id % 256,
    revision: id * 3,
  };
}

/** Rows `first .. first+count-1`, all stamped with the current time. */
export function makeWideRows(first: number, count: number): WideRow[] {
  const now = new Date();
  return Array.from({ length: count }, (_, i) => makeWideRow(first + i, now));
}

/** A wide row's values in column order, for hand-written SQL. */
export function wideRowValues(row: WideRow): Array<number | string | boolean | Date> {
  return Object.keys(WIDE_COLUMNS).map((column) => row[column as keyof WideRow]);
}

/** A wide row as a request row. */
export const wideRequestRow = (row: WideRow): Row => row as unknown as Row;

/** JSON bytes of a row: the width the scenario's MB/s counts (the same figure for the raw write and BatchFlow). */
export function wideRowBytes(row: WideRow): number {
  return Buffer.byteLength(JSON.stringify(row));
}
