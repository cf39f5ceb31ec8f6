import mysql from 'mysql2/promise';
import { MySqlDriver } from '../../src/drivers/mysql/mysql-driver.js';
import type { BatchExecutor } from '../../src/core/batch-executor.js';
import { WIDE_COLUMN_LIST, wideRowValues, type WideRow } from '../wide-rows.js';
import { BENCH_COLUMN_LIST, benchRowValues as rowValues, sqlBenchCommon, type BenchRow, type BenchSink, type BenchSinkTarget, type NaiveWriter, type RawWriter } from './bench-sink.js';

/** Pool settings every bench connection shares: UTC dates, as the BatchFlow driver's own pool writes them. */
function pool(url: string, connectionLimit = 10): mysql.Pool {
  return mysql.createPool({ uri: url, connectionLimit, timezone: 'Z' });
}

/** MariaDB/MySQL: the table, the naive one-INSERT-per-job writer, and a multi-row `VALUES ?` as the raw ceiling. */
export function mysqlBenchSink({ url: given }: BenchSinkTarget): BenchSink {
  const url = given as string;
  let admin: mysql.Pool | undefined;
  const query = async <T>(sql: string): Promise<T> => (await (admin ??= pool(url, 1)).query(sql))[0] as T;
  return {
    name: 'mysql',
    ...sqlBenchCommon(),
    async version() {
      const [row] = await query<Array<{ v: string }>>('SELECT VERSION() AS v');
      const v = row?.v ?? '?';
      return v.includes('MariaDB') ? `MariaDB ${v.split('-')[0]}` : `MySQL ${v}`;
    },
    async create(table) {
      await query(
        `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, account INT NOT NULL, amount DOUBLE NOT NULL, label VARCHAR(64) NOT NULL, created_at DATETIME(3) NOT NULL) ENGINE=InnoDB`,
      );
    },
    async count(table) {
      const [row] = await query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM ${table}`);
      return Number(row?.n);
    },
    async drop(table) {
      await query(`DROP TABLE IF EXISTS ${table}`);
    },
    executor(): BatchExecutor {
      return new MySqlDriver({ connectionString: url });
    },
    naiveWriter(table): NaiveWriter {
      const naive = pool(url); // mysql2's default connectionLimit (10)
      const sql = `INSERT INTO ${table} (${BENCH_COLUMN_LIST}) VALUES (?, ?, ?, ?, ?)`;
      return {
        writeOne: async (row) => void (await naive.query(sql, [row.id, row.account, row.amount, row.label, new Date(row.created_at)])),
        close: () => naive.end(),
      };
    },
    rawWriter(table): RawWriter {
      const raw = pool(url, 1);
      const sql = `INSERT INTO ${table} (${BENCH_COLUMN_LIST}) VALUES ?`;
      return {
        chunkRows: 5000,
        method: 'multi-row INSERT … VALUES ? (mysql2 query), 5,000 rows per statement, one connection',
        write: async (rows: readonly BenchRow[]) => void (await raw.query(sql, [rows.map(rowValues)])),
        close: () => raw.end(),
      };
    },
    wide: {
      async create(table) {
        await query(
          `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, account INT NOT NULL, amount DOUBLE NOT NULL, price DECIMAL(12,2) NOT NULL, quantity INT NOT NULL, active BOOLEAN NOT NULL, created_at DATETIME(3) NOT NULL, updated_at DATETIME(3) NOT NULL, uuid CHAR(36) NOT NULL, payload JSON NOT NULL, title VARCHAR(255) NOT NULL, description TEXT NOT NULL, tags VARCHAR(255) NOT NULL, email VARCHAR(255) NOT NULL, country CHAR(2) NOT NULL, city VARCHAR(64) NOT NULL, notes TEXT NOT NULL, score DOUBLE NOT NULL, flags INT NOT NULL, revision BIGINT NOT NULL) ENGINE=InnoDB`,
        );
      },
      rawWriter(table): RawWriter<WideRow> {
        const raw = pool(url, 1);
        const sql = `INSERT INTO ${table} (${WIDE_COLUMN_LIST}) VALUES ?`;
        return {
          chunkRows: 1000,
          method: 'multi-row INSERT … VALUES ? (mysql2 query), 20 columns, 1,000 rows per statement, one connection',
          write: async (rows) => void (await raw.query(sql, [rows.map(wideRowValues)])),
          close: () => raw.end(),
        };
      },
    },
    async close() {
      await admin?.end();
      admin = undefined;
    },
  };
}
