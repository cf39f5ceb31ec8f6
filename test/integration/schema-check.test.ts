import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSinkSchemas } from '../../src/drivers/check-schemas.js';
import type { SinkConfig } from '../../src/drivers/sink-definition.js';
import { SQLSchema } from '../../src/index.js';
import { PG_URL, pgQuery, uniqueTable } from '../helpers/pg.js';

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const dir = mkdtempSync(join(tmpdir(), 'bf-check-'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** One dialect: its sink entry, a way to run DDL, and its spelling of the test tables' types. */
interface Dialect {
  name: string;
  sink: SinkConfig;
  exec(sql: string): Promise<unknown>;
  types: { int64: string; string: string; timestamp: string; int32: string };
}

const sqliteFile = join(dir, 'check.sqlite');
const dialects: Dialect[] = [
  { name: 'PostgreSQL', sink: { type: 'postgres', url: PG_URL }, exec: (sql) => pgQuery(sql), types: { int64: 'bigint', string: 'text', timestamp: 'timestamptz', int32: 'integer' } },
  {
    name: 'MariaDB',
    sink: { type: 'mysql', url: MYSQL_URL },
    exec: async (sql) => {
      const connection = await mysql.createConnection({ uri: MYSQL_URL });
      try {
        return await connection.query(sql);
      } finally {
        await connection.end();
      }
    },
    types: { int64: 'BIGINT', string: 'VARCHAR(100)', timestamp: 'DATETIME(3)', int32: 'INT' },
  },
  {
    name: 'SQLite',
    sink: { type: 'sqlite', filename: sqliteFile },
    exec: async (sql) => {
      const db = new Database(sqliteFile);
      try {
        return db.exec(sql);
      } finally {
        db.close();
      }
    },
    types: { int64: 'INTEGER', string: 'TEXT', timestamp: 'TEXT', int32: 'REAL' },
  },
];

const schemaFor = (table: string) => SQLSchema(table, 'update', { id: 'int64', kind: 'string', at: 'timestamp', note: 'string?' });

describe.each(dialects)('schema check on $name', ({ sink, exec, types }) => {
  /** A fresh table from column definitions (plus its constraints), dropped after the file. */
  async function makeTable(columns: string): Promise<string> {
    const table = uniqueTable('chk');
    await exec(`CREATE TABLE ${table} (${columns})`);
    cleanups.push(() => exec(`DROP TABLE IF EXISTS ${table}`));
    return table;
  }
  const check = (table: string, evolve: 'none' | 'add-columns' = 'none', statements: string[] = []) =>
    checkSinkSchemas(sink, [{ schema: schemaFor(table), evolve }], { onStatement: (sql) => statements.push(sql) });

  it('a matching table passes, another unique index is a note', async () => {
    const table = await makeTable(`id ${types.int64} NOT NULL PRIMARY KEY, kind ${types.string} NOT NULL UNIQUE, at ${types.timestamp} NOT NULL, note ${types.string}`);
    const [diff] = await check(table);
    expect(diff).toMatchObject({ schema: table, table, ok: true, problems: [] });
    expect(diff?.notes.map((n) => n.kind)).toEqual(['other-unique-index']);
  });

  it('a missing table is drift', async () => {
    const [diff] = await check(uniqueTable('absent'));
    expect(diff?.problems.map((p) => p.kind)).toEqual(['missing-table']);
  });

  it('a missing NOT NULL column is drift that evolve cannot fix', async () => {
    const table = await makeTable(`id ${types.int64} NOT NULL PRIMARY KEY, at ${types.timestamp} NOT NULL, note ${types.string}`);
    const statements: string[] = [];
    const [diff] = await check(table, 'add-columns', statements);
    expect(statements).toEqual([]);
    expect(diff?.ok).toBe(false);
    expect(diff?.problems).toMatchObject([{ kind: 'missing-column', column: 'kind' }]);
    expect(diff?.problems[0]?.message).toContain("evolve: 'add-columns' adds only nullable columns");
  });

  it('a wrong type is drift', async () => {
    const table = await makeTable(`id ${types.int64} NOT NULL PRIMARY KEY, kind ${types.int32} NOT NULL, at ${types.timestamp} NOT NULL, note ${types.string}`);
    const [diff] = await check(table);
    expect(diff?.problems).toMatchObject([{ kind: 'type-mismatch', column: 'kind' }]);
    expect(diff?.problems[0]?.message).toMatch(/^column kind: declared string, table has /);
  });

  it('a nullable column declared on a NOT NULL table column is drift', async () => {
    const table = await makeTable(`id ${types.int64} NOT NULL PRIMARY KEY, kind ${types.string} NOT NULL, at ${types.timestamp} NOT NULL, note ${types.string} NOT NULL`);
    const [diff] = await check(table);
    expect(diff?.problems).toMatchObject([{ kind: 'nullable-mismatch', column: 'note' }]);
  });

  it('keys that are not unique are drift', async () => {
    const table = await makeTable(`id ${types.int64} NOT NULL, kind ${types.string} NOT NULL, at ${types.timestamp} NOT NULL, note ${types.string}`);
    const [diff] = await check(table);
    expect(diff?.problems).toMatchObject([{ kind: 'keys-not-unique' }]);
    expect(diff?.problems[0]?.message).toContain('keys (id) are neither the primary key nor a unique index (the table has none)');
  });

  it("evolve: 'add-columns' adds a missing nullable column, logs the statement, and the check then passes", async () => {
    const table = await makeTable(`id ${types.int64} NOT NULL PRIMARY KEY, kind ${types.string} NOT NULL, at ${types.timestamp} NOT NULL`);
    const [before] = await check(table);
    expect(before?.problems).toMatchObject([{ kind: 'missing-column', column: 'note', addable: true }]);
    const statements: string[] = [];
    const [evolved] = await check(table, 'add-columns', statements);
    const q = sink.type === 'mysql' ? '`' : '"';
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(new RegExp(`^ALTER TABLE ${q}${table}${q} ADD COLUMN ${q}note${q} (text|TEXT)$`));
    expect(evolved).toMatchObject({ ok: true, problems: [] });
    expect(evolved?.notes.map((n) => n.kind)).toEqual(['column-added']);
    const [after] = await check(table);
    expect(after).toMatchObject({ ok: true, problems: [], notes: [] });
  });
});
