import mysql from 'mysql2/promise';
import type { BaseColumnType } from '../../src/core/column-type.js';
import { conformanceDdl, normalizeRows, type DialectAdapter } from './conformance-dialect.js';
import { MySqlDriver } from '../../src/drivers/mysql/mysql-driver.js';

/** The local test database of the conformance suite. */
export const MYSQL_TEST_URL = 'mysql://root@127.0.0.1:3306/test';

/** Column types of the conformance tables. */
const MYSQL_TYPES: Record<BaseColumnType, string> = {
  int32: 'INT', int64: 'BIGINT', float64: 'DOUBLE', string: 'VARCHAR(200)', bool: 'BOOLEAN', timestamp: 'DATETIME(3)', bytes: 'VARBINARY(200)',
};

/** The conformance adapter for `url` (default: the local test database). */
export function mysqlConformance(url: string | undefined): DialectAdapter {
  const dbUrl = url ?? MYSQL_TEST_URL;
  let admin: mysql.Pool;
  const options = { uri: dbUrl, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true, connectionLimit: 4 } as const;
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
      void (await admin.query(`${conformanceDdl('`', MYSQL_TYPES, table, columns, key, extra)} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`)),
    dropTable: async (table) => void (await admin.query(`DROP TABLE IF EXISTS \`${table}\``)),
    read: async (table, columns, orderBy = 'id') => normalizeRows(await query(`SELECT * FROM \`${table}\` ORDER BY ${orderBy}`), columns),
    count: async (table) => Number((await query(`SELECT count(*) AS n FROM \`${table}\``))[0]?.n),
    ownedDriver: () => new MySqlDriver({ connectionString: dbUrl }),
    foreignKeyDriver() {
      const driver = new MySqlDriver({ connectionString: dbUrl });
      return { driver, dispose: () => driver.close() };
    },
    async userDriver() {
      const pool = mysql.createPool({ ...options, connectionLimit: 2 });
      // What the driver's `pool` option asks of a user's pool: UTC sessions (on a server in
      // another zone the driver would refuse it). The event passes mysql2's core connection.
      pool.on('connection', (connection) => void (connection as unknown as { query(sql: string): unknown }).query("SET time_zone = '+00:00'"));
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

