// Deletes through the whole pipeline on PostgreSQL: producer.delete/deleteMany (stamped with the
// submit version), partitions routed by key, a BatchConsumer committing upserts and deletes together, and the DLQ: a delete that a
// healthy table refuses (a foreign key still references the row, SQLSTATE 23503) is dead-lettered
// alone, and its entry shows it is a delete; replayed after the child row is gone, it lands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver, Producer, PrometheusReporter, SQLSchema, ValidationError } from '../../src/index.js';
import { PG_URL, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const prefix = uniquePrefix('delpipe');
const table = uniqueTable('delpipe');
const child = `${table}_child`;
const PARTITIONS = 3;
// Versioned (stamped at submit) with tombstones: concurrent batches may commit in any order, and the
// newest submit per key still wins, deletes included.
const users = SQLSchema(table, 'update', { id: 'int64', name: 'string' }, { partitions: PARTITIONS, versionColumn: 'v', tombstones: true });
const log = SQLSchema(`${table}_log`, 'insert', { line: 'string' });

let producer: Producer;
let driver: PostgresDriver;
let consumer: BatchConsumer;
const metrics = new PrometheusReporter({ collectDefaultMetrics: false });

beforeAll(async () => {
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, v bigint)`);
  await pgQuery(`CREATE TABLE ${child} (id bigint PRIMARY KEY, parent bigint NOT NULL REFERENCES ${table}(id))`);
  driver = new PostgresDriver({ connectionString: PG_URL });
  producer = new Producer({ connection: REDIS_URL, schemas: [users, log], prefix });
  consumer = new BatchConsumer({ connection: REDIS_URL, schema: users, executor: driver, metrics, prefix, flushSize: 200, flushIntervalMs: 100, queueDepthIntervalMs: 0 });
});

afterAll(async () => {
  await consumer?.close();
  await producer?.close();
  await driver?.close();
  await deletePrefix(prefix);
  await pgQuery(`DROP TABLE IF EXISTS ${child}`);
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  await pgQuery(`DROP TABLE IF EXISTS ${table}_bf_tombstones`);
});

const ids = async () => (await pgQuery<{ id: string }>(`SELECT id::text AS id FROM ${table}`)).map((r) => Number(r.id)).sort((a, b) => a - b);

describe('deletes through the pipeline (PostgreSQL, 3 partitions)', () => {
  it('refuses a delete on a keyless schema before enqueueing, with a ValidationError', async () => {
    await expect(producer.delete(log, { line: 'x' })).rejects.toBeInstanceOf(ValidationError);
    await expect(producer.deleteMany(users, [{ id: 1n }, { name: 'no key' }])).rejects.toThrow(/a delete sets only key columns/);
  });

  it('routes deletes by key with their upserts, and the last operation per key wins', async () => {
    await producer.submitMany(users, Array.from({ length: 60 }, (_, i) => ({ id: BigInt(i), name: `u${i}` })));
    await producer.deleteMany(users, Array.from({ length: 30 }, (_, i) => ({ id: BigInt(2 * i) }))); // the even ids
    await producer.submit(users, { id: 10n, name: 'back' }); // after its delete: stays
    await producer.delete(users, { id: 11n });
    const expected = Array.from({ length: 60 }, (_, i) => i).filter((i) => (i % 2 === 1 && i !== 11) || i === 10);
    expect(await waitFor(async () => JSON.stringify(await ids()) === JSON.stringify(expected), 30_000, 100)).toBe(true);
    const [back] = await pgQuery<{ name: string }>(`SELECT name FROM ${table} WHERE id = 10`);
    expect(back?.name).toBe('back');
  });

  it('dead-letters a delete the table refuses (23503) alone, shows it as a delete, and replays it', async () => {
    await pgQuery(`INSERT INTO ${child} VALUES (1, 13)`);
    await producer.deleteMany(users, [{ id: 13n }, { id: 15n }]);
    const entries = async () => (await Promise.all(consumer.dlqs.map((d) => d.list()))).flat();
    expect(await waitFor(async () => (await entries()).length === 1 && !(await ids()).includes(15), 30_000, 100)).toBe(true);
    const [entry] = await entries();
    expect(entry?.entry.request).toEqual({ $delete: true, id: { $int64: '13' }, v: { $int64: expect.any(String) } });
    expect(entry?.entry.errorCode).toBe('23503');
    expect(await ids()).toContain(13);
    await pgQuery(`DELETE FROM ${child}`);
    for (const dlq of consumer.dlqs) await dlq.replay();
    expect(await waitFor(async () => !(await ids()).includes(13), 30_000, 100)).toBe(true);
  });

  it('counts the deletes committed separately (batchflow_deletes_committed_total)', async () => {
    const series = (text: string, name: string) => Number(new RegExp(`^${name}\\{schema="${users.name}",sink="postgres"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    // 31 deletes in the second test; 15, then 13 once replayed, in the third (the dead-lettered attempt is not a commit).
    expect(await waitFor(async () => series(await metrics.metrics(), 'batchflow_deletes_committed_total') === 33, 10_000, 100)).toBe(true);
    expect(series(await metrics.metrics(), 'batchflow_rows_committed_total')).toBeGreaterThan(33);
  });
});
