// One row per key before a MySQL upsert (issue 18, hot keys): the row that applying the batch's
// rows in order would leave, so the server overwrites nothing it would only overwrite again.
import { describe, expect, it } from 'vitest';
import { SQLSchema, type ConflictStrategy, type Value } from '../../src/index.js';
import { survivingRowPerKey } from '../../src/drivers/sql/row-key.js';

const COLUMNS = { id: 'int64', v: 'string' } as const;
const schema = (conflict: ConflictStrategy) => SQLSchema('t', conflict, COLUMNS);
/** Rows [id, v]: key 1 three times (a, c, e), keys 2 and 3 once, a null key twice. */
const ROWS: Value[][] = [[1n, 'a'], [2n, 'b'], [1, 'c'], [null, 'n1'], ['1', 'e'], [3n, 'd'], [null, 'n2']];

describe('survivingRowPerKey', () => {
  it.each(['update', 'replace'] as const)('%s keeps the last row of each key, in arrival order, and every null key', (conflict) => {
    expect(survivingRowPerKey(schema(conflict), ROWS)).toEqual([[2n, 'b'], [null, 'n1'], ['1', 'e'], [3n, 'd'], [null, 'n2']]);
  });

  it('ignore keeps the first row of each key (a duplicate never overwrites)', () => {
    expect(survivingRowPerKey(schema('ignore'), ROWS)).toEqual([[1n, 'a'], [2n, 'b'], [null, 'n1'], [3n, 'd'], [null, 'n2']]);
  });

  it('insert keeps every row, so a key twice still fails as a duplicate', () => {
    expect(survivingRowPerKey(schema('insert'), ROWS)).toEqual(ROWS);
  });

  it('a versioned schema keeps the newest version of each key, whatever the arrival order', () => {
    const versioned = SQLSchema('t', 'update', { id: 'int64', v: 'string', ver: 'int64' }, { versionColumn: 'ver', versionSource: 'row' });
    const rows: Value[][] = [[1n, 'new', 5n], [2n, 'b', 1n], [1n, 'old', 3n]];
    expect(survivingRowPerKey(versioned, rows)).toEqual([[1n, 'new', 5n], [2n, 'b', 1n]]);
  });
});
