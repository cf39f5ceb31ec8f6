import { describe, expect, it } from 'vitest';
import { Request, SQLSchema, Schema, ValidationError, SchemaDefinitionError, DecodeError } from '../../src/index.js';
import { decodePayload, encodeRequest } from '../../src/core/codec.js';
import { schemaJobData } from '../../src/queue/job-data.js';

const users = SQLSchema('users', 'update', { id: 'int64', name: 'string', created_at: 'timestamp', nickname: 'string?', score: 'float64', avatar: 'bytes?', active: 'bool', n: 'int32' });

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.kind;
    throw err;
  }
  return undefined;
}

describe('schemas', () => {
  it('defaults keys to the first column and freezes the definition', () => {
    expect(users.keys).toEqual(['id']);
    expect(users.name).toBe('users');
    expect(Object.isFrozen(users)).toBe(true);
  });

  it('rejects identifier injection in table and column names', () => {
    expect(() => SQLSchema('users', 'ignore', ['id; DROP TABLE x'])).toThrow(SchemaDefinitionError);
    expect(() => SQLSchema('users"--', 'ignore', ['id'])).toThrow(/invalid table name/);
    expect(() => Schema('cache', ['cmd', 'key`'])).toThrow(/invalid column/);
    expect(() => SQLSchema('t', 'upsert' as never, ['id'])).toThrow(/conflict must be/);
    expect(() => SQLSchema('t', 'ignore', ['id'], { keys: ['nope'] })).toThrow(/key column "nope"/);
  });
});

describe('Request', () => {
  it('names schema and column in every rejection', () => {
    const r = new Request(users);
    expect(kindOf(() => r.set('missing', 1))).toBe('unknown_column');
    expect(kindOf(() => r.setString('id', 'x'))).toBe('wrong_type');
    expect(kindOf(() => r.setInt32('n', 2 ** 31))).toBe('out_of_range');
    expect(kindOf(() => r.setFloat64('score', Number.NaN))).toBe('out_of_range');
    expect(kindOf(() => r.setInt64('id', 2n ** 63n))).toBe('out_of_range');
    expect(kindOf(() => r.setInt64('id', 2 ** 53))).toBe('out_of_range');
    expect(kindOf(() => r.setNull('name'))).toBe('wrong_type');
    expect(() => r.set('missing', 1)).toThrow(/schema "users" has no column "missing"/);
  });

  it('reports a missing column, and fills unset nullable columns with null', () => {
    const r = new Request(users).setInt64('id', 1n).setString('name', 'a');
    expect(kindOf(() => r.values)).toBe('missing_column');
    r.setTime('created_at', new Date(0)).setFloat64('score', 1.5).setBool('active', true).setInt32('n', 7);
    expect(r.values).toHaveLength(8);
    expect(r.isNull('nickname')).toBe(true);
    expect(r.getInt64('id')).toBe(1n);
    expect(r.getInt32('n')).toBe(7);
  });
});

describe('payload codec', () => {
  it('round-trips bigint beyond 2^53, ms dates, bytes, null and unicode through JSON', () => {
    const request = Request.fromRow(users, {
      id: 2n ** 63n - 1n,
      name: 'Zoë 🚀 名前',
      created_at: new Date('2024-02-29T23:59:59.123Z'),
      nickname: null,
      score: -0.125,
      avatar: new Uint8Array([0, 255, 10]),
      active: false,
      n: -(2 ** 31),
    });
    // Built the way the producer builds a job's data: { v, s, rows }.
    const json = JSON.parse(JSON.stringify(schemaJobData(users.name, [encodeRequest(request)])));
    expect(json.s).toBe(users.name);
    const [decoded] = decodePayload(users, json);
    expect(decoded?.toRow()).toEqual(request.toRow());
    expect(decoded?.getTime('created_at').getTime()).toBe(Date.parse('2024-02-29T23:59:59.123Z'));
  });

  it('rejects unknown versions and malformed values', () => {
    expect(() => decodePayload(users, { v: 99, rows: [{}] })).toThrow(DecodeError);
    expect(() => decodePayload(users, 'garbage')).toThrow(/not an object/);
    expect(() => decodePayload(users, { v: 1, rows: [{ id: { $int64: 'x' } }] })).toThrow(/malformed \$int64/);
    expect(() => decodePayload(users, { v: 1, rows: [{ id: 1 }] })).toThrow(/missing/);
  });
});
