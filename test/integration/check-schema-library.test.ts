import { describe, expect, it } from 'vitest';
import { SQLSchema } from '../../src/core/schema.js';
import { checkSchema } from '../../src/drivers/check-schema.js';
import { ConfigError } from '../../src/errors/config-error.js';
import { SchemaDriftError } from '../../src/errors/schema-drift-error.js';
import { SinkError } from '../../src/errors/sink-error.js';
import { freePort } from '../helpers/cli.js';
import { useCleanups } from '../helpers/cleanups.js';
import { PG_URL, pgQuery, uniqueTable } from '../helpers/pg.js';

const defer = useCleanups();

describe('checkSchema(): table setup for library users', () => {
  it('createTable creates the missing table, and a second call finds it matching', async () => {
    const table = uniqueTable('lib_create');
    defer(() => pgQuery(`DROP TABLE IF EXISTS ${table}`));
    const users = SQLSchema(table, 'update', { id: 'int64', name: 'string', nickname: 'string?' });
    const ddl: string[] = [];
    const diffs = await checkSchema({ type: 'postgres', url: PG_URL }, [users], { createTable: true, onStatement: (sql) => ddl.push(sql) });
    expect(ddl).toEqual([`CREATE TABLE IF NOT EXISTS "${table}" ("id" bigint NOT NULL, "name" text NOT NULL, "nickname" text, PRIMARY KEY ("id"))`]);
    expect(diffs.map((d) => d.ok)).toEqual([true]);
    const columns = await pgQuery<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [table]);
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'name', 'nickname']);
    expect((await checkSchema({ type: 'postgres', url: PG_URL }, [users])).map((d) => d.ok)).toEqual([true]);
  });

  it('a table that differs fails with SchemaDriftError naming the column; a missing one without createTable too', async () => {
    const table = uniqueTable('lib_drift');
    defer(() => pgQuery(`DROP TABLE IF EXISTS ${table}`));
    const users = SQLSchema(table, 'update', { id: 'int64', name: 'string' });
    const missing = await checkSchema({ type: 'postgres', url: PG_URL }, [users]).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SchemaDriftError);
    await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, title text)`);
    const drift = await checkSchema({ type: 'postgres', url: PG_URL }, [users], { createTable: true }).catch((e: unknown) => e);
    expect(drift).toBeInstanceOf(SchemaDriftError);
    expect((drift as Error).message).toContain('name');
  });

  it('a bad sink entry is a ConfigError naming the field; an unreachable one a SinkError naming the sink and the code', async () => {
    const users = SQLSchema(uniqueTable('lib_bad'), 'update', { id: 'int64' });
    const badUrl = await checkSchema({ type: 'postgres', url: 'mysql://x' }, [users]).catch((e: unknown) => e);
    expect(badUrl).toBeInstanceOf(ConfigError);
    expect((badUrl as ConfigError).field).toBe('sink.url');
    const port = await freePort();
    const down = await checkSchema({ type: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/test` }, [users]).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(SinkError);
    expect(down).toMatchObject({ reason: 'connection', sinkCode: 'ECONNREFUSED' });
    expect((down as Error).message).toContain(`postgres sink postgres://postgres@127.0.0.1:${port}/test`);
  });
});
