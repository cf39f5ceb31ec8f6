import pg from 'pg';
import { PostgresDriver } from '../../src/drivers/postgres/postgres-driver.js';
import type { BatchExecutor } from '../../src/core/batch-executor.js';
import { WIDE_COLUMN_LIST, wideRowValues, type WideRow } from '../wide-rows.js';
import { BENCH_COLUMN_LIST, benchRowValues as rowValues, sqlBenchCommon, type BenchRow, type BenchSink, type BenchSinkTarget, type NaiveWriter, type RawWriter } from './bench-sink.js';

/** PostgreSQL: the table, the naive one-INSERT-per-job writer, and `unnest` array binding as the raw ceiling. */
export function postgresBenchSink({ url: given }: BenchSinkTarget): BenchSink {
  const url = given as string;
  let admin: pg.Pool | undefined;
  const query = async (text: string, values?: unknown[]) => (admin ??= new pg.Pool({ connectionString: url, max: 1 })).query(text, values);
  return {
    name: 'postgres',
    ...sqlBenchCommon(),
    async version() {
      const { rows } = await query('SHOW server_version');
      return `PostgreSQL ${(rows[0] as { server_version: string }).server_version}`;
    },
    async create(table) {
      await query(
        `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, account INTEGER NOT NULL, amount DOUBLE PRECISION NOT NULL, label TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL)`,
      );
    },
    async count(table) {
      const { rows } = await query(`SELECT COUNT(*)::int AS n FROM ${table}`);
      return (rows[0] as { n: number }).n;
    },
    async drop(table) {
      await query(`DROP TABLE IF EXISTS ${table}`);
    },
    executor(): BatchExecutor {
      return new PostgresDriver({ connectionString: url });
    },
    naiveWriter(table): NaiveWriter {
      // pg's default pool size (10): what a hand-written worker would get.
      const pool = new pg.Pool({ connectionString: url });
      const text = `INSERT INTO ${table} (${BENCH_COLUMN_LIST}) VALUES ($1, $2, $3, $4, $5)`;
      return {
        writeOne: async (row) => void (await pool.query(text, [row.id, row.account, row.amount, row.label, row.created_at])),
        close: () => pool.end(),
      };
    },
    rawWriter(table): RawWriter {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      const text = `INSERT INTO ${table} (${BENCH_COLUMN_LIST}) SELECT * FROM unnest($1::int8[], $2::int4[], $3::float8[], $4::text[], $5::timestamptz[])`;
      return {
        chunkRows: 5000,
        method: 'INSERT … SELECT * FROM unnest($1::int8[], …), 5,000 rows per statement, one connection',
        async write(rows: readonly BenchRow[]) {
          const columns: unknown[][] = [[], [], [], [], []];
          for (const row of rows) rowValues(row).forEach((value, c) => columns[c]?.push(value));
          await pool.query(text, columns);
        },
        close: () => pool.end(),
      };
    },
    wide: {
      async create(table) {
        await query(
          `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, account INTEGER NOT NULL, amount DOUBLE PRECISION NOT NULL, price NUMERIC(12,2) NOT NULL, quantity INTEGER NOT NULL, active BOOLEAN NOT NULL, created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL, uuid UUID NOT NULL, payload JSONB NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL, tags TEXT NOT NULL, email TEXT NOT NULL, country VARCHAR(2) NOT NULL, city TEXT NOT NULL, notes TEXT NOT NULL, score DOUBLE PRECISION NOT NULL, flags INTEGER NOT NULL, revision BIGINT NOT NULL)`,
        );
      },
      rawWriter(table): RawWriter<WideRow> {
        const pool = new pg.Pool({ connectionString: url, max: 1 });
        const casts = ['int8', 'int4', 'float8', 'numeric', 'int4', 'bool', 'timestamptz', 'timestamptz', 'uuid', 'jsonb', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'float8', 'int4', 'int8'];
        const text = `INSERT INTO ${table} (${WIDE_COLUMN_LIST}) SELECT * FROM unnest(${casts.map((cast, i) => `$${i + 1}::${cast}[]`).join(', ')})`;
        return {
          chunkRows: 1000,
          method: 'INSERT … SELECT * FROM unnest($1::int8[], …), 20 arrays, 1,000 rows per statement, one connection',
          async write(rows) {
            const columns: unknown[][] = casts.map(() => []);
            for (const row of rows) wideRowValues(row).forEach((value, c) => columns[c]?.push(value));
            await pool.query(text, columns);
          },
          close: () => pool.end(),
        };
      },
    },
    async close() {
      await admin?.end();
      admin = undefined;
    },
  };
}
