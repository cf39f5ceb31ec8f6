import pg from 'pg';
import type { BaseColumnType } from '../../src/core/column-type.js';
import { conformanceDdl, normalizeRows, type DialectAdapter } from './conformance-dialect.js';
import { PostgresDriver } from '../../src/drivers/postgres/postgres-driver.js';

/** The local test database of the conformance suite. */
export const POSTGRES_TEST_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** Column types of the conformance tables. */
const PG_TYPES: Record<BaseColumnType, string> = {
  int32: 'integer', int64: 'bigint', float64: 'double precision', string: 'text', bool: 'boolean', timestamp: 'timestamptz', bytes: 'bytea',
};

/** The conformance adapter for `url` (default: the local test database). */
export function postgresConformance(url: string | undefined): DialectAdapter {
  const dbUrl = url ?? POSTGRES_TEST_URL;
  let admin: pg.Pool;
  const query = async (sql: string, params?: unknown[]) => (await admin.query(sql, params)).rows as Record<string, unknown>[];
  return {
    name: 'postgres',
    uniqueViolationCode: '23505',
    quote: (name) => `"${name}"`,
    async open() {
      admin = new pg.Pool({ connectionString: dbUrl, max: 4 });
    },
    close: () => admin.end(),
    exec: async (sql) => void (await admin.query(sql)),
    createTable: async (table, columns, key, extra) => void (await admin.query(conformanceDdl('"', PG_TYPES, table, columns, key, extra))),
    dropTable: async (table) => void (await admin.query(`DROP TABLE IF EXISTS "${table}"`)),
    read: async (table, columns, orderBy = 'id') => normalizeRows(await query(`SELECT * FROM "${table}" ORDER BY ${orderBy}`), columns),
    count: async (table) => Number((await query(`SELECT count(*) AS n FROM "${table}"`))[0]?.n),
    ownedDriver: () => new PostgresDriver({ connectionString: dbUrl }),
    foreignKeyDriver() {
      const driver = new PostgresDriver({ connectionString: dbUrl });
      return { driver, dispose: () => driver.close() };
    },
    async userDriver() {
      const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
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

