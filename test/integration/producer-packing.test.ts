// Adaptive packing (the Producer default) on both queue backends: what a user sees in the queue,
// in the sink and in the DLQ.
import { describe, expect, it } from 'vitest';
import { BatchConsumer, ConfigError, MockExecutor, Producer, Schema, SinkError, type ProducerOptions } from '../../src/index.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { useCleanups } from '../helpers/cleanups.js';
import { parkedCount } from '../helpers/dlq-parked.js';
import { QUEUE_BACKENDS, openSpace, type QueueBackend } from '../helpers/queue-backends.js';
import { REDIS_URL, waitFor } from '../helpers/redis.js';

const events = Schema('events', { id: 'int64', body: 'string' });
const defer = useCleanups();

async function setup(backend: QueueBackend, options: Partial<ProducerOptions> = {}) {
  const at = await openSpace(backend, 'pack', defer);
  const { connection, prefix } = at;
  const producer = new Producer({ connection, schemas: [events], prefix, ...options });
  const queue = openQueue('events', at.client(), prefix); // the queue exactly as BatchFlow opens it
  defer(async () => {
    await producer.close();
    await queue.close();
  });
  /** Every job waiting, with the number of requests it carries. */
  const jobs = async () => (await queue.getWaiting(0, -1)).map((job) => (job.data as { rows: unknown[] }).rows.length);
  return { producer, queue, connection, prefix, jobs };
}

const row = (i: number, body = `b${i}`) => ({ id: BigInt(i), body });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function timeSequential(producer: Producer, n: number, from: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await producer.submit(events, row(from + i));
    times.push(performance.now() - started);
  }
  return times;
}

describe.each(QUEUE_BACKENDS)('Producer adaptive packing (default) on $name', (backend) => {
  it('sends lone submits at once: one job each, no slower than packing off', async () => {
    const packed = await setup(backend);
    const off = await setup(backend, { packing: false });
    await timeSequential(packed.producer, 10, 0); // warm both connections
    await timeSequential(off.producer, 10, 0);
    const withPacking: number[] = [];
    const without: number[] = [];
    for (let round = 0; round < 4; round++) {
      withPacking.push(...(await timeSequential(packed.producer, 25, 100 + round * 25)));
      without.push(...(await timeSequential(off.producer, 25, 100 + round * 25)));
    }
    expect(await packed.jobs()).toEqual(Array.from({ length: 110 }, () => 1));
    // No linger: a lone submit waits for nothing but the store (1 ms of slack for a shared machine).
    expect(median(withPacking)).toBeLessThanOrEqual(median(without) + 1);
  });

  it('packs concurrent submits into shared jobs, and each submit resolves once stored', async () => {
    const { producer, jobs } = await setup(backend);
    await Promise.all(Array.from({ length: 250 }, (_, i) => producer.submit(events, row(i))));
    const sizes = await jobs();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(250);
    expect(sizes.length).toBeLessThanOrEqual(5);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
  });

  it('packs submits that arrive while a send is in flight into the next job', async () => {
    const { producer, jobs } = await setup(backend);
    const first = producer.submit(events, row(0));
    await new Promise((r) => setImmediate(r)); // the first job's send is now in flight
    const later = Array.from({ length: 30 }, (_, i) => producer.submit(events, row(i + 1)));
    await Promise.all([first, ...later]);
    expect((await jobs()).sort((a, b) => a - b)).toEqual([1, 30]);
  });

  it('shows a packed job in Bull Board terms: the schema name, its count and its requests in the data', async () => {
    const { producer, queue } = await setup(backend);
    await producer.submitMany(events, Array.from({ length: 37 }, (_, i) => row(i)));
    const [job] = await queue.getWaiting(0, -1);
    expect(job?.name).toBe('events');
    expect(job?.data).toMatchObject({ v: 1, s: 'events', n: 37 });
    expect((job?.data as { rows: unknown[] }).rows[36]).toEqual({ id: { $int64: '36' }, body: 'b36' });
  });

  it('caps a job by maxRequestsPerJob and by maxBytesPerJob', async () => {
    const byCount = await setup(backend, { packing: { maxRequestsPerJob: 10 } });
    await byCount.producer.submitMany(events, Array.from({ length: 35 }, (_, i) => row(i)));
    expect((await byCount.jobs()).sort((a, b) => b - a)).toEqual([10, 10, 10, 5]);
    const byBytes = await setup(backend, { packing: { maxBytesPerJob: 10_000 } });
    await byBytes.producer.submitMany(events, Array.from({ length: 20 }, (_, i) => row(i, 'x'.repeat(1000))));
    const sizes = await byBytes.jobs();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
  });

  it('keeps keyed submits deduplicated, each alone in its job, next to packed ones', async () => {
    const { producer, queue, jobs } = await setup(backend);
    await Promise.all([
      ...Array.from({ length: 3 }, () => producer.submit(events, row(9), { idempotencyKey: 'order:9' })),
      producer.submit(events, row(10), { idempotencyKey: 'order:10' }),
      ...Array.from({ length: 20 }, (_, i) => producer.submit(events, row(100 + i))),
    ]);
    await producer.submit(events, row(9), { idempotencyKey: 'order:9' });
    const waiting = await queue.getWaiting(0, -1);
    const keyed = waiting.filter((job) => job.id?.startsWith('k_'));
    expect(keyed.map((job) => (job.data as { rows: unknown[] }).rows.length)).toEqual([1, 1]);
    expect((await jobs()).reduce((a, b) => a + b, 0)).toBe(22);
  });

  it('dead-letters only the poison row of a packed job; its neighbours commit', async () => {
    const { producer, connection, prefix, jobs } = await setup(backend);
    const executor = new MockExecutor({
      behaviour: (_schema, requests) => {
        if (requests.some((r) => r.getString('body') === 'poison')) throw new SinkError('non_retryable', 'check violation', { sinkCode: '23514' });
      },
    });
    await producer.submitMany(events, Array.from({ length: 40 }, (_, i) => row(i, i === 17 ? 'poison' : `b${i}`)));
    expect(await jobs()).toEqual([40]);
    const consumer = new BatchConsumer({ connection, schema: events, executor, prefix, flushIntervalMs: 50, queueDepthIntervalMs: 0 });
    defer(() => consumer.close());
    expect(await waitFor(async () => executor.committedRequests().length === 39 && (await parkedCount(consumer.dlq)) === 1)).toBe(true);
    const [entry] = await consumer.dlq.list();
    expect(entry?.entry).toMatchObject({ request: { id: { $int64: '17' }, body: 'poison' }, class: 'non_retryable', errorCode: '23514' });
    expect(executor.committedRequests().map((r) => r.getString('body'))).not.toContain('poison');
  });

  it('a consumer still reads an old-version payload (v1 without schema name or count)', async () => {
    const { queue, connection, prefix } = await setup(backend);
    await queue.add('events', { v: 1, rows: [{ id: { $int64: '1' }, body: 'old' }, { id: { $int64: '2' }, body: 'older' }] });
    const executor = new MockExecutor();
    const consumer = new BatchConsumer({ connection, schema: events, executor, prefix, flushIntervalMs: 50, queueDepthIntervalMs: 0 });
    defer(() => consumer.close());
    expect(await waitFor(() => executor.committedRequests().length === 2)).toBe(true);
    expect(executor.committedRequests().map((r) => r.getString('body'))).toEqual(['old', 'older']);
    expect(await consumer.dlq.count()).toBe(0);
  });
});

// Option checks run in the constructor, before any connection: nothing per backend to test, so once.
describe('Producer packing options', () => {
  it.each([
    [{ packing: { maxRequestsPerJob: 0 } }, 'packing.maxRequestsPerJob'],
    [{ packing: { maxRequestsPerJob: 2.5 } }, 'packing.maxRequestsPerJob'],
    [{ packing: { maxBytesPerJob: -1 } }, 'packing.maxBytesPerJob'],
    [{ packing: { lingerMs: -5 } }, 'packing.lingerMs'],
    [{ packing: { lingerMs: Number.NaN } }, 'packing.lingerMs'],
    [{ packing: 'yes' as never }, 'packing'],
    [{ maxPayloadBytes: 0 }, 'maxPayloadBytes'],
    [{ jobAttempts: 0 }, 'jobAttempts'],
    [{ enqueueTimeoutMs: Number.POSITIVE_INFINITY }, 'enqueueTimeoutMs'],
  ] as Array<[Partial<ProducerOptions>, string]>)('refuses %o with a ConfigError naming %s', (options, field) => {
    let error: unknown;
    try {
      new Producer({ connection: REDIS_URL, schemas: [events], ...options });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });
});
