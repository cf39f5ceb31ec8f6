import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';

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
 * apart ('a' and 'A' in a case-sensitive column); that costs only a separate statement, never a
 * wrong result, because rows with one loose key keep their arrival order (the later row wins).
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
  const keyIndexes = keyIndexesOf(schema);
  if (keyIndexes.length === 0 || rows.length < 2) return [...rows];
  const keyed = rows.map((row, i) => ({ row, i, key: looseKey(row, keyIndexes) }));
  keyed.sort((a, b) => compareLooseKeys(a.key, b.key) || a.i - b.i);
  return keyed.map((entry) => entry.row);
}

/**
 * The rows split into rounds in which no two rows share a loose key, each round in key order:
 * round 1 holds the first row of every loose key, round 2 the second, and so on. PostgreSQL's
 * `ON CONFLICT DO UPDATE` may not touch one row twice in a statement (SQLSTATE 21000); one
 * statement per round avoids that for every equality the loose key knows, and running the rounds
 * in order lets the later row win. Rows without a key all go into the first round.
 */
export function keyRounds<R extends readonly Value[]>(schema: SQLSchema, rows: readonly R[]): R[][] {
  const keyIndexes = keyIndexesOf(schema);
  const rounds: { row: R; key: LooseKey; i: number }[][] = [];
  const seen = new Map<string, number>();
  rows.forEach((row, i) => {
    const key = keyIndexes.length === 0 ? undefined : looseKey(row, keyIndexes);
    let round = 0;
    if (key !== undefined) {
      const id = looseId(key);
      round = seen.get(id) ?? 0;
      seen.set(id, round + 1);
    }
    (rounds[round] ??= []).push({ row, key, i });
  });
  return rounds.map((round) => round.sort((a, b) => compareLooseKeys(a.key, b.key) || a.i - b.i).map((entry) => entry.row));
}
