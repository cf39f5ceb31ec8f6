import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { BatchConsumer, noopMetrics, Producer, RedisDriver, Schema, type MetricsReporter } from '../../src/index.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';
import { useCleanups } from '../helpers/cleanups.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

const defer = useCleanups();
const N = 8;

/** Clients whose name (`CLIENT SETNAME`) starts with `prefix`: the consumers' own and BullMQ's blocking duplicates (`<prefix>:{queue}:…`). */
async function connectionsNamed(redis: Redis, prefix: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => / name=(\S+)/.exec(line)?.[1]?.startsWith(prefix)).length;
}

/** Fails one job of `schema`'s queue in BullMQ itself (a Worker whose processor throws, one attempt), before any consumer runs. */
async function failOneJob(redis: Redis, prefix: string, schema: Schema): Promise<void> {
  const keys = queueKeyPrefix(prefix, schema.name);
  const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix, jobAttempts: 1, packing: false });
  await producer.submit(schema, { cmd: 'SET', key: `${prefix}:never`, a1: 'x' });
  await producer.close();
  const queue = new Queue(schema.name, { connection: redis, prefix: keys });
  const worker = new Worker(schema.name, () => Promise.reject(new Error('failed by BullMQ')), { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix: keys });
  expect(await waitFor(async () => (await queue.getJobCounts('failed')).failed === 1)).toBe(true);
  await worker.close();
  await queue.close();
}

describe('many schemas in one process', () => {
  it(`${N} consumers hold at most 2 Redis connections per schema plus one, and one upkeep timer per period does every schema's upkeep`, async () => {
    const prefix = uniquePrefix('many');
    const admin = new Redis(REDIS_URL);
    const sinkClient = new Redis(REDIS_URL);
    const driver = new RedisDriver({ client: sinkClient });
    const schemas = Array.from({ length: N }, (_, i) => Schema(`s${i}`, ['cmd', 'key', 'a1']));
    const last = schemas[N - 1] as Schema;
    await failOneJob(admin, prefix, last);

    // What a worker config with many schemas gives every consumer: the same connection options.
    const connection = { host: new URL(REDIS_URL).hostname, port: Number(new URL(REDIS_URL).port || 6379), connectionName: `${prefix}:worker` };
    const sampled = new Set<string>();
    const metrics: MetricsReporter = { ...noopMetrics, queueDepth: (schema) => void sampled.add(schema) };
    const intervals = vi.spyOn(globalThis, 'setInterval');
    const consumers = schemas.map((schema) => new BatchConsumer({ connection, prefix, schema, executor: driver, metrics, logger: false, failedJobSweepIntervalMs: 200, queueDepthIntervalMs: 300, layoutCheckIntervalMs: 400, flushIntervalMs: 50 }));
    defer(async () => {
      intervals.mockRestore();
      await Promise.all(consumers.map((c) => c.close()));
      await driver.close();
      sinkClient.disconnect();
      await deletePrefix(prefix);
      admin.disconnect();
    });
    await Promise.all(consumers.map((c) => c.waitUntilReady()));

    // Each Worker and each DLQ worker has its blocking connection; everything else shares one client.
    await waitFor(async () => (await connectionsNamed(admin, prefix)) >= 2 * N);
    expect(await connectionsNamed(admin, prefix)).toBeLessThanOrEqual(2 * N + 1);

    // Upkeep reaches the last schema: its failed job is swept into its DLQ, and every schema's depth is sampled.
    const lastConsumer = consumers[N - 1] as BatchConsumer;
    expect(await waitFor(async () => (await lastConsumer.dlq.count()) === 1, 10_000)).toBe(true);
    expect((await lastConsumer.dlq.list())[0]?.entry).toMatchObject({ reason: 'queue_failed', message: 'failed by BullMQ' });
    expect(await waitFor(() => sampled.size === N, 10_000)).toBe(true);
    // Three periods (sweep, depth, layout), whatever the number of schemas.
    expect(intervals.mock.calls.filter(([, ms]) => ms === 200 || ms === 300 || ms === 400).length).toBeLessThanOrEqual(3);

    // And the write path still works on the shared client: a request to the last schema commits.
    const producer = new Producer({ connection: REDIS_URL, schemas: [last], prefix });
    defer(() => producer.close());
    await producer.submit(last, { cmd: 'SET', key: `${prefix}:out`, a1: 'landed' });
    expect(await waitFor(async () => (await admin.get(`${prefix}:out`)) === 'landed')).toBe(true);
  });

  it('closing one consumer leaves the shared client to the others', async () => {
    const prefix = uniquePrefix('many_close');
    const sinkClient = new Redis(REDIS_URL);
    const driver = new RedisDriver({ client: sinkClient });
    const a = Schema('a', ['cmd', 'key', 'a1']);
    const b = Schema('b', ['cmd', 'key', 'a1']);
    const connection = REDIS_URL;
    const first = new BatchConsumer({ connection, prefix, schema: a, executor: driver, logger: false, flushIntervalMs: 50 });
    const second = new BatchConsumer({ connection, prefix, schema: b, executor: driver, logger: false, flushIntervalMs: 50 });
    const producer = new Producer({ connection: REDIS_URL, schemas: [b], prefix });
    defer(async () => {
      await producer.close();
      await second.close();
      await driver.close();
      sinkClient.disconnect();
      await deletePrefix(prefix);
    });
    await Promise.all([first.waitUntilReady(), second.waitUntilReady()]);
    await first.close();
    await producer.submit(b, { cmd: 'SET', key: `${prefix}:after`, a1: 'still' });
    expect(await waitFor(async () => (await sinkClient.get(`${prefix}:after`)) === 'still')).toBe(true);
    expect(second.state).not.toBe('closed');
  });
});
