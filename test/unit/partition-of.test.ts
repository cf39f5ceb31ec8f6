import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RoundRobin, fnv1a32, partitionOf, splitByPartition } from '../../src/core/partition-of.js';
import { Schema, SQLSchema, partitionKeyColumns } from '../../src/core/schema.js';
import { SchemaDefinitionError } from '../../src/errors/schema-definition-error.js';
import { partitionQueueName, queueKeyPrefix, schemaOfQueue, schemaQueueNames, deadLetterQueueName } from '../../src/queue/queue-names.js';

describe('partitionOf', () => {
  it('is a stable FNV-1a hash (known vectors), so every process routes a key alike', () => {
    // Reference values of 32-bit FNV-1a.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(partitionOf(['id'], { id: 42 }, 4)).toBe(partitionOf(['id'], { id: 42, other: 'x' }, 4));
  });

  it('keeps one key in one partition and spreads many keys over all partitions about evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let id = 0; id < 10_000; id++) {
      const p = partitionOf(['id'], { id: { $int64: String(id) } }, 4);
      expect(p).toBe(partitionOf(['id'], { id: { $int64: String(id) }, body: 'changed' }, 4));
      counts[p] = (counts[p] ?? 0) + 1;
    }
    for (const n of counts) expect(n).toBeGreaterThan(2000); // 2,500 each when even
  });

  it('hashes every key column in order, and a missing value like null', () => {
    const a = partitionOf(['tenant', 'id'], { tenant: 't1', id: 1 }, 64);
    expect(partitionOf(['tenant', 'id'], { id: 1, tenant: 't1' }, 64)).toBe(a);
    expect(partitionOf(['id'], { id: null }, 8)).toBe(partitionOf(['id'], {}, 8));
    expect(partitionOf(['id'], { id: 1 }, 1)).toBe(0);
  });
});

describe('splitByPartition', () => {
  it('groups rows per partition in submit order, with their sizes', () => {
    const schema = SQLSchema('orders', 'update', ['id', 'v'], { partitions: 3 });
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: i % 5, v: i }));
    const groups = splitByPartition(schema, rows, rows.map((r) => r.v));
    expect(groups.reduce((n, g) => n + g.rows.length, 0)).toBe(30);
    for (const group of groups) {
      for (const row of group.rows) expect(partitionOf(['id'], row, 3)).toBe(group.partition);
      const vs = group.rows.map((r) => r.v);
      expect(vs).toEqual([...vs].sort((x, y) => x - y)); // submit order kept
      expect(group.bytes).toEqual(vs);
    }
  });

  it('spreads a keyless insert schema over every partition in turn (it used to hash the empty key into one)', () => {
    const schema = SQLSchema('log', 'insert', { at: 'int64', line: 'string' }, { partitions: 4 });
    expect(partitionKeyColumns(schema)).toEqual([]);
    const spread = new RoundRobin();
    const rows = Array.from({ length: 10 }, (_, i) => ({ at: i, line: 'same' }));
    const first = splitByPartition(schema, rows, rows.map(() => 1), spread);
    expect(first.map((g) => [g.partition, g.rows.map((r) => r.at)])).toEqual([
      [0, [0, 4, 8]],
      [1, [1, 5, 9]],
      [2, [2, 6]],
      [3, [3, 7]],
    ]);
    // The turn carries over from call to call (single submits spread too).
    const singles = Array.from({ length: 8 }, (_, i) => splitByPartition(schema, [{ at: i, line: 'x' }], [1], spread)[0]?.partition);
    expect(singles).toEqual([2, 3, 0, 1, 2, 3, 0, 1]);
  });

  it('property: a keyless schema stays evenly spread (counts differ by at most 1) over any sequence of submits, each group in submit order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 256 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 40 }), (partitions, sizes) => {
        const schema = SQLSchema('log', 'insert', ['at', 'line'], { partitions });
        const spread = new RoundRobin();
        const counts = new Array<number>(partitions).fill(0);
        let at = 0;
        for (const size of sizes) {
          const rows = Array.from({ length: size }, () => ({ at: at++, line: 'x' }));
          for (const group of splitByPartition(schema, rows, rows.map(() => 1), spread)) {
            counts[group.partition] = (counts[group.partition] ?? 0) + group.rows.length;
            const ats = group.rows.map((r) => r.at);
            expect(ats).toEqual([...ats].sort((a, b) => a - b));
          }
        }
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(at);
      }),
    );
  });

  it('routes a SQL schema by partitionBy: some of its keys, or any columns with insert', () => {
    const byTenant = SQLSchema('t', 'update', { tenant: 'string', id: 'int64', v: 'string' }, { keys: ['tenant', 'id'], partitions: 8, partitionBy: ['tenant'] });
    expect(partitionKeyColumns(byTenant)).toEqual(['tenant']);
    const groups = splitByPartition(byTenant, [{ tenant: 'a', id: 1 }, { tenant: 'a', id: 2 }, { tenant: 'b', id: 1 }], [1, 1, 1]);
    for (const group of groups) for (const row of group.rows) expect(group.partition).toBe(partitionOf(['tenant'], row, 8));
    expect(groups.find((g) => g.rows.some((r) => r.tenant === 'a'))?.rows.map((r) => r.id)).toEqual([1, 2]);
    expect(partitionKeyColumns(SQLSchema('log', 'insert', ['at', 'host'], { partitions: 2, partitionBy: ['host'] }))).toEqual(['host']);
    expect(() => SQLSchema('t', 'update', ['id', 'v'], { partitions: 2, partitionBy: ['v'] })).toThrow(/partitionBy column "v" is not a key column/);
    expect(() => SQLSchema('t', 'insert', ['id', 'v'], { partitionBy: [] })).toThrow(/partitionBy must not be empty/);
  });

  it('one partition: one group, no hashing', () => {
    const schema = SQLSchema('orders', 'update', ['id', 'v']);
    expect(splitByPartition(schema, [{ id: 1, v: 1 }], [7])).toEqual([{ partition: 0, rows: [{ id: 1, v: 1 }], bytes: [7] }]);
  });
});

describe('partitions option and queue names', () => {
  it('defaults to 1 with the schema name as its only queue (the key layout is unchanged)', () => {
    const orders = SQLSchema('orders', 'ignore', ['id']);
    expect(orders.partitions).toBe(1);
    expect(schemaQueueNames(orders)).toEqual(['orders']);
    expect(queueKeyPrefix('batchflow', schemaQueueNames(orders)[0] as string)).toBe('batchflow:{orders}');
  });

  it('names partition queues <schema>#<p>, each with its own hash tag shared with its DLQ', () => {
    const orders = SQLSchema('orders', 'ignore', ['id'], { partitions: 4 });
    expect(schemaQueueNames(orders)).toEqual(['orders#0', 'orders#1', 'orders#2', 'orders#3']);
    expect(partitionQueueName('orders', 2, 4)).toBe('orders#2');
    expect(queueKeyPrefix('batchflow', 'orders#2')).toBe('batchflow:{orders#2}');
    expect(queueKeyPrefix('batchflow', deadLetterQueueName('orders#2'))).toBe('batchflow:{orders#2}');
    expect(schemaOfQueue('orders#2.dlq')).toBe('orders');
    expect(schemaOfQueue('orders.dlq')).toBe('orders');
  });

  it('routes SQL schemas by their keys and other schemas by their first column', () => {
    expect(partitionKeyColumns(SQLSchema('t', 'ignore', ['a', 'b', 'c'], { keys: ['b', 'c'] }))).toEqual(['b', 'c']);
    expect(partitionKeyColumns(Schema('cache', ['cmd', 'key'], { partitions: 2 }))).toEqual(['cmd']);
    expect(partitionKeyColumns(Schema('cache', ['cmd', 'key'], { partitions: 2, partitionBy: ['key'] }))).toEqual(['key']);
    expect(() => Schema('cache', ['cmd', 'key'], { partitionBy: ['nope'] })).toThrow(/partitionBy column "nope"/);
  });

  it('refuses a partition count that is not an integer from 1 to 256', () => {
    for (const partitions of [0, -1, 1.5, 257]) expect(() => SQLSchema('t', 'ignore', ['id'], { partitions })).toThrow(SchemaDefinitionError);
    expect(() => Schema('s', ['a'], { partitions: 0 })).toThrow(/partitions must be an integer from 1 to 256/);
  });
});
