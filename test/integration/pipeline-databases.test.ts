import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver, Producer, SQLSchema, SqliteDriver, type BatchConsumerOptions, type BatchExecutor, type Schema } from '../../src/index.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pgTable(label: string, extra = ''): Promise<string> {
  const table = uniqueTable(label);
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, score int ${extra})`);
  cleanups.push(() => pgQuery(`DROP TABLE IF EXISTS ${table}`).then(() => undefined));
  return table;
}

function consumerFor(schema: Schema, executor: BatchExecutor, prefix: string, options: Partial<BatchConsumerOptions> = {}) {
  const consumer = new BatchConsumer({ connection: REDIS_URL, schema, executor, prefix, flushSize: 200, flushIntervalMs: 100, ...options });
  cleanups.push(() => consumer.close());
  return consumer;
}

function producerFor(schemas: Schema[], prefix: string) {
  const producer = new Producer({ connection: REDIS_URL, schemas, prefix });
  cleanups.push(() => producer.close());
  cleanups.push(() => deletePrefix(prefix));
  return producer;
}

const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), name: `row ${from + i}`, score: (from + i) % 1000 }));

describe('pipeline against real PostgreSQL and SQLite', () => {
  it('lands 10,000 requests across two schemas exactly once, in batches ≤ flushSize; a lone request within flushIntervalMs', async () => {
    const prefix = uniquePrefix('dbs');
    const pgTableName = await pgTable('users');
    const dir = mkdtempSync(path.join(tmpdir(), 'bf-sqlite-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'db.sqlite');
    const lite = new Database(file);
    lite.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score INTEGER)');
    cleanups.push(() => {
      lite.close();
    });

    const pgSchema = SQLSchema(pgTableName, 'update', { id: 'int64', name: 'string', score: 'int32' });
    const liteSchema = SQLSchema('events', 'ignore', { id: 'int64', name: 'string', score: 'int32' });
    const pgDriver = new PostgresDriver({ connectionString: PG_URL });
    const liteDriver = new SqliteDriver({ filename: file });
    cleanups.push(() => pgDriver.close(), () => liteDriver.close());
    const sizes: number[] = [];
    for (const [schema, driver] of [[pgSchema, pgDriver], [liteSchema, liteDriver]] as const) {
      consumerFor(schema, driver, prefix).on('batch:committed', ({ size }) => sizes.push(size));
    }
    const producer = producerFor([pgSchema, liteSchema], prefix);
    await Promise.all([producer.submitMany(pgSchema, rows(5000)), producer.submitMany(liteSchema, rows(5000))]);
    // a redelivered copy of some rows must not create duplicates (key + conflict strategy)
    await producer.submitMany(pgSchema, rows(100));

    const liteCount = () => (lite.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    expect(await waitFor(async () => (await pgCount(pgTableName)) === 5000 && liteCount() === 5000, 60_000)).toBe(true);
    const [dups] = await pgQuery<{ n: string }>(`SELECT count(*)::text AS n FROM (SELECT id FROM ${pgTableName} GROUP BY id HAVING count(*) > 1) d`);
    expect(dups?.n).toBe('0');
    expect(Math.max(...sizes)).toBeLessThanOrEqual(200);

    const started = Date.now();
    await producer.submit(liteSchema, { id: 99_999n, name: 'lone', score: 1 });
    expect(await waitFor(() => liteCount() === 5001, 5000, 10)).toBe(true);
    expect(Date.now() - started).toBeLessThan(100 + 400); // flushIntervalMs + margin
  });

  it('survives a 10 s sink outage: breaker opens and closes, every row lands, DLQ stays empty', async () => {
    const prefix = uniquePrefix('outage');
    const table = await pgTable('outage');
    const proxy = new TcpProxy(5432);
    const port = await proxy.start();
    cleanups.push(() => proxy.stop());
    const schema = SQLSchema(table, 'update', { id: 'int64', name: 'string', score: 'int32' });
    const driver = new PostgresDriver({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, connectTimeoutMs: 1000 });
    cleanups.push(() => driver.close());
    const consumer = consumerFor(schema, driver, prefix, { breakerProbeBaseMs: 100, breakerProbeMaxMs: 1000 });
    const breaker: string[] = [];
    consumer.on('breaker', ({ state }) => breaker.push(state));
    const producer = producerFor([schema], prefix);

    await producer.submitMany(schema, rows(2000));
    expect(await waitFor(async () => (await pgCount(table)) > 0, 20_000)).toBe(true);
    await proxy.stop();
    const outageStarted = Date.now();
    await producer.submitMany(schema, rows(3000, 2000)); // keeps arriving during the outage
    expect(await waitFor(() => breaker.includes('open'), 15_000)).toBe(true);
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - outageStarted))));
    expect(await consumer.dlq.count()).toBe(0);
    await proxy.start();
    expect(await waitFor(async () => (await pgCount(table)) === 5000, 30_000)).toBe(true);
    expect(breaker.at(-1)).toBe('closed');
    expect(await consumer.dlq.count()).toBe(0);
  });

  it('dead-letters exactly the 1% of requests that violate a constraint, and replay lands them after the fix', async () => {
    const prefix = uniquePrefix('poison');
    const table = await pgTable('poison', `, CONSTRAINT score_ok CHECK (score >= 0)`);
    const schema = SQLSchema(table, 'update', { id: 'int64', name: 'string', score: 'int32' });
    const driver = new PostgresDriver({ connectionString: PG_URL });
    cleanups.push(() => driver.close());
    const consumer = consumerFor(schema, driver, prefix);
    const producer = producerFor([schema], prefix);
    const input = rows(3000).map((r) => (r.id % 100n === 42n ? { ...r, score: -1 } : r));
    await producer.submitMany(schema, input);

    expect(await waitFor(async () => (await consumer.dlq.count()) === 30 && (await pgCount(table)) === 2970, 60_000)).toBe(true);
    const records = await consumer.dlq.list();
    const deadIds = records.map((r) => Number((r.entry.request as { id: { $int64: string } }).id.$int64)).sort((a, b) => a - b);
    expect(deadIds).toEqual(Array.from({ length: 30 }, (_, k) => k * 100 + 42));
    for (const { entry } of records) {
      expect(entry).toMatchObject({ class: 'non_retryable', reason: 'non_retryable', errorCode: '23514', schema: table });
      expect(entry.attempts).toBeGreaterThanOrEqual(1);
      expect(Date.parse(entry.firstFailedAt)).toBeLessThanOrEqual(Date.parse(entry.lastFailedAt));
    }

    await pgQuery(`ALTER TABLE ${table} DROP CONSTRAINT score_ok`);
    const result = await consumer.dlq.replay();
    expect(result.done).toBe(30);
    expect(await waitFor(async () => (await pgCount(table)) === 3000, 30_000)).toBe(true);
    expect(await consumer.dlq.count()).toBe(0);
  });
});
