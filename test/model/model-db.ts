// The model's tables on each dialect: DDL for a generated TableSpec, reading the rows back, the
// drivers the workers write through, and the env a worker child process needs to build the same.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MySqlDriver, PostgresDriver, SqliteDriver, type BatchExecutor } from '../../src/index.js';
import { NOTE_MAX, type Dialect, type KeyColumn, type TableSpec } from './model.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A row as read back: `ver` as decimal text (or null). */
export interface StoredRow {
  readonly k: string;
  readonly val: number;
  readonly note: string | null;
  readonly ver: string | null;
}

/** One dialect's database as the model test uses it. */
export interface ModelDb {
  readonly dialect: Dialect;
  /** What a worker child process connects to: a URL, or SQLite's file. */
  readonly url: string;
  createTable(table: string, spec: TableSpec): Promise<void>;
  /** Drops the table, its exactly-once ledger and its delete tombstones. */
  dropTable(table: string): Promise<void>;
  read(table: string, spec: TableSpec): Promise<StoredRow[]>;
  /** A driver of its own (own pool or connection), as a separate worker process would have. */
  driver(maxRowsPerStatement: number): BatchExecutor;
  close(): Promise<void>;
}

const KEY_TYPES: Readonly<Record<Dialect, Partial<Record<KeyColumn, string>>>> = {
  postgres: { text: 'text', char: 'char(4)', citext: 'citext' },
  // utf8mb4_bin pads ('a' = 'a '), so the exact key needs the NO PAD binary collation.
  mysql: { text: 'varchar(16) COLLATE utf8mb4_nopad_bin', char: 'char(4) COLLATE utf8mb4_bin', ci: 'varchar(16) COLLATE utf8mb4_general_ci' },
  sqlite: { text: 'TEXT', nocase: 'TEXT COLLATE NOCASE', rtrim: 'TEXT COLLATE RTRIM' },
};

/** `CREATE TABLE` for a case: key `k`, `val` (CHECK ≥ 0), `note` (NOT NULL, at most 8), `ver` when versioned. */
export function tableDdl(dialect: Dialect, table: string, spec: TableSpec): string {
  const q = dialect === 'mysql' ? '`' : '"';
  const keyType = KEY_TYPES[dialect][spec.keyColumn];
  if (!keyType) throw new Error(`${dialect} has no key column ${spec.keyColumn}`);
  const note = dialect === 'sqlite' ? `TEXT NOT NULL CHECK (length(note) <= ${NOTE_MAX})` : `varchar(${NOTE_MAX}) NOT NULL`;
  const int64 = dialect === 'sqlite' ? 'INTEGER' : 'bigint';
  const columns = [`k ${keyType} NOT NULL`, `val integer NOT NULL CHECK (val >= 0)`, `note ${note}`];
  // `row` versions are filled on every row; `submit` stamps are a nullable column the schema appends.
  if (spec.versioning !== 'none') columns.push(`ver ${int64}${spec.versioning === 'row' ? ' NOT NULL' : ''}`);
  if (spec.strategy !== 'insert') columns.push('PRIMARY KEY (k)');
  return `CREATE TABLE ${q}${table}${q} (${columns.join(', ')})`;
}

function selectSql(dialect: Dialect, table: string, spec: TableSpec): string {
  const q = dialect === 'mysql' ? '`' : '"';
  const cast = dialect === 'postgres' ? 'ver::text' : dialect === 'mysql' ? 'CAST(ver AS CHAR)' : 'CAST(ver AS TEXT)';
  return `SELECT k, val, note, ${spec.versioning === 'none' ? 'NULL' : cast} AS ver FROM ${q}${table}${q}`;
}

const toStored = (r: Record<string, unknown>): StoredRow => ({
  k: String(r.k),
  val: Number(r.val),
  note: r.note === null ? null : String(r.note),
  ver: r.ver === null || r.ver === undefined ? null : String(r.ver),
});

/** Opens the dialect's admin connection (and, for SQLite, a fresh database file). */
export async function openModelDb(dialect: Dialect): Promise<ModelDb> {
  if (dialect === 'postgres') return openPostgres();
  if (dialect === 'mysql') return openMySql();
  return openSqlite();
}

async function openPostgres(): Promise<ModelDb> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  let citext = false;
  return {
    dialect: 'postgres',
    url: PG_URL,
    async createTable(table, spec) {
      if (spec.keyColumn === 'citext' && !citext) {
        // Another test may create it at the same moment: losing that race is fine.
        await admin.query('CREATE EXTENSION IF NOT EXISTS citext').catch((err: { code?: string }) => {
          if (err.code !== '23505' && err.code !== '42710') throw err;
        });
        citext = true;
      }
      await admin.query(tableDdl('postgres', table, spec));
    },
    async dropTable(table) {
      await admin.query(`DROP TABLE IF EXISTS "${table}", "${table}__batchflow_ledger", "${table}_bf_tombstones"`);
    },
    read: async (table, spec) => (await admin.query(selectSql('postgres', table, spec))).rows.map(toStored),
    driver: (maxRowsPerStatement) => new PostgresDriver({ connectionString: PG_URL, maxRowsPerStatement }),
    close: () => admin.end(),
  };
}

async function openMySql(): Promise<ModelDb> {
  const admin = await mysql.createConnection(MYSQL_URL);
  return {
    dialect: 'mysql',
    url: MYSQL_URL,
    async createTable(table, spec) {
      await admin.query(tableDdl('mysql', table, spec));
    },
    async dropTable(table) {
      await admin.query(`DROP TABLE IF EXISTS \`${table}\`, \`${table}__batchflow_ledger\`, \`${table}_bf_tombstones\``);
    },
    async read(table, spec) {
      const [rows] = await admin.query(selectSql('mysql', table, spec));
      return (rows as Record<string, unknown>[]).map(toStored);
    },
    driver: (maxRowsPerStatement) => new MySqlDriver({ connectionString: MYSQL_URL, maxRowsPerStatement }),
    close: () => admin.end(),
  };
}

async function openSqlite(): Promise<ModelDb> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bf-model-'));
  const file = path.join(dir, 'model.db');
  const admin = new Database(file, { timeout: 10_000 });
  admin.pragma('journal_mode = WAL');
  return {
    dialect: 'sqlite',
    url: file,
    createTable: async (table, spec) => void admin.exec(tableDdl('sqlite', table, spec)),
    dropTable: async (table) => void admin.exec(`DROP TABLE IF EXISTS "${table}"; DROP TABLE IF EXISTS "${table}__batchflow_ledger"; DROP TABLE IF EXISTS "${table}_bf_tombstones"`),
    read: async (table, spec) => (admin.prepare(selectSql('sqlite', table, spec)).all() as Record<string, unknown>[]).map(toStored),
    // Workers share one file: a generous busy wait, so contention between them is waiting, not a failure.
    driver: (maxRowsPerStatement) => new SqliteDriver({ filename: file, busyTimeoutMs: 10_000, maxRowsPerStatement }),
    async close() {
      admin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
