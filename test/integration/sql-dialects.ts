// Per-dialect test adapters for the SQL driver suites: create tables, read rows back in a
// comparable form, hold a row lock from a second connection, and build drivers both ways
// (driver-owned connection, and the user's own pool or database).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { BaseColumnType, BatchExecutor } from '../../src/index.js';
import { MySqlDriver, PostgresDriver, SqliteDriver } from '../../src/index.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/** A column of a test table: logical type, NOT NULL or not, optional CHECK expression. */
export interface ColumnSpec {
  readonly type: BaseColumnType;
  readonly notNull?: boolean;
}

/** A row read back: int64 as decimal string, bytes as hex, timestamps as epoch ms, bools as booleans. */
export type ReadRow = Record<string, string | number | boolean | null>;

export interface DialectAdapter {
  readonly name: 'postgres' | 'mysql' | 'sqlite';
  /** The code a unique violation carries as `sinkCode`: SQLSTATE, MySQL errno or SQLite extended result code. */
  readonly uniqueViolationCode: string;
  /** Quotes a table or column name for raw SQL in tests. */
  quote(name: string): string;
  /** Opens the adapter's own admin connection (not the driver's). */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Runs raw DDL/DML on the admin connection. */
  exec(sql: string): Promise<void>;
  createTable(table: string, columns: Record<string, ColumnSpec>, key: readonly string[], extra?: string): Promise<void>;
  dropTable(table: string): Promise<void>;
  read(table: string, columns: Record<string, ColumnSpec>, orderBy?: string): Promise<ReadRow[]>;
  count(table: string): Promise<number>;
  /** A driver that opens and owns its own connection(s). */
  ownedDriver(): BatchExecutor;
  /** A driver on a pool/database the test owns; `dispose` closes it (after checking it still works). */
  userDriver(): Promise<{ driver: BatchExecutor; stillWorks: () => Promise<boolean>; dispose: () => Promise<void> }>;
  /** A driver whose connection enforces foreign keys (SQLite needs `PRAGMA foreign_keys = ON` per connection). */
  foreignKeyDriver(): { driver: BatchExecutor; dispose: () => Promise<void> };
  /**
   * From a second connection, inserts (`id`, 'held') into `table` (id, name) without committing, so a driver writing the
   * same key waits for the lock. Resolves to a function that rolls that back.
   * Undefined for SQLite, whose busy wait is synchronous (see the error-classification suite).
   */
  readonly holdKey?: (table: string, id: number) => Promise<() => Promise<void>>;
}

const PG_TYPES: Record<BaseColumnType, string> = {
  int32: 'integer', int64: 'bigint', float64: 'double precision', string: 'text', bool: 'boolean', timestamp: 'timestamptz', bytes: 'bytea',
};
const MYSQL_TYPES: Record<BaseColumnType, string> = {
  int32: 'INT', int64: 'BIGINT', float64: 'DOUBLE', string: 'VARCHAR(200)', bool: 'BOOLEAN', timestamp: 'DATETIME(3)', bytes: 'VARBINARY(200)',
};
const SQLITE_TYPES: Record<BaseColumnType, string> = {
  int32: 'INTEGER', int64: 'INTEGER', float64: 'REAL', string: 'TEXT', bool: 'INTEGER', timestamp: 'TEXT', bytes: 'BLOB',
};

function ddl(q: string, types: Record<BaseColumnType, string>, table: string, columns: Record<string, ColumnSpec>, key: readonly string[], extra?: string): string {
  const cols = Object.entries(columns).map(([name, spec]) => `${q}${name}${q} ${types[spec.type]}${spec.notNull ? ' NOT NULL' : ''}`);
  const parts = [...cols, `PRIMARY KEY (${key.map((k) => q + k + q).join(', ')})`, ...(extra ? [extra] : [])];
  return `CREATE TABLE ${q}${table}${q} (${parts.join(', ')})`;
}

/** Brings a read value into the comparable form of {@link ReadRow}. */
function normalize(value: unknown, type: BaseColumnType): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'int64':
      return String(value);
    case 'int32':
    case 'float64':
      return Number(value);
    case 'bool':
      return typeof value === 'boolean' ? value : Number(value) !== 0;
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('hex');
    case 'timestamp':
      return value instanceof Date ? value.getTime() : Date.parse(String(value));
    case 'string':
      return String(value);
  }
}

function normalizeRows(rows: Record<string, unknown>[], columns: Record<string, ColumnSpec>): ReadRow[] {
  return rows.map((row) => Object.fromEntries(Object.entries(columns).map(([name, spec]) => [name, normalize(row[name], spec.type)])));
}

export function postgresAdapter(): DialectAdapter {
  let admin: pg.Pool;
  const query = async (sql: string, params?: unknown[]) => (await admin.query(sql, params)).rows as Record<string, unknown>[];
  return {
    name: 'postgres',
    uniqueViolationCode: '23505',
    quote: (name) => `"${name}"`,
    async open() {
      admin = new pg.Pool({ connectionString: PG_URL, max: 4 });
    },
    close: () => admin.end(),
    exec: async (sql) => void (await admin.query(sql)),
    createTable: async (table, columns, key, extra) => void (await admin.query(ddl('"', PG_TYPES, table, columns, key, extra))),
    dropTable: async (table) => void (await admin.query(`DROP TABLE IF EXISTS "${table}"`)),
    read: async (table, columns, orderBy = 'id') => normalizeRows(await query(`SELECT * FROM "${table}" ORDER BY ${orderBy}`), columns),
    count: async (table) => Number((await query(`SELECT count(*) AS n FROM "${table}"`))[0]?.n),
    ownedDriver: () => new PostgresDriver({ connectionString: PG_URL }),
    foreignKeyDriver() {
      const driver = new PostgresDriver({ connectionString: PG_URL });
      return { driver, dispose: () => driver.close() };
    },
    async userDriver() {
      const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
      return {
        driver: new PostgresDriver({ pool }),
        stillWorks: async () => (await pool.query('SELECT 1 AS one')).rows[0]?.one === 1,
        dispose: () => pool.end(),
      };
    },
    async holdKey(table, id) {
      const client = await admin.connect();
      try {
        await client.query(`BEGIN; INSERT INTO "${table}" (id, name) VALUES (${id}, 'held')`);
      } catch (err) {
        client.release(true);
        throw err;
      }
      return async () => {
        await client.query('ROLLBACK');
        client.release();
      };
    },
  };
}

export function mysqlAdapter(): DialectAdapter {
  let admin: mysql.Pool;
  const options = { uri: MYSQL_URL, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true, connectionLimit: 4 } as const;
  const query = async (sql: string) => (await admin.query(sql))[0] as Record<string, unknown>[];
  return {
    name: 'mysql',
    uniqueViolationCode: '1062',
    quote: (name) => `\`${name}\``,
    async open() {
      admin = mysql.createPool(options);
    },
    close: () => admin.end(),
    exec: async (sql) => void (await admin.query(sql)),
    createTable: async (table, columns, key, extra) =>
      void (await admin.query(`${ddl('`', MYSQL_TYPES, table, columns, key, extra)} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`)),
    dropTable: async (table) => void (await admin.query(`DROP TABLE IF EXISTS \`${table}\``)),
    read: async (table, columns, orderBy = 'id') => normalizeRows(await query(`SELECT * FROM \`${table}\` ORDER BY ${orderBy}`), columns),
    count: async (table) => Number((await query(`SELECT count(*) AS n FROM \`${table}\``))[0]?.n),
    ownedDriver: () => new MySqlDriver({ connectionString: MYSQL_URL }),
    foreignKeyDriver() {
      const driver = new MySqlDriver({ connectionString: MYSQL_URL });
      return { driver, dispose: () => driver.close() };
    },
    async userDriver() {
      const pool = mysql.createPool({ ...options, connectionLimit: 2 });
      return {
        driver: new MySqlDriver({ pool }),
        stillWorks: async () => Number(((await pool.query('SELECT 1 AS one'))[0] as { one: unknown }[])[0]?.one) === 1,
        dispose: () => pool.end(),
      };
    },
    async holdKey(table, id) {
      const connection = await admin.getConnection();
      try {
        await connection.query('START TRANSACTION');
        await connection.query(`INSERT INTO \`${table}\` (id, name) VALUES (${id}, 'held')`);
      } catch (err) {
        connection.destroy();
        throw err;
      }
      return async () => {
        await connection.query('ROLLBACK');
        connection.release();
      };
    },
  };
}

export function sqliteAdapter(): DialectAdapter {
  let dir: string;
  let file: string;
  let admin: Database.Database;
  return {
    name: 'sqlite',
    uniqueViolationCode: 'SQLITE_CONSTRAINT_UNIQUE',
    quote: (name) => `"${name}"`,
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'batchflow-sqlite-'));
      file = join(dir, 'test.db');
      admin = new Database(file);
      admin.pragma('journal_mode = WAL');
      admin.defaultSafeIntegers(true); // read INTEGER as bigint: 2^63-1 must survive
    },
    async close() {
      admin.close();
      rmSync(dir, { recursive: true, force: true });
    },
    exec: async (sql) => void admin.exec(sql),
    createTable: async (table, columns, key, extra) => void admin.exec(ddl('"', SQLITE_TYPES, table, columns, key, extra)),
    dropTable: async (table) => void admin.exec(`DROP TABLE IF EXISTS "${table}"`),
    read: async (table, columns, orderBy = 'id') =>
      normalizeRows(admin.prepare(`SELECT * FROM "${table}" ORDER BY ${orderBy}`).all() as Record<string, unknown>[], columns),
    count: async (table) => Number((admin.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: bigint }).n),
    ownedDriver: () => new SqliteDriver({ filename: file }),
    foreignKeyDriver() {
      const database = new Database(file);
      database.pragma('foreign_keys = ON');
      return { driver: new SqliteDriver({ database }), dispose: async () => void database.close() };
    },
    async userDriver() {
      const db = new Database(file);
      return {
        driver: new SqliteDriver({ database: db }),
        stillWorks: async () => db.open && (db.prepare('SELECT 1 AS one').get() as { one: number }).one === 1,
        dispose: async () => void db.close(),
      };
    },
  };
}

/** A short, unique, valid table name for one test. */
export function uniqueTable(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

