import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/core/column-type.js';
import { SQLSchema } from '../../src/core/schema.js';
import { compareLooseKeys, inDatabaseKeyOrder, inKeyOrder, lastRowPerDatabaseKey, lookalikeRows, looseKey } from '../../src/drivers/sql/key-order.js';

const schema = SQLSchema('t', 'update', ['k', 'n'], { keys: ['k'] });
type Row = readonly [Value, number];

// Keys that a database may equate with each other: padding, case, accents, numeric spellings.
const variants = fc.constantFrom<Value>('a', 'a ', 'A', 'á', 'b', 'B  ', 1, 1n, '1', '01', 2n, -5, '-5', 10n, '10', null, 'zz', 'é', 'e');
const rowsArb = fc.array(variants, { maxLength: 30 }).map((keys) => keys.map((k, i): Row => [k, i]));

/** Applies rows in order, later overwriting earlier, by loose key (the database's view at its coarsest). */
function lastWins(rows: readonly Row[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of rows) {
    const key = looseKey(row, [0]);
    if (key !== undefined) out.set(JSON.stringify(key, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)), row[1]);
  }
  return out;
}

describe('key order', () => {
  it('is one total order: any arrival order of distinct keys gives the same sequence', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.string(), fc.integer()), { maxLength: 20 }), fc.nat(), (keys, seed) => {
        const rows = keys.map((k, i): Row => [k, i]);
        const shuffled = [...rows].sort((a, b) => ((a[1] * 7919 + seed) % 101) - ((b[1] * 7919 + seed) % 101));
        const a = inKeyOrder(schema, rows).map((r) => r[0]);
        const b = inKeyOrder(schema, shuffled).map((r) => r[0]);
        // Equal loose keys may keep either arrival order; compare by loose key.
        expect(a.map((k) => looseKey([k], [0]))).toEqual(b.map((k) => looseKey([k], [0])));
      }),
    );
  });

  it('sorts integers as integers whatever their spelling (2 before 10, bigints beyond 2^53 exactly)', () => {
    const rows: Row[] = [['10', 0], [2n, 1], [2n ** 60n + 1n, 2], [2n ** 60n, 3], [-1, 4]];
    expect(inKeyOrder(schema, rows).map((r) => r[1])).toEqual([4, 1, 0, 3, 2]);
  });

  it('keeps arrival order among keys the database may equate, so the later row is applied last', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const ordered = inKeyOrder(schema, rows);
        expect([...ordered].sort((x, y) => x[1] - y[1])).toEqual(rows);
        for (let i = 1; i < ordered.length; i++) {
          const order = compareLooseKeys(looseKey(ordered[i - 1] as Row, [0]), looseKey(ordered[i] as Row, [0]));
          expect(order).toBeLessThanOrEqual(0);
          if (order === 0) expect((ordered[i - 1] as Row)[1]).toBeLessThan((ordered[i] as Row)[1]);
        }
        expect(lastWins(ordered)).toEqual(lastWins(rows));
      }),
    );
  });

  // A stand-in for the database's comparison: case-insensitive, accent- and padding-sensitive
  // (like a `*_ci` collation without accent folding). Its keys are what `ranks` must reflect.
  const dbKey = (k: Value): string => (typeof k === 'string' ? k.toLowerCase() : String(k));
  const ranksOf = (rows: readonly Row[]) => {
    const distinct = [...new Set(rows.map((r) => dbKey(r[0])))].sort();
    return new Map(rows.map((r) => [r, distinct.indexOf(dbKey(r[0]))] as const));
  };
  const textRows = fc.array(fc.constantFrom('a', 'A', 'á', 'Á', 'à', 'a ', 'b', 'B'), { maxLength: 12 }).map((keys) => keys.map((k, i): Row => [k, i]));

  it('orders distinct database keys the same way in every batch, whichever spellings and arrival orders it holds', () => {
    fc.assert(
      fc.property(textRows, textRows, (first, second) => {
        const firstOrder = inDatabaseKeyOrder(schema, first, ranksOf(lookalikeRows(schema, first))).map((r) => dbKey(r[0]));
        const secondOrder = inDatabaseKeyOrder(schema, second, ranksOf(lookalikeRows(schema, second))).map((r) => dbKey(r[0]));
        // No two database keys appear in opposite orders in the two batches (what deadlocks).
        const position = (order: string[]) => new Map(order.map((k, i) => [k, i]));
        const [p, q] = [position(firstOrder), position(secondOrder)];
        for (const x of p.keys()) for (const y of p.keys()) if (q.has(x) && q.has(y) && x < y) expect(Math.sign((p.get(x) as number) - (p.get(y) as number))).toBe(Math.sign((q.get(x) as number) - (q.get(y) as number)));
      }),
    );
  });

  it('asks the database only about loose groups with more than one spelling', () => {
    const rows: Row[] = [['a', 0], ['b', 1], ['A', 2], ['c', 3], ['c', 4], [1n, 5], ['01', 6]];
    expect(lookalikeRows(schema, rows).map((r) => r[1])).toEqual([0, 2, 5, 6]);
    expect(lookalikeRows(schema, [['a', 0], ['a', 1], ['b', 2]])).toEqual([]);
  });

  it('keeps the later row of each database key, and every database key once, in order', () => {
    fc.assert(
      fc.property(textRows, (rows) => {
        const ranks = ranksOf(lookalikeRows(schema, rows));
        const kept = lastRowPerDatabaseKey(schema, rows, ranks);
        const last = new Map(rows.map((r) => [dbKey(r[0]), r[1]]));
        // Identical spellings outside look-alike groups are the JS dedupe's (lastRowPerKey), not this one's.
        const keptDb = kept.filter((r) => ranks.has(r));
        expect(new Set(keptDb.map((r) => dbKey(r[0]))).size).toBe(keptDb.length);
        for (const r of keptDb) expect(r[1]).toBe(last.get(dbKey(r[0])));
        expect([...kept].sort((x, y) => x[1] - y[1])).toEqual(kept);
      }),
    );
  });

  it('folds what databases equate: padding, case, accents, numeric spellings', () => {
    const same = (a: Value, b: Value) => compareLooseKeys(looseKey([a], [0]), looseKey([b], [0])) === 0;
    expect(same('a', 'a  ')).toBe(true);
    expect(same('Straße', 'STRASSE')).toBe(false); // not folded: the fallback (one row per statement) covers such pairs
    expect(same('Café', 'cafe')).toBe(true);
    expect(same('01', 1n)).toBe(true);
    expect(same('1.50', 1.5)).toBe(true);
    expect(same('a', 'b')).toBe(false);
  });
});
