import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/core/column-type.js';
import { SQLSchema } from '../../src/core/schema.js';
import { compareLooseKeys, inKeyOrder, keyRounds, looseKey } from '../../src/drivers/sql/key-order.js';

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

  it('splits rows into rounds where no loose key repeats; applying the rounds in turn keeps the later row', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const rounds = keyRounds(schema, rows);
        expect(rounds.flat().length).toBe(rows.length);
        for (const round of rounds) {
          const keys = round.map((r) => looseKey(r, [0])).filter((k) => k !== undefined);
          expect(new Set(keys.map((k) => JSON.stringify(k, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))).size).toBe(keys.length);
          for (let i = 1; i < round.length; i++) expect(compareLooseKeys(looseKey(round[i - 1] as Row, [0]), looseKey(round[i] as Row, [0]))).toBeLessThanOrEqual(0);
        }
        expect(lastWins(rounds.flat())).toEqual(lastWins(rows));
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
