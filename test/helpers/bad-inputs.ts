import { SQLSchema, type Request } from '../../src/index.js';
import { encodeRequest } from '../../src/core/codec.js';
import { prng } from '../../bench/seeded-random.js';

/** The bench's seeded PRNG (mulberry32): the same seed generates the same inputs, so a failure replays. */
export { prng };

export type Rng = ReturnType<typeof prng>;

/** One column of every type, one of them nullable: the schema every fuzz target uses. */
export const FUZZ_COLUMNS = {
  id: 'int64',
  name: 'string',
  score: 'int32',
  ratio: 'float64',
  ok: 'bool',
  at: 'timestamp',
  blob: 'bytes',
  note: 'string?',
} as const;
export type FuzzColumn = keyof typeof FUZZ_COLUMNS;
export const fuzzSchema = (table: string) => SQLSchema(table, 'update', FUZZ_COLUMNS);

/** A valid row as JavaScript values. */
export function goodRow(id: number): Record<FuzzColumn, unknown> {
  return { id: BigInt(id), name: `n${id}`, score: id % 1000, ratio: id / 7, ok: id % 2 === 0, at: new Date(1_700_000_000_000 + id), blob: new Uint8Array([id % 256]), note: null };
}

/** A valid row as JSON (what HTTP ingest takes). */
export function goodJsonRow(id: number): Record<FuzzColumn, unknown> {
  return { id: String(id), name: `n${id}`, score: id % 1000, ratio: id / 7, ok: true, at: '2024-05-01T12:00:00.123Z', blob: 'AQID', note: null };
}

const REQUIRED: readonly FuzzColumn[] = ['id', 'name', 'score', 'ratio', 'ok', 'at', 'blob'];

/** JavaScript values that a column of each type must refuse (never accidentally valid). */
export const BAD_VALUES: Readonly<Record<FuzzColumn, readonly unknown[]>> = {
  id: [2n ** 63n, -(2n ** 63n) - 1n, 2 ** 53, -(2 ** 53), 1.5, NaN, Infinity, 1e300, '1', true, {}, [], undefined, null, new Date()],
  score: [2 ** 31, -(2 ** 31) - 1, 1.5, NaN, Infinity, -Infinity, '1', 1n, true, {}, [], undefined, null, new Date()],
  ratio: [NaN, Infinity, -Infinity, '1.5', 1n, true, {}, [], undefined, null, new Date()],
  name: [1, 1n, true, {}, [], undefined, null, new Date(), new Uint8Array(1), Symbol('s')],
  ok: [0, 1, 'true', 'false', null, undefined, {}, 1n],
  at: [new Date(NaN), '2020-01-01T00:00:00Z', 0, 1_700_000_000_000, null, undefined, {}, 1n],
  blob: ['AQID', [1, 2, 3], new ArrayBuffer(4), new Uint16Array(2), null, undefined, {}, 1],
  note: [1, {}, [], true, undefined, 1n, new Date()],
};

/** JSON values HTTP ingest must refuse, per column. */
export const BAD_JSON_VALUES: Readonly<Record<FuzzColumn, readonly unknown[]>> = {
  id: ['12x', '1.5', 1.5, 2 ** 53 + 2, '99999999999999999999', '', true, {}, [], null],
  score: [2147483648, -2147483649, 1.5, '1', true, {}, [], null],
  ratio: ['1.5', true, {}, [], null],
  name: [1, true, {}, [], null],
  ok: [0, 'true', {}, [], null],
  at: ['2020-01-01T00:00:00', 'yesterday', 0, '2020-13-45T00:00:00Z', true, {}, [], null],
  blob: ['not base64!', 'abcde', 1, true, {}, [], null],
  note: [1, true, {}, []],
};

/** Column names no schema here has, including ones that probe prototypes and quoting. */
export const UNKNOWN_COLUMNS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', ' id', 'ID', 'id;drop', 'na"me', 'score\u0000', 'x'.repeat(200), '0'];

/**
 * A row broken by 1-3 mutations: a required column dropped, an unknown column added (as an own
 * property, even `__proto__`), or a value replaced by one its column refuses.
 */
export function brokenRow(rng: Rng, base: Record<string, unknown>, bad: Readonly<Record<string, readonly unknown[]>>): Record<string, unknown> {
  const row: Record<string, unknown> = { ...base };
  const mutations = 1 + rng.int(3);
  for (let m = 0; m < mutations; m++) {
    const kind = rng.int(3);
    if (kind === 0) delete row[rng.pick(REQUIRED)];
    else if (kind === 1) Object.defineProperty(row, rng.pick(UNKNOWN_COLUMNS), { value: rng.pick([1, 'x', null]), enumerable: true, configurable: true, writable: true });
    else {
      const column = rng.pick(Object.keys(bad));
      row[column] = rng.pick(bad[column] as readonly unknown[]);
    }
  }
  // Each mutation leaves the row invalid and none repairs another (a dropped column is never re-set validly).
  return row;
}

/** Payload-level mutations of a valid encoded job payload, each one undecodable. */
export function brokenPayload(rng: Rng, request: Request): unknown {
  const row: Record<string, unknown> = { ...encodeRequest(request) };
  switch (rng.int(12)) {
    case 0:
      return rng.pick([null, 1, 'x', true, [], [row]]);
    case 1:
      return { v: rng.pick([0, 2, 99, '1', null, -1, 1.5]), rows: [row] };
    case 2:
      return { rows: [row] };
    case 3:
      return { v: 1, rows: rng.pick([[], {}, 'rows', null, 1]) };
    case 4:
      return { v: 1, rows: [rng.pick([null, 1, 'x', [], [row]])] };
    case 5:
      return { v: 1, rows: [{ ...row, id: { $int64: rng.pick(['zz', '', '1.5', '1e3', '99999999999999999999', ' 1', '0x10']) } }] };
    case 6:
      return { v: 1, rows: [{ ...row, id: { $int64: '9223372036854775808' } }] };
    case 7:
      return { v: 1, rows: [{ ...row, at: { $time: rng.pick(['nope', '', '2020-13-45', 'T']) } }] };
    case 8:
      return { v: 1, rows: [{ ...row, [rng.pick(REQUIRED)]: rng.pick([{ $foo: '1' }, { $int64: '1', $time: 'x' }, { $int64: 1 }, {}, [1], [], { $bytes: null }]) }] };
    case 9: {
      const { [rng.pick(REQUIRED)]: _dropped, ...rest } = row;
      return { v: 1, rows: [rest] };
    }
    case 10:
      return { v: 1, rows: [JSON.parse(JSON.stringify({ ...row, [rng.pick(UNKNOWN_COLUMNS)]: 1 }).replace('"id"', '"__proto__":1,"id"'))] };
    default: {
      const column = rng.pick(REQUIRED);
      return { v: 1, rows: [row, { ...row, [column]: rng.pick(BAD_JSON_VALUES[column] as readonly unknown[]) }] };
    }
  }
}
