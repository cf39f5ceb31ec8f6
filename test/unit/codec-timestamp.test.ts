import { describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/core/codec.js';

const encoded = (date: Date) => (encodeValue(date) as { $time: string }).$time;

describe('encodeValue(Date): the same text as toISOString', () => {
  it('matches toISOString across the four-digit years', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const from = Date.UTC(1000, 0, 1);
    const to = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 20_000; i++) {
      const date = new Date(Math.floor(from + random() * (to - from)));
      expect(encoded(date)).toBe(date.toISOString());
    }
  });

  it('matches at the edges, and before 1000 and after 9999 where toISOString pads or signs the year', () => {
    const edges = [0, -1, Date.UTC(1000, 0, 1), Date.UTC(1000, 0, 1) - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), Date.UTC(-1, 5, 6), 8.64e15, -8.64e15, Date.UTC(2024, 1, 29, 9, 5, 7, 3)];
    for (const ms of edges) expect(encoded(new Date(ms))).toBe(new Date(ms).toISOString());
  });

  it('still throws RangeError for an invalid date, like toISOString', () => {
    expect(() => encodeValue(new Date(NaN))).toThrow(RangeError);
  });
});
