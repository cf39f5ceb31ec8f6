// versionColumn, purely: the schema it defines, the newest-per-key collapse, the producer's stamp,
// the guarded SQL text of each dialect and the start-up schema check.
import { describe, expect, it } from 'vitest';
import { Request, Schema, SchemaDefinitionError, SQLSchema, type Value } from '../../src/index.js';
import { compareSchema } from '../../src/core/schema-diff.js';
import { buildMySqlInsert, buildMySqlKeyedUpdate } from '../../src/drivers/mysql/statement-builder.js';
import { buildPostgresInsert } from '../../src/drivers/postgres/statement-builder.js';
import { buildCreateTable } from '../../src/drivers/sql/create-table.js';
import { newestRowPerKey, newestRowsIfVersioned } from '../../src/drivers/sql/row-key.js';
import { buildSqliteInsert } from '../../src/drivers/sqlite/statement-builder.js';
import { POSTGRES_DDL_TYPES } from '../../src/drivers/postgres/postgres-sink.js';
import { POSTGRES_SCHEMA_RULES } from '../../src/drivers/postgres/introspect.js';
import { encodeSubmitted, nextSubmitVersion } from '../../src/queue/producer/submit-version.js';

const stamped = SQLSchema('app.users', 'update', { id: 'int64', name: 'string' }, { versionColumn: 'v' });
const own = SQLSchema('users', 'replace', { id: 'int64', name: 'string', rev: 'int64' }, { versionColumn: 'rev', versionSource: 'row' });

describe('a schema with versionColumn', () => {
  it("with versionSource 'submit' (the default) adds the column last, as a nullable int64", () => {
    expect(stamped.columns).toEqual(['id', 'name', 'v']);
    expect(stamped.types?.[2]).toEqual({ base: 'int64', nullable: true });
    expect(stamped.version).toEqual({ column: 'v', index: 2, source: 'submit' });
    const untyped = SQLSchema('t', 'update', ['id', 'name'], { versionColumn: 'v' });
    expect(untyped.columns).toEqual(['id', 'name', 'v']);
    // The user neither declares nor sets it: a row without it is complete, and reads null until stamped.
    expect(Request.fromRow(untyped, { id: 1, name: 'a' }).values).toEqual([1, 'a', null]);
    expect(Request.fromRow(stamped, { id: 1n, name: 'a' }).values).toEqual([1n, 'a', null]);
  });

  it("with versionSource 'row' uses a declared column, which the user must fill", () => {
    expect(own.columns).toEqual(['id', 'name', 'rev']);
    expect(own.version).toEqual({ column: 'rev', index: 2, source: 'row' });
    expect(() => Request.fromRow(own, { id: 1n, name: 'a' })).toThrow(/column "rev" is missing/);
  });

  it.each([
    ['ignore', {}, { versionColumn: 'v' }, /needs conflict 'update' or 'replace'/],
    ['update', {}, { versionColumn: 'name' }, /stamped by the producer .* do not declare it/],
    ['update', {}, { versionColumn: 'nope', versionSource: 'row' }, /is not one of its columns/],
    ['update', {}, { versionColumn: 'id', versionSource: 'row' }, /must not be a key column/],
    ['update', {}, { versionColumn: 'name', versionSource: 'row' }, /is string; it must be int32, int64, float64 or timestamp/],
    ['update', {}, { versionSource: 'row' }, /versionSource needs a versionColumn/],
    ['update', {}, { versionColumn: 'v', versionSource: 'later' }, /versionSource must be 'submit' or 'row'/],
    ['update', {}, { versionColumn: 'bad-name' }, /name "bad-name": must match/],
  ] as const)('is refused with %s and %j %j', (conflict, _, options, message) => {
    const define = () => SQLSchema('t', conflict, { id: 'int64', name: 'string' }, options as Parameters<typeof SQLSchema>[3]);
    expect(define).toThrow(SchemaDefinitionError);
    expect(define).toThrow(message);
  });

  it('accepts int32, float64 and timestamp row versions, and leaves schemas without one unchanged', () => {
    for (const type of ['int32', 'float64', 'timestamp', 'int64?'] as const) {
      expect(SQLSchema('t', 'update', { id: 'int64', at: type }, { versionColumn: 'at', versionSource: 'row' }).version?.column).toBe('at');
    }
    const plain = SQLSchema('t', 'update', ['id', 'name']);
    expect(plain.version).toBeUndefined();
    expect('version' in plain).toBe(false);
    expect(Schema('kv', ['cmd', 'key']).columns).toEqual(['cmd', 'key']);
  });
});

describe('newestRowPerKey', () => {
  const rows: (readonly Value[])[] = [
    [1, 'a', 5n],
    [2, 'b', 1n],
    [1, 'c', 3n], // older than the first row of key 1
    [2, 'd', 2n],
    [null, 'e', 1n], // a null key never conflicts: kept
    [1, 'f', 5n], // same version as the first: the later row wins the tie
  ];
  it('keeps the highest version per key, the later row on a tie, in original order', () => {
    expect(newestRowPerKey(rows, [0], 2)).toEqual([
      [2, 'd', 2n],
      [null, 'e', 1n],
      [1, 'f', 5n],
    ]);
  });
  it('orders null below every version, numbers with bigints, and dates by time', () => {
    expect(newestRowPerKey([[1, 7], [1, null]], [0], 1)).toEqual([[1, 7]]);
    expect(newestRowPerKey([[1, null], [1, 2]], [0], 1)).toEqual([[1, 2]]);
    expect(newestRowPerKey([[1, 10n], [1, 9]], [0], 1)).toEqual([[1, 10n]]);
    const early = new Date(1000);
    const late = new Date(2000);
    expect(newestRowPerKey([[1, late], [1, early]], [0], 1)).toEqual([[1, late]]);
    // Keys compare as the database would: 1, 1n and '1' are one key.
    expect(newestRowPerKey([[1, 1], ['1', 3], [1n, 2]], [0], 1)).toEqual([['1', 3]]);
  });
  it('collapses only versioned schemas', () => {
    const batch = [[1n, 'x', 2n], [1n, 'y', 1n]] as (readonly Value[])[];
    expect(newestRowsIfVersioned(stamped, batch)).toEqual([[1n, 'x', 2n]]);
    const plain = SQLSchema('t', 'update', ['id', 'name', 'v']);
    expect(newestRowsIfVersioned(plain, batch)).toBe(batch);
  });
});

describe('the submit stamp', () => {
  it('is microseconds since the epoch and strictly increasing', () => {
    const before = BigInt(Date.now()) * 1000n;
    const stamps = Array.from({ length: 10_000 }, () => nextSubmitVersion());
    const after = BigInt(Date.now() + 1) * 1000n;
    for (let i = 1; i < stamps.length; i++) expect(stamps[i] as bigint > (stamps[i - 1] as bigint)).toBe(true);
    expect(stamps[0] as bigint >= before - 1000n).toBe(true);
    // The +1 tie-break may run ahead of the clock, but by at most one microsecond per stamp.
    expect((stamps.at(-1) as bigint) <= after + 10_000n).toBe(true);
  });
  it('replaces the version column of a stamped schema only', () => {
    const row = encodeSubmitted(stamped, Request.fromRow(stamped, { id: 1n, name: 'a', v: 1n } as never));
    expect(row).toMatchObject({ id: { $int64: '1' }, name: 'a' });
    expect(BigInt((row.v as { $int64: string }).$int64) > 1_700_000_000_000_000n).toBe(true);
    expect(encodeSubmitted(own, Request.fromRow(own, { id: 1n, name: 'a', rev: 7n }))).toEqual({ id: { $int64: '1' }, name: 'a', rev: { $int64: '7' } });
  });
});

describe('guarded statements', () => {
  it('PostgreSQL: ON CONFLICT DO UPDATE … WHERE the stored version is NULL or older', () => {
    expect(buildPostgresInsert(stamped, ['int8', 'text', 'int8'])).toBe(
      'INSERT INTO "app"."users" ("id", "name", "v") SELECT * FROM unnest($1::int8[], $2::text[], $3::int8[]) ON CONFLICT ("id") DO UPDATE SET "name" = EXCLUDED."name", "v" = EXCLUDED."v" WHERE ("app"."users"."v" IS NULL OR EXCLUDED."v" > "app"."users"."v")',
    );
  });
  it('SQLite: the same WHERE on its upsert', () => {
    expect(buildSqliteInsert(own, 1)).toBe(
      'INSERT INTO "users" ("id", "name", "rev") VALUES (?, ?, ?) ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name", "rev" = excluded."rev" WHERE ("users"."rev" IS NULL OR excluded."rev" > "users"."rev")',
    );
  });
  it('MySQL: IF() per column with the version column assigned last, and WHERE on the key-only merge', () => {
    const first = SQLSchema('t', 'update', { id: 'int64', rev: 'int64', a: 'string', b: 'string' }, { versionColumn: 'rev', versionSource: 'row' });
    const newer = '(`rev` IS NULL OR VALUES(`rev`) > `rev`)';
    expect(buildMySqlInsert(first)).toBe(
      `INSERT INTO \`t\` (\`id\`, \`rev\`, \`a\`, \`b\`) VALUES ? ON DUPLICATE KEY UPDATE \`a\` = IF(${newer}, VALUES(\`a\`), \`a\`), \`b\` = IF(${newer}, VALUES(\`b\`), \`b\`), \`rev\` = IF(${newer}, VALUES(\`rev\`), \`rev\`)`,
    );
    expect(buildMySqlKeyedUpdate(first, 1)).toBe(
      'UPDATE `t` AS t JOIN (SELECT ? AS c0, ? AS c1, ? AS c2, ? AS c3) AS v ON t.`id` = v.c0 SET t.`rev` = v.c1, t.`a` = v.c2, t.`b` = v.c3 WHERE (t.`rev` IS NULL OR v.c1 > t.`rev`)',
    );
  });
  it('schemas without a version column keep their statements', () => {
    const plain = SQLSchema('t', 'update', ['id', 'name']);
    expect(buildMySqlInsert(plain)).toBe('INSERT INTO `t` (`id`, `name`) VALUES ? ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)');
    expect(buildSqliteInsert(plain, 1)).toBe('INSERT INTO "t" ("id", "name") VALUES (?, ?) ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name"');
  });
});

describe('DDL and the start-up check', () => {
  it('createTable makes a stamped version a nullable bigint', () => {
    expect(buildCreateTable(stamped, '"', POSTGRES_DDL_TYPES)).toBe(
      'CREATE TABLE IF NOT EXISTS "app"."users" ("id" bigint NOT NULL, "name" text NOT NULL, "v" bigint, PRIMARY KEY ("id"))',
    );
  });
  it('accepts a NOT NULL stamped version column, and reports a missing one as addable', () => {
    const shape = (vNullable: boolean | undefined) => ({
      table: 'app.users',
      exists: true,
      columns: [
        { name: 'id', type: 'int8', nullable: false, hasDefault: false },
        { name: 'name', type: 'text', nullable: false, hasDefault: false },
        ...(vNullable === undefined ? [] : [{ name: 'v', type: 'int8', nullable: vNullable, hasDefault: true }]),
      ],
      uniqueIndexes: [{ name: 'pk', columns: ['id'], primary: true }],
    });
    expect(compareSchema(stamped, shape(false), POSTGRES_SCHEMA_RULES).ok).toBe(true);
    const missing = compareSchema(stamped, shape(undefined), POSTGRES_SCHEMA_RULES);
    expect(missing.problems).toMatchObject([{ kind: 'missing-column', column: 'v', addable: true }]);
  });
});
