import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDriver } from '../../src/drivers/sqlite/sqlite-driver.js';
import type { BatchExecutor } from '../../src/core/batch-executor.js';
import { BENCH_COLUMN_LIST, benchRowValues as rowValues, sqlBenchCommon, type BenchRow, type BenchSink, type BenchSinkTarget, type NaiveWriter, type RawWriter } from './bench-sink.js';

/**
 * Opens the bench database the way the BatchFlow driver does (WAL, `synchronous = FULL`), so the
 * naive and raw writers pay for the same durability.
 */
function open(file: string): Database.Database {
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

/** Dates as ISO text, as the BatchFlow driver stores them by default. */
function bindable(row: BenchRow): unknown[] {
  const values: unknown[] = rowValues(row);
  values[4] = row.created_at.toISOString();
  return values;
}

/** SQLite (better-sqlite3): one database file per run in `dir`; prepared inserts in transactions as the raw ceiling. */
export function sqliteBenchSink({ dir }: BenchSinkTarget): BenchSink {
  const file = join(dir, 'bench.sqlite');
  let admin: Database.Database | undefined;
  const db = () => (admin ??= open(file));
  return {
    name: 'sqlite',
    ...sqlBenchCommon(),
    async version() {
      return `SQLite ${(db().prepare('SELECT sqlite_version() AS v').get() as { v: string }).v} (better-sqlite3, WAL, synchronous=FULL)`;
    },
    async create(table) {
      db().exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, account INTEGER NOT NULL, amount REAL NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL)`);
    },
    async count(table) {
      return (db().prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    },
    async drop(table) {
      db().exec(`DROP TABLE IF EXISTS ${table}`);
    },
    executor(): BatchExecutor {
      return new SqliteDriver({ filename: file });
    },
    naiveWriter(table): NaiveWriter {
      const naive = open(file);
      const insert = naive.prepare(`INSERT INTO ${table} (${BENCH_COLUMN_LIST}) VALUES (?, ?, ?, ?, ?)`);
      return {
        writeOne: async (row) => void insert.run(row.id, row.account, row.amount, row.label, row.created_at),
        close: async () => void naive.close(),
      };
    },
    rawWriter(table): RawWriter {
      const raw = open(file);
      const insert = raw.prepare(`INSERT INTO ${table} (${BENCH_COLUMN_LIST}) VALUES (?, ?, ?, ?, ?)`);
      const writeAll = raw.transaction((rows: readonly BenchRow[]) => {
        for (const row of rows) insert.run(bindable(row));
      });
      return {
        chunkRows: 5000,
        method: 'prepared single-row INSERT, 5,000 rows per transaction, WAL, synchronous=FULL',
        write: async (rows) => void writeAll(rows),
        close: async () => void raw.close(),
      };
    },
    async close() {
      admin?.close();
      admin = undefined;
    },
  };
}
