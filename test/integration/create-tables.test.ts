import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { mysqlSink } from '../../src/drivers/mysql/mysql-sink.js';
import { createSinkTables, openSink } from '../../src/drivers/open-sink.js';
import { postgresSink } from '../../src/drivers/postgres/postgres-sink.js';
import type { SinkConfig } from '../../src/drivers/sink-definition.js';
import { sqliteSink } from '../../src/drivers/sqlite/sqlite-sink.js';
import { Request, SQLSchema, type SQLSchema as SQLSchemaType } from '../../src/index.js';
import { PG_URL, pgQuery, uniqueTable } from '../helpers/pg.js';

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const dir = mkdtempSync(join(tmpdir(), 'bf-ddl-'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A schema with every column type, a string key (MySQL cannot index TEXT) and a nullable column. */
function everyType(table: string): SQLSchemaType {
  return SQLSchema(table, 'update', { code: 'string', id: 'int64', n: 'int32', x: 'float64', ok: 'bool', at: 'timestamp', raw: 'bytes', note: 'string?' }, { keys: ['code', 'id'] });
}

const row = (note: string | null) => ({ code: 'a', id: 9007199254740993n, n: -5, x: 1.5, ok: true, at: new Date('2024-05-01T12:00:00.123Z'), raw: new Uint8Array([1, 2, 255]), note });

async function roundTrip(sink: SinkConfig, schema: SQLSchemaType): Promise<void> {
  await createSinkTables({ name: 's' }, sink, [schema]);
  await createSinkTables({ name: 's' }, sink, [schema]); // IF NOT EXISTS: a restart is harmless
  const executor = await openSink({ name: 's' }, sink);
  try {
    await executor.execute(schema, [Request.fromRow(schema, row(null))]);
    await executor.execute(schema, [Request.fromRow(schema, row('second write updates'))]);
  } finally {
    await executor.close();
  }
}

describe('createTables: the worker creates tables its drivers can write', () => {
  it('renders quoted DDL with the keys as primary key', () => {
    const pg = { type: 'postgres' as const, url: PG_URL };
    expect(postgresSink.tables?.createTableSql(SQLSchema('events', 'ignore', { id: 'int64', kind: 'string', note: 'string?' }), pg)).toBe(
      'CREATE TABLE IF NOT EXISTS "events" ("id" bigint NOT NULL, "kind" text NOT NULL, "note" text, PRIMARY KEY ("id"))',
    );
    expect(mysqlSink.tables?.createTableSql(SQLSchema('app.events', 'ignore', { code: 'string', raw: 'bytes' }), { type: 'mysql', url: MYSQL_URL })).toBe(
      'CREATE TABLE IF NOT EXISTS `app`.`events` (`code` VARCHAR(255) NOT NULL, `raw` LONGBLOB NOT NULL, PRIMARY KEY (`code`))',
    );
    expect(sqliteSink.tables?.createTableSql(SQLSchema('logs', 'ignore', { id: 'int64', at: 'timestamp' }), { type: 'sqlite', filename: 'x', timestampFormat: 'epoch_ms' })).toBe(
      'CREATE TABLE IF NOT EXISTS "logs" ("id" INTEGER NOT NULL, "at" INTEGER NOT NULL, PRIMARY KEY ("id"))',
    );
  });

  it('SQLite: creates the file, its directory and the table', async () => {
    const filename = join(dir, 'nested', 'dir', 'db.sqlite');
    const schema = everyType('every_type');
    await roundTrip({ type: 'sqlite', filename }, schema);
    const db = new Database(filename, { readonly: true });
    const rows = db.prepare('SELECT code, n, x, ok, at, note FROM every_type').all();
    db.close();
    expect(rows).toEqual([{ code: 'a', n: -5, x: 1.5, ok: 1, at: '2024-05-01T12:00:00.123Z', note: 'second write updates' }]);
  });

  it('PostgreSQL', async () => {
    const table = uniqueTable('ddl');
    cleanups.push(() => pgQuery(`DROP TABLE IF EXISTS ${table}`));
    await roundTrip({ type: 'postgres', url: PG_URL }, everyType(table));
    const [found] = await pgQuery(`SELECT id::text, n, x, ok, at, raw, note FROM ${table}`);
    expect(found).toEqual({ id: '9007199254740993', n: -5, x: 1.5, ok: true, at: new Date('2024-05-01T12:00:00.123Z'), raw: Buffer.from([1, 2, 255]), note: 'second write updates' });
  });

  it('MariaDB', async () => {
    const table = uniqueTable('ddl');
    const connection = await mysql.createConnection({ uri: MYSQL_URL, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' });
    cleanups.push(async () => {
      await connection.query(`DROP TABLE IF EXISTS ${table}`);
      await connection.end();
    });
    await roundTrip({ type: 'mysql', url: MYSQL_URL }, everyType(table));
    const [found] = (await connection.query(`SELECT id, n, x, ok, at, raw, note FROM ${table}`)) as unknown as [unknown[]];
    expect(found).toEqual([{ id: '9007199254740993', n: -5, x: 1.5, ok: 1, at: new Date('2024-05-01T12:00:00.123Z'), raw: Buffer.from([1, 2, 255]), note: 'second write updates' }]);
  });
});
