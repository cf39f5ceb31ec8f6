// The SQL text each dialect's statement builder produces: quoting, conflict clauses, chunk sizes.
import { describe, expect, it } from 'vitest';
import { SQLSchema, type ConflictStrategy } from '../../src/index.js';
import {
  buildMySqlExistingKeys,
  buildMySqlInsert,
  buildMySqlKeyedUpdate,
  buildMySqlPlainInsert,
  MYSQL_MAX_PARAMETERS,
  MYSQL_UNIQUE_INDEXES_SQL,
} from '../../src/drivers/mysql/statement-builder.js';
import { hasOtherUniqueIndex, readUniqueIndexes } from '../../src/drivers/mysql/unique-indexes.js';
import {
  buildPostgresBegin,
  buildPostgresInsert,
  elementTypeForCatalogType,
  POSTGRES_ELEMENT_TYPES,
} from '../../src/drivers/postgres/statement-builder.js';
import { chunkRanges, chunkRangesByBytes, preparedChunkRanges, rowsPerStatement } from '../../src/drivers/sql/chunk.js';
import { quoteIdentifier, quoteTableName } from '../../src/drivers/sql/quote.js';
import { lastRowPerKey } from '../../src/drivers/sql/row-key.js';
import { buildSqliteInsert, SQLITE_MAX_PARAMETERS } from '../../src/drivers/sqlite/statement-builder.js';

const users = (conflict: ConflictStrategy) => SQLSchema('app.users', conflict, ['id', 'order', 'name']);
const pgTypes = ['int8', 'text', 'text'];

describe('identifier quoting', () => {
  it('quotes per dialect, each part of a qualified name separately, doubling embedded quotes', () => {
    expect(quoteIdentifier('order', '"')).toBe('"order"');
    expect(quoteIdentifier('order', '`')).toBe('`order`');
    expect(quoteTableName('analytics.events', '"')).toBe('"analytics"."events"');
    expect(quoteTableName('analytics.events', '`')).toBe('`analytics`.`events`');
    // Unreachable through a validated schema, but quoting alone must still hold.
    expect(quoteIdentifier('a"b', '"')).toBe('"a""b"');
    expect(quoteIdentifier('a`b', '`')).toBe('`a``b`');
  });
});

describe('PostgreSQL statements', () => {
  it('binds one array per column through unnest', () => {
    expect(buildPostgresInsert(users('ignore'), pgTypes)).toBe(
      'INSERT INTO "app"."users" ("id", "order", "name") SELECT * FROM unnest($1::int8[], $2::text[], $3::text[]) ON CONFLICT ("id") DO NOTHING',
    );
  });

  it('update and replace both upsert every non-key column from EXCLUDED', () => {
    const upsert = 'ON CONFLICT ("id") DO UPDATE SET "order" = EXCLUDED."order", "name" = EXCLUDED."name"';
    expect(buildPostgresInsert(users('update'), pgTypes)).toContain(upsert);
    expect(buildPostgresInsert(users('replace'), pgTypes)).toContain(upsert);
  });

  it('a composite key names every key column; all-key tables fall back to DO NOTHING', () => {
    const pair = SQLSchema('pairs', 'update', ['a', 'b', 'v'], { keys: ['a', 'b'] });
    expect(buildPostgresInsert(pair, pgTypes)).toMatch(/ON CONFLICT \("a", "b"\) DO UPDATE SET "v" = EXCLUDED\."v"$/);
    const allKeys = SQLSchema('pairs', 'update', ['a', 'b'], { keys: ['a', 'b'] });
    expect(buildPostgresInsert(allKeys, ['int4', 'int4'])).toMatch(/ON CONFLICT \("a", "b"\) DO NOTHING$/);
  });

  it('maps declared types to array element types, and never casts through a length-limited type', () => {
    expect(POSTGRES_ELEMENT_TYPES).toEqual({ int32: 'int4', int64: 'int8', float64: 'float8', string: 'text', bool: 'bool', timestamp: 'timestamptz', bytes: 'bytea' });
    expect(elementTypeForCatalogType('character')).toBe('bpchar');
    expect(elementTypeForCatalogType('bit')).toBe('bit varying');
    expect(elementTypeForCatalogType('character varying')).toBe('character varying');
  });

  it('sets timeouts per transaction only when asked', () => {
    expect(buildPostgresBegin(undefined, undefined)).toBe('BEGIN');
    expect(buildPostgresBegin(250, 100)).toBe('BEGIN; SET LOCAL statement_timeout = 250; SET LOCAL lock_timeout = 100');
  });
});

describe('MySQL statements', () => {
  it('ignore is a no-op ON DUPLICATE KEY UPDATE, never INSERT IGNORE', () => {
    expect(buildMySqlInsert(users('ignore'))).toBe('INSERT INTO `app`.`users` (`id`, `order`, `name`) VALUES ? ON DUPLICATE KEY UPDATE `id` = `id`');
  });

  it('update and replace set every non-key column from VALUES(), never REPLACE INTO', () => {
    const upsert = 'INSERT INTO `app`.`users` (`id`, `order`, `name`) VALUES ? ON DUPLICATE KEY UPDATE `order` = VALUES(`order`), `name` = VALUES(`name`)';
    expect(buildMySqlInsert(users('update'))).toBe(upsert);
    // REPLACE INTO deletes every row matching on any unique index, and cascades to their children.
    expect(buildMySqlInsert(users('replace'))).toBe(upsert);
    const allKeys = SQLSchema('pairs', 'update', ['a', 'b'], { keys: ['a', 'b'] });
    expect(buildMySqlInsert(allKeys)).toMatch(/ON DUPLICATE KEY UPDATE `a` = `a`$/);
  });
});

describe('MySQL key-only merge (a table with another unique index)', () => {
  it('inserts new keys with a plain INSERT, so any duplicate is errno 1062', () => {
    expect(buildMySqlPlainInsert(users('update'))).toBe('INSERT INTO `app`.`users` (`id`, `order`, `name`) VALUES ?');
  });

  it('finds existing keys by row position, compared by the server, and locks them', () => {
    expect(buildMySqlExistingKeys(users('update'), 2)).toBe(
      'SELECT v.i FROM (SELECT ? AS i, ? AS k0 UNION ALL SELECT ?, ?) AS v JOIN `app`.`users` AS t ON t.`id` = v.k0 FOR UPDATE',
    );
    const pair = SQLSchema('pairs', 'ignore', ['a', 'b', 'v'], { keys: ['b', 'a'] });
    expect(buildMySqlExistingKeys(pair, 1)).toBe('SELECT v.i FROM (SELECT ? AS i, ? AS k0, ? AS k1) AS v JOIN `pairs` AS t ON t.`b` = v.k0 AND t.`a` = v.k1 FOR UPDATE');
  });

  it('updates existing rows through a join on the keys only', () => {
    expect(buildMySqlKeyedUpdate(users('update'), 2)).toBe(
      'UPDATE `app`.`users` AS t JOIN (SELECT ? AS c0, ? AS c1, ? AS c2 UNION ALL SELECT ?, ?, ?) AS v ON t.`id` = v.c0 SET t.`order` = v.c1, t.`name` = v.c2',
    );
    const pair = SQLSchema('pairs', 'replace', ['v', 'a', 'b'], { keys: ['a', 'b'] });
    expect(buildMySqlKeyedUpdate(pair, 1)).toBe('UPDATE `pairs` AS t JOIN (SELECT ? AS c0, ? AS c1, ? AS c2) AS v ON t.`a` = v.c1 AND t.`b` = v.c2 SET t.`v` = v.c0');
    expect(buildMySqlKeyedUpdate(SQLSchema('pairs', 'update', ['a', 'b'], { keys: ['a', 'b'] }), 3)).toBeUndefined();
  });

  it('reads unique indexes from information_schema, in the current or the named database', async () => {
    const calls: unknown[] = [];
    const rows = [
      { name: 'PRIMARY', column: 'id' },
      { name: 'email', column: 'email' },
      { name: 'pair', column: 'a' },
      { name: 'pair', column: 'b' },
    ];
    const query = async (sql: string, params?: unknown) => {
      calls.push([sql, params]);
      return [rows, []];
    };
    const indexes = await readUniqueIndexes(query, 'users');
    expect(calls).toEqual([[MYSQL_UNIQUE_INDEXES_SQL, [null, 'users']]]);
    expect([...indexes]).toEqual([['PRIMARY', ['id']], ['email', ['email']], ['pair', ['a', 'b']]]);
    await readUniqueIndexes(query, 'app.users');
    expect(calls[1]).toEqual([MYSQL_UNIQUE_INDEXES_SQL, ['app', 'users']]);
  });

  it('takes the fast path only when the one unique index is exactly the keys', () => {
    const id = SQLSchema('t', 'update', ['id', 'email']);
    const pair = SQLSchema('t', 'update', ['a', 'b', 'v'], { keys: ['a', 'b'] });
    expect(hasOtherUniqueIndex(new Map([['PRIMARY', ['ID']]]), id)).toBe(false);
    expect(hasOtherUniqueIndex(new Map(), id)).toBe(false);
    expect(hasOtherUniqueIndex(new Map([['PRIMARY', ['id']], ['email', ['email']]]), id)).toBe(true);
    expect(hasOtherUniqueIndex(new Map([['PRIMARY', ['id']], ['id_email', ['id', 'email']]]), id)).toBe(true);
    expect(hasOtherUniqueIndex(new Map([['PRIMARY', ['b', 'a']]]), pair)).toBe(false);
    expect(hasOtherUniqueIndex(new Map([['PRIMARY', ['a']]]), pair)).toBe(true);
  });
});

describe('SQLite statements', () => {
  it('one placeholder group per row', () => {
    expect(buildSqliteInsert(users('ignore'), 2)).toBe(
      'INSERT INTO "app"."users" ("id", "order", "name") VALUES (?, ?, ?), (?, ?, ?) ON CONFLICT ("id") DO NOTHING',
    );
  });

  it('update and replace are both an upsert on the keys from excluded, never INSERT OR REPLACE', () => {
    const upsert =
      'INSERT INTO "app"."users" ("id", "order", "name") VALUES (?, ?, ?) ON CONFLICT ("id") DO UPDATE SET "order" = excluded."order", "name" = excluded."name"';
    expect(buildSqliteInsert(users('update'), 1)).toBe(upsert);
    // INSERT OR REPLACE deletes every row matching on any unique index, and cascades to their children.
    expect(buildSqliteInsert(users('replace'), 1)).toBe(upsert);
    const allKeys = SQLSchema('pairs', 'replace', ['a', 'b'], { keys: ['a', 'b'] });
    expect(buildSqliteInsert(allKeys, 1)).toMatch(/ON CONFLICT \("a", "b"\) DO NOTHING$/);
  });
});

describe('chunking', () => {
  it('keeps every statement under the bound-parameter limit', () => {
    expect(rowsPerStatement(5, SQLITE_MAX_PARAMETERS, 100_000)).toBe(6553);
    expect(rowsPerStatement(5, MYSQL_MAX_PARAMETERS, 100_000)).toBe(13_107);
    expect(rowsPerStatement(5, SQLITE_MAX_PARAMETERS, 500)).toBe(500);
    expect(rowsPerStatement(40_000, SQLITE_MAX_PARAMETERS, 500)).toBe(1);
  });

  it('covers every row exactly once', () => {
    expect(chunkRanges(5, 2)).toEqual([{ start: 0, end: 2 }, { start: 2, end: 4 }, { start: 4, end: 5 }]);
    expect(chunkRanges(0, 2)).toEqual([]);
  });

  it('splits the tail into powers of two so few statement sizes are ever prepared', () => {
    const ranges = preparedChunkRanges(1037, 500);
    expect(ranges.map((r) => r.end - r.start)).toEqual([500, 500, 32, 4, 1]);
    expect(ranges.at(-1)?.end).toBe(1037);
    const sizes = new Set<number>();
    for (let n = 1; n <= 1500; n++) for (const r of preparedChunkRanges(n, 500)) sizes.add(r.end - r.start);
    expect(sizes.size).toBeLessThanOrEqual(10);
  });

  it('bounds the estimated statement size when values are inlined', () => {
    const rows = Array.from({ length: 10 }, (_, i) => [i, 'x'.repeat(1000)]);
    const ranges = chunkRangesByBytes(rows, 1000, 5_000);
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges.at(-1)?.end).toBe(10);
    expect(chunkRangesByBytes([[new Uint8Array(10_000)]], 10, 100)).toEqual([{ start: 0, end: 1 }]);
  });
});

describe('duplicate keys in one batch', () => {
  it('keeps the last row per key, in order; rows with a null key are all kept', () => {
    const rows = [[1n, 'a'], [2n, 'b'], [1, 'c'], [null, 'd'], [null, 'e']] as const;
    expect(lastRowPerKey(rows, [0])).toEqual([[2n, 'b'], [1, 'c'], [null, 'd'], [null, 'e']]);
    const composite = [[1, 'x', 1], [1, 'y', 2], [1, 'x', 3]] as const;
    expect(lastRowPerKey(composite, [0, 1])).toEqual([[1, 'y', 2], [1, 'x', 3]]);
  });
});
