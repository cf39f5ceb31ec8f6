import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type ListeningHttpServer } from '../../consumers/http-server.js';
import { BatchConsumer, PostgresDriver, Producer, SQLSchema } from '../../src/index.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';

const TOKEN = 'ingest-token-for-tests-0123456789';
const prefix = uniquePrefix('ingest');
const table = uniqueTable('ingest');
// Consumed into PostgreSQL: where accepted rows must land.
const events = SQLSchema(table, 'ignore', { id: 'int64', name: 'string', at: 'timestamp?', payload: 'bytes?', score: 'int32?' });
// Never consumed: its queue shows exactly what a request enqueued.
const parked = SQLSchema('parked', 'ignore', { id: 'int64', name: 'string' });

let server: ListeningHttpServer;
let producer: Producer;
let consumer: BatchConsumer;
let driver: PostgresDriver;
let parkedQueue: Queue;

beforeAll(async () => {
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, at timestamptz, payload bytea, score int)`);
  driver = new PostgresDriver({ connectionString: PG_URL });
  consumer = new BatchConsumer({ connection: REDIS_URL, schema: events, executor: driver, prefix, flushSize: 100, flushIntervalMs: 100, queueDepthIntervalMs: 0 });
  producer = new Producer({ connection: REDIS_URL, schemas: [events, parked], prefix });
  parkedQueue = new Queue('parked', { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(prefix, 'parked') });
  server = await createHttpServer({ port: 0, producer, ingestToken: TOKEN, bodyLimit: '4kb' }).listen();
});

afterAll(async () => {
  await server?.close();
  await producer?.close();
  await consumer?.close();
  await parkedQueue?.close();
  await driver?.close();
  await deletePrefix(prefix);
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
});

function post(schema: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/v1/schemas/${schema}/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Rows stored in the parked queue, whatever the state of their jobs (a job may pack several rows). */
async function parkedRows(): Promise<number> {
  const jobs = await parkedQueue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed']);
  return jobs.reduce((n, job) => n + ((job.data as { rows?: unknown[] }).rows?.length ?? 0), 0);
}

describe('HTTP ingest (real Redis and PostgreSQL)', () => {
  it('lands a single row, an array and a { rows } body in the table, with int64, timestamp and bytes converted from JSON', async () => {
    const one = await post(table, { id: '9007199254740993', name: 'big', at: '2024-05-01T12:00:00.123Z', payload: Buffer.from([0, 1, 254, 255]).toString('base64'), score: 3 });
    expect([one.status, await one.json()]).toEqual([202, { accepted: 1 }]);
    const many = await post(table, [{ id: 1, name: 'a' }, { id: '2', name: 'b', at: '2024-05-01T14:00:00+02:00', score: null }]);
    expect([many.status, await many.json()]).toEqual([202, { accepted: 2 }]);
    const wrapped = await post(table, { rows: Array.from({ length: 20 }, (_, i) => ({ id: 100 + i, name: `w${i}` })) });
    expect([wrapped.status, await wrapped.json()]).toEqual([202, { accepted: 20 }]);

    expect(await waitFor(async () => (await pgCount(table)) === 23)).toBe(true);
    const [big] = await pgQuery<{ id: string; at: Date; payload: Buffer; score: number }>(`SELECT id::text, at, payload, score FROM ${table} WHERE name = 'big'`);
    expect(big?.id).toBe('9007199254740993');
    expect(big?.at.toISOString()).toBe('2024-05-01T12:00:00.123Z');
    expect([...(big?.payload ?? [])]).toEqual([0, 1, 254, 255]);
    expect(big?.score).toBe(3);
    const [b] = await pgQuery<{ at: Date; score: number | null }>(`SELECT at, score FROM ${table} WHERE id = 2`);
    expect([b?.at.toISOString(), b?.score]).toEqual(['2024-05-01T12:00:00.000Z', null]);
  });

  it('takes deletes by key ({ "$delete": true, <key> }) beside rows, and refuses malformed ones with the row index', async () => {
    await post(table, [{ id: 500, name: 'x' }, { id: 501, name: 'y' }]);
    expect(await waitFor(async () => (await pgQuery(`SELECT 1 FROM ${table} WHERE id IN (500, 501)`)).length === 2)).toBe(true);
    const bad = await post(table, [{ $delete: true, name: 'no key' }, { $delete: 'yes', id: 500 }, { $delete: true, id: 500 }]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { row: number; kind: string }[] }).errors.map((e) => [e.row, e.kind])).toEqual([[0, 'unknown_column'], [1, 'invalid_row']]);
    const ok = await post(table, [{ $delete: true, id: '500' }, { id: 502, name: 'z' }, { $delete: true, id: 501 }]);
    expect([ok.status, await ok.json()]).toEqual([202, { accepted: 3 }]);
    expect(await waitFor(async () => (await pgQuery<{ id: string }>(`SELECT id::text FROM ${table} WHERE id IN (500, 501, 502)`)).map((r) => r.id).join() === '502')).toBe(true);
  });

  it('answers 400 for a malformed body or wrong shape and enqueues nothing', async () => {
    for (const body of ['{"id": 1, "name": ', '42', '"row"', '[]', '[1, 2]', '{"rows": [{"id": 1, "name": "x"}], "extra": 1}']) {
      const res = await post('parked', body);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
    }
    expect(await parkedRows()).toBe(0);
  });

  it('lists every bad row with its index, column and kind, and enqueues none of the good ones', async () => {
    const res = await post('parked', [
      { id: 1, name: 'fine' },
      { id: 2, name: 7 },
      { id: 3, name: 'x', nope: true },
      { id: 4 },
      { id: 'twelve', name: 'x' },
      { id: 2 ** 60, name: 'x' },
      { id: 5, name: 'fine too' },
    ]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: Array<{ row: number; column: string; kind: string; message: string }>; errorCount: number };
    expect(body.errorCount).toBe(5);
    expect(body.errors.map(({ row, column, kind }) => ({ row, column, kind }))).toEqual([
      { row: 1, column: 'name', kind: 'wrong_type' },
      { row: 2, column: 'nope', kind: 'unknown_column' },
      { row: 3, column: 'name', kind: 'missing_column' },
      { row: 4, column: 'id', kind: 'wrong_type' },
      { row: 5, column: 'id', kind: 'out_of_range' },
    ]);
    expect(body.errors[4]?.message).toMatch(/decimal string/);
    expect(await parkedRows()).toBe(0);
  });

  it('requires the token (missing or wrong: 401), knows its schemas (404), takes only JSON (415) and caps the body (413)', async () => {
    const row = { id: 1, name: 'x' };
    expect((await post('parked', row, { authorization: '' })).status).toBe(401);
    const wrong = await post('parked', row, { authorization: 'Bearer wrong-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await wrong.text()).not.toContain(TOKEN);
    expect((await post('nosuchschema', row)).status).toBe(404);
    expect((await post('parked', row, { 'content-type': 'text/plain' })).status).toBe(415);
    const huge = Array.from({ length: 200 }, (_, i) => ({ id: i, name: 'y'.repeat(20) }));
    expect((await post('parked', huge)).status).toBe(413);
    expect(await parkedRows()).toBe(0);

    // The control: the same request with everything right is enqueued.
    expect((await post('parked', [row, { id: 2, name: 'z' }])).status).toBe(202);
    expect(await parkedRows()).toBe(2);
  });

  it('answers 503 without internals when Redis cannot store the rows, and reports the error to onError', async () => {
    // Nothing listens on port 1. Whether the producer rejects or keeps waiting for Redis, the client gets its answer in time.
    const deadProducer = new Producer({ connection: 'redis://:hunter2-secret@127.0.0.1:1', schemas: [parked], prefix });
    const errors: unknown[] = [];
    const down = await createHttpServer({ port: 0, producer: deadProducer, ingestTimeoutMs: 1000, onError: (err) => errors.push(err) }).listen();
    try {
      const res = await fetch(`${down.url}/v1/schemas/parked/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id": 1, "name": "x"}' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      const text = await res.text();
      expect(text).not.toMatch(/hunter2|ECONNREFUSED|127\.0\.0\.1/);
      expect(errors).toHaveLength(1);
    } finally {
      await down.close();
      await deadProducer.close();
    }
  });
});
