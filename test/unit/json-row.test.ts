import { describe, expect, it } from 'vitest';
import { jsonToRow } from '../../producers/json-row.js';
import { Request, Schema, ValidationError } from '../../src/index.js';

const typed = Schema('t', { id: 'int64', at: 'timestamp?', blob: 'bytes?', n: 'int32?' });
const untyped = Schema('u', ['id', 'at']);

/** What a client sees: the request built from the JSON row, or the validation error's kind and column. */
function build(schema: Schema, json: unknown): Record<string, unknown> | { kind: string; column: string | undefined } {
  try {
    return Request.fromRow(schema, jsonToRow(schema, json) as never).toRow();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { kind: err.kind, column: err.column };
  }
}

describe('jsonToRow: JSON values to the declared column types', () => {
  it('turns decimal strings into bigint, ISO strings into Date and base64 into bytes', () => {
    const row = build(typed, { id: '-9223372036854775808', at: '2024-02-29T23:59:59.999-01:00', blob: '3q2-7w', n: 5 });
    expect(row).toEqual({ id: -9223372036854775808n, at: new Date('2024-03-01T00:59:59.999Z'), blob: expect.any(Uint8Array), n: 5 });
    expect([...((row as { blob: Uint8Array }).blob)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(build(typed, { id: 7, at: '2024-05-01', blob: null })).toEqual({ id: 7, at: new Date('2024-05-01T00:00:00Z'), blob: null, n: null });
  });

  it('refuses what JSON cannot carry exactly or what would be read ambiguously, naming the column', () => {
    expect(build(typed, { id: 2 ** 60 })).toEqual({ kind: 'out_of_range', column: 'id' });
    expect(build(typed, { id: '9223372036854775808' })).toEqual({ kind: 'out_of_range', column: 'id' });
    expect(build(typed, { id: '12.5' })).toEqual({ kind: 'wrong_type', column: 'id' });
    expect(build(typed, { id: 1, at: '2024-05-01T12:00:00' })).toEqual({ kind: 'wrong_type', column: 'at' }); // no offset: server-local
    expect(build(typed, { id: 1, at: '2024-13-01' })).toEqual({ kind: 'out_of_range', column: 'at' });
    expect(build(typed, { id: 1, at: 1714564800000 })).toEqual({ kind: 'wrong_type', column: 'at' });
    expect(build(typed, { id: 1, blob: 'not base64!' })).toEqual({ kind: 'wrong_type', column: 'blob' });
    expect(build(typed, { id: 1, n: '5' })).toEqual({ kind: 'wrong_type', column: 'n' });
  });

  it('keeps a "__proto__" key as an unknown column instead of changing the prototype', () => {
    expect(build(typed, JSON.parse('{"id": 1, "__proto__": {"polluted": true}}'))).toEqual({ kind: 'unknown_column', column: '__proto__' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves untyped schemas and non-objects alone', () => {
    expect(build(untyped, { id: '123', at: '2024-05-01T12:00:00Z' })).toEqual({ id: '123', at: '2024-05-01T12:00:00Z' });
    expect(build(typed, [1])).toEqual({ kind: 'invalid_row', column: undefined });
  });
});
