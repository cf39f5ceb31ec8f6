// Hot keys on MariaDB (issue 18): a batch that holds one key several times sends the server one
// row for it, the one `ON DUPLICATE KEY UPDATE` would have left. Before, every repeat was
// overwritten again under the batch's row locks, which concurrent batches over the same keys wait
// for (Zipf bench batches of 500 carried ~200 distinct keys). The stored outcome is unchanged.
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MySqlDriver, Request, SQLSchema, type ConflictStrategy } from '../../src/index.js';
import { MYSQL_URL, uniqueTable } from './sql-dialects.js';

let pool: mysql.Pool;
/** Rows of every `INSERT … VALUES ?` the driver sent, per statement. */
const inserted: unknown[][][] = [];
let driver: MySqlDriver;
const tables: string[] = [];

beforeAll(() => {
  pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true });
  pool.on('connection', (c) => void c.query("SET time_zone = '+00:00'"));
  // A user pool (the driver supports one) that records what each INSERT carried.
  driver = new MySqlDriver({
    pool: {
      async getConnection() {
        const connection = await pool.getConnection();
        return {
          query: (sql: string, values?: unknown) => {
            if (sql.startsWith('INSERT INTO') && Array.isArray(values)) inserted.push(values[0] as unknown[][]);
            return connection.query(sql, values as never);
          },
          release: () => connection.release(),
          destroy: () => connection.destroy(),
        };
      },
    },
  });
});
afterAll(async () => {
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
});

async function batchOnce(conflict: ConflictStrategy): Promise<{ sent: unknown[][]; stored: Record<string, string> }> {
  const table = uniqueTable('bf_one_row');
  tables.push(table);
  await pool.query(`CREATE TABLE ${table} (id BIGINT PRIMARY KEY, v VARCHAR(16) NOT NULL) ENGINE=InnoDB`);
  const schema = SQLSchema(table, conflict, { id: 'int64', v: 'string' });
  const rows = [{ id: 1n, v: 'a' }, { id: 2n, v: 'b' }, { id: 1n, v: 'c' }, { id: 3n, v: 'd' }, { id: 1n, v: 'e' }, { id: 2n, v: 'f' }];
  inserted.length = 0;
  await driver.execute(schema, rows.map((row) => Request.fromRow(schema, row)));
  const [stored] = await pool.query(`SELECT id, v FROM ${table} ORDER BY id`);
  return { sent: inserted.flat(), stored: Object.fromEntries((stored as { id: string; v: string }[]).map((r) => [r.id, r.v])) };
}

describe('MariaDB: one row per key reaches ON DUPLICATE KEY UPDATE', () => {
  it.each(['update', 'replace'] as const)('%s sends the last row of each key once, and stores it', async (conflict) => {
    const { sent, stored } = await batchOnce(conflict);
    expect(sent.map((row) => String(row[0]))).toEqual(['1', '2', '3']);
    expect(stored).toEqual({ 1: 'e', 2: 'f', 3: 'd' });
  });

  it('ignore sends the first row of each key once, and stores it', async () => {
    const { sent, stored } = await batchOnce('ignore');
    expect(sent.map((row) => String(row[0]))).toEqual(['1', '2', '3']);
    expect(stored).toEqual({ 1: 'a', 2: 'b', 3: 'd' });
  });

  it('insert still sends every row, so the repeated key fails as a duplicate (errno 1062)', async () => {
    await expect(batchOnce('insert')).rejects.toMatchObject({ sinkCode: '1062' });
  });
});
