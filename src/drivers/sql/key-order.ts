import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';
import { compareVersions } from '../../core/row-version.js';
import { exactKey } from './row-key.js';

/**
 * One total order of a schema's keys, the same in every worker, and a coarse "may be the same
 * key to the database" grouping.
 *
 * Why an order: two concurrent upserts that lock shared keys in different orders deadlock, and
 * PostgreSQL notices only after `deadlock_timeout` (1 s). When every statement (and every chunk
 * of one) writes its rows in the same order, the second writer simply waits for the first.
 *
 * Why a *loose* key: the database, not JavaScript, decides which values are one key. A padded
 * `char(n)` ignores trailing spaces, `citext` and MySQL's default `*_ci` collations ignore case,
 * accent-insensitive collations ignore accents, and a number sent as `'01'` is `1` in an integer
 * column. The loose key folds all of these (trailing spaces, case, accents, numeric spelling), so
 * two rows the database may equate always share it. It may also join rows the database keeps
 * apart ('a' and 'A' in a case-sensitive column). Between such look-alike spellings only the
 * database can say which are one key and in which order its keys go: the driver asks it (rarely
 * needed) and sorts with {@link inDatabaseKeyOrder}. Arrival order is never an order between
 * distinct keys, since two workers see their rows in different orders.
 */

/** One key column's loose value: a type tag, then a value compared within the tag. */
type Part = readonly [tag: number, value: bigint | number | string];

/** A row's loose key, or undefined when a key column is null (NULLs never conflict). */
export type LooseKey = readonly Part[] | undefined;

const INTEGER = /^\s*[+-]?\d+\s*$/;
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const COMBINING_MARKS = /\p{M}/gu;

/** A value folded so that every spelling the database may equate gives the same part. */
function loosePart(value: Exclude<Value, null>): Part {
  if (typeof value === 'bigint') return [0, value];
  if (typeof value === 'number') return Number.isSafeInteger(value) ? [0, BigInt(value)] : [1, value];
  if (typeof value === 'boolean') return [0, value ? 1n : 0n];
  if (value instanceof Date) return [2, value.getTime()];
  if (value instanceof Uint8Array) return [3, Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')];
  if (INTEGER.test(value)) return [0, BigInt(value.trim())];
  if (DECIMAL.test(value)) return [1, Number(value)];
  return [4, foldString(value)];
}

/** Trailing spaces (PAD SPACE, `char(n)`), case and accents folded; ASCII takes the fast path. */
function foldString(value: string): string {
  const folded = PRINTABLE_ASCII.test(value) ? value.toLowerCase() : value.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase();
  return folded.replace(/ +$/, '');
}

/** The loose key of `row` over the key columns at `keyIndexes`. */
export function looseKey(row: readonly Value[], keyIndexes: readonly number[]): LooseKey {
  const parts: Part[] = [];
  for (const index of keyIndexes) {
    const value = row[index] ?? null;
    if (value === null) return undefined;
    parts.push(loosePart(value));
  }
  return parts;
}

/** Compares two loose keys: tag first, then the value (integers as bigints, strings by UTF-16 code unit); rows without a key last. */
export function compareLooseKeys(a: LooseKey, b: LooseKey): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  for (let i = 0; i < a.length; i++) {
    const [tagA, valueA] = a[i] as Part;
    const [tagB, valueB] = b[i] as Part;
    if (tagA !== tagB) return tagA - tagB;
    if (valueA !== valueB) return valueA < valueB ? -1 : 1;
  }
  return 0;
}

/** A loose key as a map key (bigints spelled out). */
function looseId(key: readonly Part[]): string {
  return key.map(([tag, value]) => `${tag}:${String(value)}`).join('\u0000');
}

/**
 * A row's loose key as one string (undefined for a null key column): equal for every pair of rows
 * the database may hold to be one key, so a lock taken on it covers every spelling of a key.
 */
export function looseKeyId(row: readonly Value[], keyIndexes: readonly number[]): string | undefined {
  const key = looseKey(row, keyIndexes);
  return key === undefined ? undefined : looseId(key);
}

/**
 * A row's key as the database sees it, as a map key (undefined for a null key column): the loose
 * key and the database's rank for a look-alike spelling in `ranks`, else the exact key (a row not
 * in `ranks` shares its loose key with no differently spelled row, see {@link lookalikeRows}).
 */
export function databaseKeyId(row: readonly Value[], keyIndexes: readonly number[], ranks: DatabaseKeyRanks | undefined): string | undefined {
  if (ranks?.has(row)) {
    const loose = looseKeyId(row, keyIndexes);
    return loose === undefined ? undefined : `r${loose}\u0001${rankOf(ranks, row)}`;
  }
  const exact = exactKey(row, keyIndexes);
  return exact === undefined ? undefined : `x${exact}`;
}

/** The key column positions of a schema, in `schema.keys` order. */
export function keyIndexesOf(schema: SQLSchema): number[] {
  return schema.keys.map((key) => schema.columnIndex.get(key) as number);
}

/**
 * The rows sorted by their loose key, stably: rows the database may treat as one key keep their
 * arrival order (so `ON DUPLICATE KEY UPDATE`, which applies rows in order, lets the later one
 * win), and rows with a null key go last. A schema without keys keeps its order.
 */
export function inKeyOrder<R extends readonly Value[]>(schema: SQLSchema, rows: readonly R[]): R[] {
  return inDatabaseKeyOrder(schema, rows, undefined);
}

/**
 * The rows that share a loose key with a row spelled differently ('a' and 'A', 'a' and 'a '):
 * only the database knows whether those are one key. Usually none, so no query is needed.
 */
export function lookalikeRows<R extends readonly Value[]>(schema: SQLSchema, rows: readonly R[]): R[] {
  const keyIndexes = keyIndexesOf(schema);
  if (keyIndexes.length === 0 || rows.length < 2) return [];
  const groups = new Map<string, R[]>();
  for (const row of rows) {
    const key = looseKey(row, keyIndexes);
    if (key === undefined) continue;
    const id = looseId(key);
    const group = groups.get(id);
    if (group) group.push(row);
    else groups.set(id, [row]);
  }
  // Exact keys only for loose groups of two or more rows (rare in most batches).
  const distinct = (group: R[]) => group.length > 1 && new Set(group.map((row) => exactKey(row, keyIndexes))).size > 1;
  return [...groups.values()].filter(distinct).flat();
}

/**
 * The database's own order of the key over a batch's look-alike rows: a rank per row, equal for
 * rows the database holds to be one key (read by the driver, see `lookalikeRows`). Rows not in
 * the map are alone in their loose group, up to identical spellings.
 */
export type DatabaseKeyRanks = ReadonlyMap<readonly Value[], number>;

/** The rank of `row` in `ranks`, 0 when the row is not there (no look-alike spelling). */
const rankOf = (ranks: DatabaseKeyRanks | undefined, row: readonly Value[]): number => ranks?.get(row) ?? 0;

/**
 * Keeps one row per key as the database sees it: the rows `ranks` places in one key are
 * collapsed to the newest version with a version column (on a tie the later row), else to the
 * later row, as `lastRowPerKey` and `newestRowPerKey` do for identical spellings. Needed where a
 * statement may not touch one row twice (`ON CONFLICT DO UPDATE`). Order is kept.
 */
export function lastRowPerDatabaseKey<R extends readonly Value[]>(schema: SQLSchema, rows: readonly R[], ranks: DatabaseKeyRanks): R[] {
  const keyIndexes = keyIndexesOf(schema);
  const kept = new Map<string, number>();
  const ids = rows.map((row) => {
    const key = ranks.has(row) ? looseKey(row, keyIndexes) : undefined;
    return key === undefined ? undefined : `${looseId(key)}\u0001${rankOf(ranks, row)}`;
  });
  ids.forEach((id, i) => {
    if (id === undefined) return;
    const held = kept.get(id);
    const version = schema.version?.index;
    if (held === undefined || version === undefined || compareVersions((rows[i] as R)[version], (rows[held] as R)[version]) >= 0) kept.set(id, i);
  });
  return rows.filter((_, i) => {
    const id = ids[i];
    return id === undefined || kept.get(id) === i;
  });
}

/**
 * The rows sorted into one total order of the database's keys, the same in every worker: by
 * loose key, then (between spellings of one loose key) by the database's own order of them
 * (`ranks`), then arrival. Any spelling of one database key has one loose key, and the database
 * orders its distinct keys one way, so two batches never lock two keys in opposite orders, in
 * one statement or across chunks. Arrival order within one database key lets the later row win
 * where the statement applies rows in order. Rows with a null key go last.
 */
export function inDatabaseKeyOrder<R extends readonly Value[]>(schema: SQLSchema, rows: readonly R[], ranks: DatabaseKeyRanks | undefined): R[] {
  const keyIndexes = keyIndexesOf(schema);
  if (keyIndexes.length === 0 || rows.length < 2) return [...rows];
  const keyed = rows.map((row, i) => ({ row, i, key: looseKey(row, keyIndexes), rank: rankOf(ranks, row) }));
  keyed.sort((a, b) => compareLooseKeys(a.key, b.key) || a.rank - b.rank || a.i - b.i);
  return keyed.map((entry) => entry.row);
}
