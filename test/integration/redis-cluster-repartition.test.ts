// Changing `partitions` online on a Redis Cluster (3 masters + 3 replicas, PostgreSQL): the layout
// registry and the probes touch one slot per command, so a consumer of N = 4 finds and drains
// what producers of N = 1 wrote (before it started, and after), and a view counts both layouts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver, Producer, SQLSchema } from '../../src/index.js';
import { createRedis } from '../../src/queue/connection.js';
import { SchemaQueueView } from '../../src/queue/admin/schema-queue-view.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { uniquePrefix, waitFor } from '../helpers/redis.js';

const table = uniqueTable('cl_repart');
const prefix = uniquePrefix('clrepart');
const at = (partitions: number) => SQLSchema(table, 'ignore', { id: 'int64', body: 'string' }, { partitions });
let cluster: RedisCluster;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  cluster = await RedisCluster.start();
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, body text NOT NULL)`);
}, 90_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await cluster?.stop();
  await pgQuery(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
});

describe('repartitioning 1 → 4 on a Redis Cluster', () => {
  it('counts both layouts and drains both, including what the old producers write after the new worker started', async () => {
    const connection = { cluster: { nodes: cluster.seeds } };
    const oldProducer = new Producer({ connection, prefix, schemas: [at(1)], packing: false });
    const newProducer = new Producer({ connection, prefix, schemas: [at(4)], packing: false });
    cleanups.push(() => oldProducer.close(), () => newProducer.close());
    for (let i = 0; i < 100; i++) {
      await oldProducer.submit(at(1), { id: BigInt(i), body: 'old' });
      await newProducer.submit(at(4), { id: BigInt(1000 + i), body: 'new' });
    }
    const redis = createRedis(connection, 'worker');
    cleanups.push(async () => redis.disconnect());
    const view = await SchemaQueueView.open(table, redis, prefix, 4);
    cleanups.push(() => view.close());
    expect(view.otherQueues).toEqual([table]);
    expect((await view.counts()).waiting).toBe(200);

    const executor = new PostgresDriver({ connectionString: PG_URL });
    const consumer = new BatchConsumer({ connection, prefix, schema: at(4), executor, flushIntervalMs: 50, layoutCheckIntervalMs: 200 });
    cleanups.push(async () => {
      await consumer.close();
      await executor.close();
    });
    await consumer.waitUntilReady();
    expect(await waitFor(async () => (await pgCount(table)) === 200, 60_000, 200)).toBe(true);
    for (let i = 0; i < 50; i++) await oldProducer.submit(at(1), { id: BigInt(2000 + i), body: 'late old' });
    expect(await waitFor(async () => (await pgCount(table)) === 250, 60_000, 200)).toBe(true);
  }, 150_000);
});
