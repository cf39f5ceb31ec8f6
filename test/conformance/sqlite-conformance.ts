import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BaseColumnType } from '../../src/core/column-type.js';
import { conformanceDdl, normalizeRows, type DialectAdapter } from './conformance-dialect.js';
import { SqliteDriver } from '../../src/drivers/sqlite/sqlite-driver.js';

/** Column types of the conformance tables. */
const SQLITE_TYPES: Record<BaseColumnType, string> = {
  int32: 'INTEGER', int64: 'INTEGER', float64: 'REAL', string: 'TEXT', bool: 'INTEGER', timestamp: 'TEXT', bytes: 'BLOB',
};

/** The conformance adapter: a fresh database file in a temporary directory (SQLite needs no URL). */
export function sqliteConformance(_url?: string): DialectAdapter {
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
    createTable: async (table, columns, key, extra) => void admin.exec(conformanceDdl('"', SQLITE_TYPES, table, columns, key, extra)),
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

