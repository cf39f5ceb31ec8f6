// Deletes by key as requests: validated like any request, refused where no key names a row, and
// encoded with a `$delete` marker that survives the codec (so packing, partitions and the DLQ,
// which all carry encoded rows, keep the operation).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, partitionOf, Request, Schema, SQLSchema, ValidationError } from '../../src/index.js';
import { decodePayload, decodePayloadRows, encodeRequest } from '../../src/core/codec.js';
import { schemaJobData } from '../../src/queue/job-data.js';
import { decodeRow } from '../../src/queue/dead-letter/dead-letter-edit.js';

const users = SQLSchema('users', 'update', { id: 'int64', name: 'string', v: 'int64?' }, { versionColumn: 'v', versionSource: 'row', tombstones: true });
const pairs = SQLSchema('pairs', 'ignore', { a: 'string', b: 'int32', note: 'string' }, { keys: ['a', 'b'] });
const log = SQLSchema('log', 'insert', { at: 'timestamp', line: 'string' });
const cache = Schema('cache', ['cmd', 'key', 'value']);

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.kind;
    throw err;
  }
  return undefined;
}

describe('Request.deleteOf', () => {
  it('takes the key columns (and the version column), refusing anything else', () => {
    const request = Request.deleteOf(pairs, { a: 'x', b: 2 });
    expect(request.isDelete).toBe(true);
    expect(request.toRow()).toEqual({ a: 'x', b: 2 });
    expect(Request.deleteOf(users, { id: 1n, v: 7n }).toRow()).toEqual({ id: 1n, v: 7n });
    expect(kindOf(() => Request.deleteOf(users, { id: 1n }))).toBe('missing_column'); // versionSource 'row': the delete needs its version
    expect(kindOf(() => Request.deleteOf(pairs, { a: 'x', b: 2, note: 'n' }))).toBe('unknown_column');
    expect(kindOf(() => Request.deleteOf(pairs, { a: 'x' }))).toBe('missing_column');
    expect(kindOf(() => Request.deleteOf(pairs, { a: null, b: 2 }))).toBe('wrong_type'); // a non-nullable column
    expect(kindOf(() => Request.deleteOf(SQLSchema('untyped', 'update', ['id', 'x']), { id: null }))).toBe('missing_column'); // a null key names no row
    expect(kindOf(() => Request.deleteOf(pairs, { a: 'x', b: 'two' }))).toBe('wrong_type');
    expect(kindOf(() => Request.deleteOf(pairs, { a: 'x', b: 2 ** 31 }))).toBe('out_of_range');
    expect(kindOf(() => new Request(pairs, 'delete').setString('note', 'n'))).toBe('unknown_column');
  });

  it('is refused with a clear error on a schema without keys, and on a non-SQL schema', () => {
    expect(() => Request.deleteOf(log, { line: 'x' })).toThrow(ValidationError);
    expect(() => Request.deleteOf(log, { line: 'x' })).toThrow(/cannot take deletes: it has no keys/);
    expect(() => Request.deleteOf(cache, { key: 'k' })).toThrow(/not a SQL table schema/);
    expect(kindOf(() => new Request(log, 'delete'))).toBe('invalid_row');
  });

  it('on a versioned schema, needs the tombstones choice made', () => {
    const unchosen = SQLSchema('vu', 'update', { id: 'int64', v: 'int64?' }, { versionColumn: 'v', versionSource: 'row' });
    expect(() => Request.deleteOf(unchosen, { id: 1n, v: 1n })).toThrow(/no tombstones choice/);
    const off = SQLSchema('vo', 'update', { id: 'int64', v: 'int64?' }, { versionColumn: 'v', versionSource: 'row', tombstones: false });
    expect(Request.deleteOf(off, { id: 1n, v: 1n }).isDelete).toBe(true);
    expect(users.tombstones).toEqual({ table: 'users_bf_tombstones', retentionMs: 7 * 24 * 3600 * 1000 });
    expect(() => SQLSchema('nv', 'update', { id: 'int64' }, { tombstones: true })).toThrow(/tombstones need a versionColumn/);
    expect(() => SQLSchema('nv', 'update', { id: 'int64', v: 'int64?' }, { versionColumn: 'v', versionSource: 'row', tombstones: true, tombstoneRetentionMs: 0 })).toThrow(/tombstoneRetentionMs/);
  });
});

describe('delete codec', () => {
  it('encodes a delete as its key plus the $delete marker, and decodes it as a delete', () => {
    const encoded = encodeRequest(Request.deleteOf(users, { id: 42n, v: 3n }));
    expect(encoded).toEqual({ $delete: true, id: { $int64: '42' }, v: { $int64: '3' } });
    const [decoded] = decodePayload(users, schemaJobData('users', [encoded]));
    expect(decoded?.isDelete).toBe(true);
    expect(decoded?.toRow()).toEqual({ id: 42n, v: 3n });
    // The DLQ's edit path reads the same marker.
    expect(decodeRow(users, encoded).isDelete).toBe(true);
  });

  it('round-trips any mix of upserts and deletes, keeping each one\'s operation', () => {
    const op = fc.record({ del: fc.boolean(), a: fc.string({ minLength: 1, maxLength: 8 }), b: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), note: fc.string() });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 20 }), (ops) => {
        const requests = ops.map((o) => (o.del ? Request.deleteOf(pairs, { a: o.a, b: o.b }) : Request.fromRow(pairs, { a: o.a, b: o.b, note: o.note })));
        const rows = requests.map(encodeRequest);
        const decoded = decodePayload(pairs, JSON.parse(JSON.stringify(schemaJobData('pairs', rows))));
        expect(decoded.map((r) => r.operation)).toEqual(requests.map((r) => r.operation));
        expect(decoded.map((r) => r.toRow())).toEqual(requests.map((r) => r.toRow()));
        // A delete goes to the partition of its key's upserts.
        rows.forEach((row, i) => expect(partitionOf(pairs.keys, row, 8)).toBe(partitionOf(pairs.keys, encodeRequest(Request.fromRow(pairs, { a: ops[i]!.a, b: ops[i]!.b, note: 'x' })), 8)));
      }),
    );
  });

  it('decides per row: a malformed marker or a delete without its key fails that row alone', () => {
    const rows = decodePayloadRows(pairs, schemaJobData('pairs', [{ $delete: 'yes', a: 'x', b: 1 }, { $delete: true, a: 'x' }, { $delete: true, a: 'x', b: 1 }]));
    expect(rows[0]).toBeInstanceOf(DecodeError);
    expect(rows[1]).toBeInstanceOf(DecodeError);
    expect((rows[2] as Request).isDelete).toBe(true);
  });
});
