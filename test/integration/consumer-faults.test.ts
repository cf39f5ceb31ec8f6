// The consumer's side of the fault model, on both queue backends: what happens to jobs at
// shutdown (graceful, and with the store gone), with unreadable job data, with throwing listeners
// and reporters; and, on a private Redis, a kill -9 of Redis at shutdown and its restart from the AOF.
import { Redis as IORedis, type Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { BatchConsumer, MockExecutor, noopMetrics, Producer, Schema, SinkError, type BatchConsumerOptions, type MetricsReporter } from '../../src/index.js';
import type { QueueConnection } from '../../src/queue/connection.js';
import { TolerantWorker } from '../../src/queue/consumer/tolerant-worker.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { useCleanups } from '../helpers/cleanups.js';
import { parkedCount } from '../helpers/dlq-parked.js';
import { QUEUE_BACKENDS, openSpace } from '../helpers/queue-backends.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const events = Schema('events', { id: 'int64', body: 'string' });
const defer = useCleanups();

const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), body: `b${from + i}` }));

describe.each(QUEUE_BACKENDS)('BatchConsumer under faults on $name', (backend) => {
  /** A producer and a consumer on a fresh namespace, reached on `via` (a proxy's port) or directly; the queue read directly. */
  async function setup(executor: MockExecutor, options: Partial<BatchConsumerOptions> = {}, via?: number) {
    const at = await openSpace(backend, 'cfault', defer);
    const { prefix } = at;
    const connection: QueueConnection = via === undefined ? at.connection : at.connectionVia(via);
    const producer = new Producer({ connection, schemas: [events], prefix, packing: false });
    const consumer = new BatchConsumer({ connection, schema: events, executor, prefix, flushSize: 50, flushIntervalMs: 100, queueDepthIntervalMs: 0, ...options });
    const queue = openQueue('events', at.client(), prefix);
    defer(async () => {
      await producer.close();
      await consumer.close();
      await queue.close();
    });
    return { at, producer, consumer, prefix, queue };
  }

  it('shutdown while the sink is down hands held jobs back to wait, with no attempt spent and no backoff', async () => {
    const down = new MockExecutor({
      behaviour: () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    });
    const { producer, consumer, queue } = await setup(down, { breakerThreshold: 1, shutdownTimeoutMs: 10_000 });
    const states: string[] = [];
    consumer.on('breaker', ({ state, reason }) => states.push(`${state}:${reason}`));
    await producer.submitMany(events, rows(20));
    expect(await waitFor(() => states.includes('open:connection')), states.join()).toBe(true);
    const started = Date.now();
    await consumer.close();
    // The sink was failing: close() did not wait for shutdownTimeoutMs.
    expect(Date.now() - started).toBeLessThan(5000);
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'failed', 'completed');
    expect(counts).toMatchObject({ wait: 20, active: 0, delayed: 0, failed: 0 });
    const jobs = await queue.getJobs(['wait']);
    expect(jobs.map((job) => job.attemptsMade)).toEqual(jobs.map(() => 0));
    expect(down.committed).toHaveLength(0);
  });

  it('close() finishes within shutdownTimeoutMs + 5 s when the store is gone at SIGTERM, and nothing is lost', async () => {
    // The producer and the consumer reach the store through a proxy; stopping it cuts them off (refused, reset) while the store runs on.
    const proxy = new TcpProxy(backend.port);
    await proxy.start();
    defer(() => proxy.stop());
    let release: (() => void) | undefined;
    const slow = new MockExecutor({ behaviour: () => new Promise<void>((resolve) => (release = resolve)) });
    const { producer, consumer, queue } = await setup(slow, { shutdownTimeoutMs: 1500 }, proxy.port);
    await producer.submitMany(events, rows(10));
    await producer.close();
    expect(await waitFor(() => slow.calls.length > 0)).toBe(true);
    await proxy.stop(); // the store unreachable for the consumer from here on
    const started = Date.now();
    await consumer.close();
    const tookMs = Date.now() - started;
    expect(tookMs).toBeLessThan(1500 + 5000);
    release?.();
    // Nothing acknowledged: the jobs are all still there, read directly.
    const counts = await queue.getJobCounts('wait', 'active', 'completed', 'failed');
    expect(counts.completed).toBe(0);
    expect(counts.failed).toBe(0);
    expect((counts.wait ?? 0) + (counts.active ?? 0)).toBe(10);
  });

  // Redis only: PostgreSQL stores job data as jsonb, so it cannot hold data that is not JSON (docs/guides/queue-backend.md).
  it.runIf(backend.name === 'redis')('a job whose stored data is not JSON is dead-lettered as undecodable, and the queue goes on', async () => {
    const mock = new MockExecutor();
    const { at, producer, consumer, prefix, queue: plain } = await setup(mock);
    await consumer.waitUntilReady();
    await producer.submit(events, { id: 1n, body: 'before' });
    expect(await waitFor(() => mock.committedRequests().length === 1)).toBe(true);
    await consumer.close(); // stop fetching while the bad job is planted
    const job = await plain.add('events', { v: 1, rows: [] });
    await (at.client() as Redis).hset(plain.toKey(job.id as string), 'data', '{"v":1,"rows":[ this is not json');
    await producer.submit(events, { id: 2n, body: 'after' });
    const second = new BatchConsumer({ connection: at.connection, schema: events, executor: mock, prefix, flushSize: 50, flushIntervalMs: 100, queueDepthIntervalMs: 0 });
    defer(() => second.close());
    expect(await waitFor(async () => (await parkedCount(second.dlq)) === 1 && mock.committedRequests().length === 2)).toBe(true);
    const [record] = await second.dlq.list();
    expect(record?.entry).toMatchObject({ class: 'undecodable', reason: 'decode', sourceJobId: job.id });
    expect(JSON.stringify(record?.entry.request)).toContain('this is not json');
    expect(await plain.getJobCounts('active', 'wait', 'failed')).toMatchObject({ active: 0, wait: 0, failed: 0 });
  });

  it('one undecodable row of a packed job is dead-lettered alone; its neighbours commit', async () => {
    const mock = new MockExecutor();
    const { consumer, queue: plain } = await setup(mock);
    const good = (i: number) => ({ id: { $int64: String(i) }, body: `b${i}` });
    await plain.add('events', { v: 1, s: 'events', rows: [good(1), good(2), { id: 'not an int64', body: 3 }, good(4)] });
    expect(await waitFor(async () => (await parkedCount(consumer.dlq)) === 1 && mock.committedRequests().length === 3)).toBe(true);
    const [record] = await consumer.dlq.list();
    expect(record?.entry).toMatchObject({ class: 'undecodable', reason: 'decode' });
    expect(record?.entry.message).toContain('row 2');
    expect(mock.committedRequests().map((r) => r.getInt64('id')).sort()).toEqual([1n, 2n, 4n]);
  });

  it('a throwing listener or metrics reporter is reported as an error and never fails a committed job', async () => {
    const mock = new MockExecutor();
    const broken: MetricsReporter = {
      ...noopMetrics,
      rowsCommitted: () => {
        throw new Error('metrics backend down');
      },
    };
    const { producer, consumer, queue } = await setup(mock, { metrics: broken });
    const errors: string[] = [];
    consumer.on('error', (err) => errors.push(err.message));
    consumer.on('batch:committed', () => {
      throw new Error('listener bug');
    });
    await producer.submitMany(events, rows(30));
    expect(await waitFor(async () => (await queue.getJobCounts('completed', 'wait', 'active')).wait === 0 && mock.committedRequests().length >= 30)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    // Each request committed once: no job was failed and redelivered.
    expect(mock.committedRequests()).toHaveLength(30);
    expect(await queue.getJobCounts('failed', 'delayed')).toMatchObject({ failed: 0, delayed: 0 });
    expect(errors).toContain('listener bug');
    expect(errors).toContain('metrics backend down');
  });

  it('batch:retry carries the id of the batch that is retried, and the in-flight gauge counts it', async () => {
    let calls = 0;
    const mock = new MockExecutor({
      behaviour: () => {
        if (calls++ === 0) throw new SinkError('deadlock', 'deadlock detected', { sinkCode: '40P01' });
      },
    });
    const inFlight: number[] = [];
    const { producer, consumer } = await setup(mock, { metrics: { ...noopMetrics, inFlightBatches: (_s, n) => inFlight.push(n) }, retryBaseMs: 1, retryMaxMs: 2 });
    const retried: string[] = [];
    const committed: string[] = [];
    consumer.on('batch:retry', ({ batchId }) => retried.push(batchId));
    consumer.on('batch:committed', ({ batchId }) => committed.push(batchId));
    await producer.submit(events, { id: 1n, body: 'x' });
    expect(await waitFor(() => committed.length === 1)).toBe(true);
    expect(retried).toEqual(committed);
    expect(inFlight[0]).toBe(1); // reported once the batch runs, not one too low
    expect(inFlight.at(-1)).toBe(0);
  });

  it('health says why work is held, and clears once the sink commits', async () => {
    let failing = true;
    const mock = new MockExecutor({
      behaviour: () => {
        if (failing) throw new SinkError('read_only', 'cannot execute INSERT in a read-only transaction', { sinkCode: '25006' });
      },
    });
    const { producer, consumer } = await setup(mock, { breakerThreshold: 2, breakerProbeMaxMs: 200 });
    await producer.submitMany(events, rows(5));
    expect(await waitFor(() => consumer.health.breaker === 'open')).toBe(true);
    expect(consumer.health.holding).toMatchObject({ reason: 'read_only', code: '25006' });
    expect(await consumer.dlq.count()).toBe(0);
    failing = false;
    const recoveredFrom = Date.now();
    expect(await waitFor(() => mock.committedRequests().length === 5)).toBe(true);
    expect(Date.now() - recoveredFrom).toBeLessThan(5000);
    expect(consumer.health).toMatchObject({ breaker: 'closed', streak: 0, holding: undefined });
  });

  it('jobs BullMQ itself failed are swept into the DLQ, listed and replayable', async () => {
    const mock = new MockExecutor();
    const { at, consumer, prefix, queue: plain } = await setup(mock, { failedJobSweepIntervalMs: 200 });
    await consumer.close(); // a plain Worker takes the job first and fails it for good
    const failing = new TolerantWorker('events', async () => { throw new Error('processor crashed'); }, { connection: at.client(), prefix });
    // The producer's own jobs get many attempts; one attempt makes BullMQ fail it at once.
    await plain.add('events', { v: 1, s: 'events', rows: [{ id: { $int64: '42' }, body: 'crashed' }] }, { attempts: 1 });
    expect(await waitFor(async () => (await plain.getJobCounts('failed')).failed === 1)).toBe(true);
    await failing.close();
    const second = new BatchConsumer({ connection: at.connection, schema: events, executor: mock, prefix, flushSize: 50, flushIntervalMs: 100, queueDepthIntervalMs: 0, failedJobSweepIntervalMs: 200 });
    defer(() => second.close());
    // Listed once the DLQ worker has parked it (see parkedCount).
    expect(await waitFor(async () => (await parkedCount(second.dlq)) === 1)).toBe(true);
    const [record] = await second.dlq.list();
    expect(record?.entry).toMatchObject({ class: 'queue_failed', message: 'processor crashed' });
    expect((await plain.getJobCounts('failed')).failed).toBe(0);
    await second.dlq.replay();
    expect(await waitFor(() => mock.committedRequests().some((r) => r.getInt64('id') === 42n))).toBe(true);
  });
});

describe('BatchConsumer when its Redis dies at SIGTERM (a private redis-server, AOF on)', () => {
  it('close() finishes within shutdownTimeoutMs + 5 s after kill -9 of Redis, and every job is there once Redis restarts from its AOF', async () => {
    const redis = await RedisServer.create();
    await redis.start();
    defer(() => redis.remove());
    let release: (() => void) | undefined;
    const slow = new MockExecutor({ behaviour: () => new Promise<void>((resolve) => (release = resolve)) });
    const prefix = 'cfault_aof';
    const producer = new Producer({ connection: redis.url, schemas: [events], prefix, packing: false });
    const consumer = new BatchConsumer({ connection: redis.url, schema: events, executor: slow, prefix, flushSize: 50, flushIntervalMs: 100, queueDepthIntervalMs: 0, shutdownTimeoutMs: 1500 });
    defer(() => consumer.close());
    await producer.submitMany(events, rows(10));
    await producer.close();
    expect(await waitFor(() => slow.calls.length > 0)).toBe(true);
    await redis.kill(); // no shutdown save: what survives is what the AOF holds
    const started = Date.now();
    await consumer.close();
    expect(Date.now() - started).toBeLessThan(1500 + 5000);
    release?.();
    await redis.start();
    const client = new IORedis(redis.url, { maxRetriesPerRequest: null });
    const queue = openQueue('events', client, prefix);
    defer(async () => {
      await queue.close();
      client.disconnect();
    });
    // Nothing was acknowledged, so nothing may be gone or completed.
    const counts = await queue.getJobCounts('wait', 'active', 'completed', 'failed');
    expect(counts.completed).toBe(0);
    expect(counts.failed).toBe(0);
    expect((counts.wait ?? 0) + (counts.active ?? 0)).toBe(10);
  });
});
