import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MYSQL_URL, PG_URL } from '../integration/sql-dialects.js';

/** What the per-key order test reads from a `(id, seq, v)` table. */
export interface SequenceCounts {
  /** Rows in the table. */
  readonly rows: number;
  /** Rows whose `seq` is not `lastSeq`: keys left at an older submit. */
  readonly stale: number;
  /** Rows whose version column is NULL. */
  readonly unversioned: number;
}

/** One dialect's `(id bigint primary key, seq int, v bigint null)` table, and the env a worker process needs to reach it. */
export interface SequenceTable {
  readonly dialect: 'postgres' | 'mysql' | 'sqlite';
  /** DIALECT, DB_URL or SQLITE_FILE for test/fixtures/versioned-worker.mjs. */
  readonly workerEnv: Record<string, string>;
  counts(lastSeq: number): Promise<SequenceCounts>;
  /** Drops the table and closes the connection (and removes the SQLite file). */
  dispose(): Promise<void>;
}

const DDL = (q: string, table: string) => `CREATE TABLE ${q}${table}${q} (id bigint NOT NULL PRIMARY KEY, seq int NOT NULL, v bigint)`;
const COUNTS = (q: string, table: string, lastSeq: number) =>
  `SELECT count(*) AS n, sum(CASE WHEN seq = ${lastSeq} THEN 0 ELSE 1 END) AS stale, sum(CASE WHEN v IS NULL THEN 1 ELSE 0 END) AS unversioned FROM ${q}${table}${q}`;
const toCounts = (row: Record<string, unknown> | undefined): SequenceCounts => ({
  rows: Number(row?.n ?? 0),
  stale: Number(row?.stale ?? 0),
  unversioned: Number(row?.unversioned ?? 0),
});

/** Creates the table on the local server of `dialect` (SQLite: a file in a fresh temp dir). */
export async function sequenceTable(dialect: SequenceTable['dialect'], table: string): Promise<SequenceTable> {
  if (dialect === 'postgres') {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    await pool.query(DDL('"', table));
    return {
      dialect,
      workerEnv: { DIALECT: dialect, DB_URL: PG_URL },
      counts: async (lastSeq) => toCounts((await pool.query(COUNTS('"', table, lastSeq))).rows[0] as Record<string, unknown>),
      async dispose() {
        await pool.query(`DROP TABLE IF EXISTS "${table}"`);
        await pool.end();
      },
    };
  }
  if (dialect === 'mysql') {
    const connection = await mysql.createConnection({ uri: MYSQL_URL });
    await connection.query(DDL('`', table));
    return {
      dialect,
      workerEnv: { DIALECT: dialect, DB_URL: MYSQL_URL },
      async counts(lastSeq) {
        const [rows] = await connection.query(COUNTS('`', table, lastSeq));
        return toCounts((rows as Record<string, unknown>[])[0]);
      },
      async dispose() {
        await connection.query(`DROP TABLE IF EXISTS \`${table}\``);
        await connection.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'batchflow-order-'));
  const file = join(dir, 'order.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(DDL('"', table));
  return {
    dialect,
    workerEnv: { DIALECT: dialect, SQLITE_FILE: file },
    counts: async (lastSeq) => toCounts(db.prepare(COUNTS('"', table, lastSeq)).get() as Record<string, unknown>),
    async dispose() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
