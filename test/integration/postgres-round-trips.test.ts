// A database across a network (issue 21): the PostgreSQL driver sends a batch's BEGIN and INSERTs
// back to back (node-postgres pipeline mode), then COMMIT once they succeeded, so the batch waits
// for two round trips, not three, and an error in a statement sent without waiting still rolls
// everything back and is reported as that statement's error. Through the bench's delay proxy in
// front of the real server.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDelayProxy, type DelayProxy } from '../../bench/delay-proxy.js';
import { classifyPostgresError } from '../../src/drivers/postgres/error-codes.js';
import { PostgresDriver, Request, SQLSchema, SinkError } from '../../src/index.js';
import { PG_URL, uniqueTable } from './sql-dialects.js';

/** Each way: a round trip of 200 ms, far above what a loaded machine adds to one. */
const DELAY_MS = 100;
const ROUND_TRIP_MS = 2 * DELAY_MS;

describe('PostgreSQL driver across a network (delay proxy)', () => {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  const table = uniqueTable('bf_round_trips');
  const schema = SQLSchema(table, 'insert', { id: 'int64', name: 'string' });
  const rows = (ids: number[]) => ids.map((id) => Request.fromRow(schema, { id, name: `row ${id}` }));
  const ids = async () => (await admin.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => Number(r.id));
  let proxy: DelayProxy;
  let driver: PostgresDriver;
  let chunked: PostgresDriver;

  beforeAll(async () => {
    await admin.query(`CREATE TABLE ${table} (id BIGINT PRIMARY KEY, name TEXT NOT NULL)`);
    const direct = new URL(PG_URL);
    proxy = await startDelayProxy({ host: direct.hostname, port: Number(direct.port) }, DELAY_MS);
    const url = new URL(PG_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    driver = new PostgresDriver({ connectionString: url.toString() });
    chunked = new PostgresDriver({ connectionString: url.toString(), maxRowsPerStatement: 2 });
  });

  afterAll(async () => {
    await driver?.close();
    await chunked?.close();
    await proxy?.close();
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  it('a batch waits for two round trips (BEGIN with its INSERT, then COMMIT), not one per statement', async () => {
    // Warm: the connection and the catalog's column types are read once, on the first batch.
    await driver.execute(schema, rows([1]));
    // The fastest of three: a loaded machine only adds time, it never takes a round trip away.
    let fastestMs = Infinity;
    for (let batch = 0; batch < 3; batch++) {
      const started = performance.now();
      await driver.execute(schema, rows(Array.from({ length: 500 }, (_, i) => 2 + batch * 500 + i)));
      fastestMs = Math.min(fastestMs, performance.now() - started);
    }
    expect(await ids()).toHaveLength(1501);
    // BEGIN, INSERT and COMMIT each awaited take three round trips (600 ms); pipelined, two.
    expect(fastestMs).toBeLessThan(2.5 * ROUND_TRIP_MS);
  });

  it('a failing statement sent without waiting rolls back the statements before it and is the error reported', async () => {
    await admin.query(`INSERT INTO ${table} (id, name) VALUES (20000, 'taken')`);
    const before = await ids();
    // Two rows per statement, in key order: [10000, 10001] succeeds, [10002, 20000] hits the taken key.
    const error = await chunked.execute(schema, rows([10000, 10001, 10002, 20000])).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(SinkError);
    const expected = classifyPostgresError(Object.assign(new Error('duplicate key'), { code: '23505' }));
    expect((error as SinkError).sinkCode).toBe('23505');
    expect((error as SinkError).reason).toBe(expected.reason);
    expect(await ids()).toEqual(before);
    // The connection went back to its pool healthy: the next batch on it commits.
    await chunked.execute(schema, rows([10000, 10001, 10002]));
    expect(await ids()).toEqual([...before.slice(0, -1), 10000, 10001, 10002, 20000]);
  });
});
