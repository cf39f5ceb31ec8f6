import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnDatesAsText, datesAsText, mySqlUtcText, postgresUtcText } from '../../src/drivers/sql/utc-time-text.js';
import { SQLSchema } from '../../src/index.js';

const date = (min: string, max: string) => fc.date({ min: new Date(min), max: new Date(max), noInvalidDate: true });

describe('Dates as UTC text for the SQL drivers', () => {
  it('MySQL: YYYY-MM-DD HH:MM:SS.mmm of the UTC wall time, for every year MySQL holds', () => {
    fc.assert(
      fc.property(date('0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'), (d) => {
        const text = mySqlUtcText(d);
        expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
        expect(text).toBe(d.toISOString().replace('T', ' ').replace('Z', ''));
      }),
    );
  });

  it('PostgreSQL: ISO with Z for years 1–9999, more digits after, BC before', () => {
    fc.assert(fc.property(date('0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'), (d) => {
      expect(postgresUtcText(d)).toBe(d.toISOString());
    }));
    expect(postgresUtcText(new Date('+275760-09-13T00:00:00.000Z'))).toBe('275760-09-13T00:00:00.000Z');
    expect(postgresUtcText(new Date('0000-12-31T23:59:59.999Z'))).toBe('0001-12-31T23:59:59.999Z BC'); // year 0 is 1 BC
    expect(postgresUtcText(new Date('-000043-03-15T12:00:00.000Z'))).toBe('0044-03-15T12:00:00.000Z BC');
  });

  it('replaces Dates only, copies only rows that hold one, and skips a declared schema without a timestamp', () => {
    const at = new Date('2024-01-02T03:04:05.006Z');
    const untyped = SQLSchema('t', 'ignore', ['id', 'at']);
    const plain = [1n, 'x'] as const;
    const rows = datesAsText(untyped, [[1n, at], plain], postgresUtcText);
    expect(rows).toEqual([[1n, '2024-01-02T03:04:05.006Z'], plain]);
    expect(rows[1]).toBe(plain);
    const noTime = SQLSchema('t', 'ignore', { id: 'int64', name: 'string' });
    const kept = [[1n, 'x']] as const;
    expect(datesAsText(noTime, kept, postgresUtcText)[0]).toBe(kept[0]);
  });
});

describe('columnDatesAsText', () => {
  it('replaces Dates in place in the timestamp columns of column-major arrays', () => {
    const at = new Date('2024-01-02T03:04:05.006Z');
    const schema = SQLSchema('t', 'ignore', { id: 'int64', at: 'timestamp?' });
    const columns = [[1n, 2n], [at, null]];
    expect(columnDatesAsText(schema, columns, mySqlUtcText)).toBe(columns);
    expect(columns).toEqual([[1n, 2n], ['2024-01-02 03:04:05.006', null]]);
  });
});
