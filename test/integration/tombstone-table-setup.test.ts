// The delete tombstone table in the start-up table setup, on the three SQL sinks: `createTable`
// creates it (after the data table, copied from its key and version columns), the schema check
// notes it when missing (the first delete batch would create it) and fails, naming it, when it
// exists but cannot serve the deletes. Then a delete batch uses the created table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Request, SQLSchema } from '../../src/index.js';
import { checkSchema } from '../../src/drivers/check-schema.js';
import { SchemaDriftError } from '../../src/errors/schema-drift-error.js';
import type { SinkConfig } from '../../src/drivers/sink-definition.js';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { openSink } from '../../src/drivers/open-sink.js';
import { uniqueTable, MYSQL_URL, PG_URL } from './sql-dialects.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bf-tomb-setup-'));
const SQLITE_FILE = path.join(dir, 'setup.db');
const SINKS: Readonly<Record<string, SinkConfig>> = {
  postgres: { type: 'postgres', url: PG_URL },
  mysql: { type: 'mysql', url: MYSQL_URL },
  sqlite: { type: 'sqlite', filename: SQLITE_FILE },
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const schemaOf = (table: string) => SQLSchema(table, 'update', { id: 'int64', name: 'string', v: 'int64' }, { keys: ['id'], versionColumn: 'v', versionSource: 'row', tombstones: true });

/** Raw SQL on the sink's database: run a statement, or read one number. */
function raw(type: string): { exec(sql: string): Promise<void>; count(table: string): Promise<number>; quote(name: string): string } {
  if (type === 'postgres') {
    const run = async (sql: string) => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        return (await client.query(sql)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    };
    return { exec: async (sql) => void (await run(sql)), count: async (t) => Number((await run(`SELECT count(*) AS n FROM "${t}"`))[0]?.n), quote: (n) => `"${n}"` };
  }
  if (type === 'mysql') {
    const run = async (sql: string) => {
      const connection = await mysql.createConnection(MYSQL_URL);
      try {
        return (await connection.query(sql))[0] as Record<string, unknown>[];
      } finally {
        await connection.end();
      }
    };
    return { exec: async (sql) => void (await run(sql)), count: async (t) => Number((await run(`SELECT count(*) AS n FROM \`${t}\``))[0]?.n), quote: (n) => `\`${n}\`` };
  }
  const run = <T>(use: (db: Database.Database) => T): T => {
    const db = new Database(SQLITE_FILE);
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  return {
    exec: async (sql) => run((db) => void db.exec(sql)),
    count: async (t) => run((db) => Number((db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n)),
    quote: (n) => `"${n}"`,
  };
}

describe.each(['postgres', 'mysql', 'sqlite'])('tombstone table setup: %s', (type) => {
  const sink = SINKS[type] as SinkConfig;
  const db = raw(type);
  const tables: string[] = [];
  const use = (label: string) => {
    const t = uniqueTable(`bf_tsu_${label}`);
    tables.push(t, `${t}_bf_tombstones`);
    return t;
  };

  afterAll(async () => {
    for (const t of tables) await db.exec(`DROP TABLE IF EXISTS ${db.quote(t)}`).catch(() => {});
  });

  it('createTable creates the tombstone table after the data table; the check then passes without a note; a delete batch uses it', async () => {
    const table = use('create');
    const schema = schemaOf(table);
    const ddl: string[] = [];
    const diffs = await checkSchema(sink, [schema], { createTable: true, onStatement: (sql) => ddl.push(sql) });
    expect(diffs.map((d) => ({ ok: d.ok, notes: d.notes }))).toEqual([{ ok: true, notes: [] }]);
    expect(ddl.length).toBeGreaterThanOrEqual(2);
    expect(ddl[0]).toContain('CREATE TABLE IF NOT EXISTS');
    expect(ddl.slice(1).join(' ')).toContain(`${table}_bf_tombstones`);
    // Idempotent: a second start runs the same statements without error.
    await checkSchema(sink, [schema], { createTable: true });
    // The table serves deletes: a delete, then a late older write, stays deleted.
    const executor = await openSink({ name: 'main', baseDir: dir }, sink);
    try {
      await executor.execute(schema, [Request.fromRow(schema, { id: 1n, name: 'first', v: 1n })]);
      await executor.execute(schema, [Request.deleteOf(schema, { id: 1n, v: 5n })]);
      await executor.execute(schema, [Request.fromRow(schema, { id: 1n, name: 'late', v: 3n })]);
    } finally {
      await executor.close();
    }
    expect(await db.count(table)).toBe(0);
    expect(await db.count(`${table}_bf_tombstones`)).toBe(1);
  });

  it('without createTable, a missing tombstone table is a note saying who creates it; a tombstone table without its columns fails the check naming them', async () => {
    const table = use('check');
    const schema = schemaOf(table);
    // The data table only.
    await checkSchema(sink, [SQLSchema(table, 'update', { id: 'int64', name: 'string', v: 'int64' }, { keys: ['id'] })], { createTable: true });
    const [diff] = await checkSchema(sink, [schema]);
    expect(diff?.ok).toBe(true);
    expect(diff?.notes).toEqual([
      { kind: 'tombstone-table', message: `tombstone table ${table}_bf_tombstones is missing: the first delete batch creates it (the database user needs CREATE), or create it at start with createTable: true` },
    ]);
    const q = db.quote;
    await db.exec(`CREATE TABLE ${q(`${table}_bf_tombstones`)} (${q('id')} bigint NOT NULL, ${q('v')} bigint)`);
    const drift = await checkSchema(sink, [schema]).catch((e: unknown) => e);
    expect(drift).toBeInstanceOf(SchemaDriftError);
    expect((drift as Error).message).toContain(`tombstone table ${table}_bf_tombstones: column bf_deleted_ms is missing`);
    expect((drift as Error).message).toContain(`tombstone table ${table}_bf_tombstones: no primary key or unique index on exactly the keys (id)`);
  });
});
