import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { BatchConsumer, MockExecutor, Producer, Schema, SinkError, type BatchConsumerOptions, type ProducerOptions } from '../../src/index.js';
import { EVENTS_STREAM_MAX_LEN } from '../../src/queue/open-queue.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';

const events = Schema('events', { id: 'int64', body: 'string' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(executor: MockExecutor, options: Partial<BatchConsumerOptions> = {}, producerOptions: Partial<ProducerOptions> = {}) {
  const prefix = uniquePrefix('pipe');
  const producer = new Producer({ connection: REDIS_URL, schemas: [events], prefix, ...producerOptions });
  const consumer = new BatchConsumer({ connection: REDIS_URL, schema: events, executor, prefix, flushSize: 100, flushIntervalMs: 200, ...options });
  cleanups.push(async () => {
    await producer.close();
    await consumer.close();
    await deletePrefix(prefix);
  });
  return { producer, consumer, prefix };
}

describe('pipeline with MockExecutor (real Redis)', () => {
  it('delivers every request once in batches no larger than flushSize', async () => {
    const mock = new MockExecutor();
    const { producer } = setup(mock);
    await producer.submitMany(events, Array.from({ length: 1000 }, (_, i) => ({ id: BigInt(i), body: `b${i}` })));
    expect(await waitFor(() => mock.committedRequests().length >= 1000)).toBe(true);
    const ids = mock.committedRequests().map((r) => r.getInt64('id'));
    expect(new Set(ids).size).toBe(1000);
    expect(Math.max(...mock.committed.map((c) => c.requests.length))).toBeLessThanOrEqual(100);
  });

  it('keeps the BullMQ events stream and the kept completed jobs bounded, so Redis memory returns after a drain', async () => {
    const mock = new MockExecutor();
    // One job per request, so 4,000 jobs complete; Bull Board's history keeps the last 500 of them.
    const { producer, prefix } = setup(mock, {}, { packing: false, keepCompletedJobs: { count: 500 } });
    await producer.submitMany(events, Array.from({ length: 4000 }, (_, i) => ({ id: BigInt(i), body: 'x' })));
    expect(await waitFor(() => mock.committedRequests().length >= 4000)).toBe(true);
    const redis = new Redis(REDIS_URL);
    const keys = `${queueKeyPrefix(prefix, 'events')}:events`;
    const length = await redis.xlen(`${keys}:events`);
    // The kept jobs are trimmed to the count as jobs complete: their hashes are all that remain.
    expect(await waitFor(async () => (await redis.zcard(`${keys}:completed`)) === 500)).toBe(true);
    let jobHashes = 0;
    for await (const batch of redis.scanStream({ match: `${keys}:[0-9]*`, count: 1000 })) jobHashes += (batch as string[]).length;
    redis.disconnect();
    expect(jobHashes).toBe(500);
    // 4,000 jobs emit well over 8,000 events; trimming is approximate (XADD MAXLEN ~), so allow slack.
    expect(length).toBeLessThanOrEqual(EVENTS_STREAM_MAX_LEN * 2);
  });

  it('bisects a poisoned batch: good requests commit, only bad ones reach the DLQ, replay lands them', async () => {
    let poisoned = true;
    const mock = new MockExecutor({
      behaviour: (_schema, requests) => {
        if (poisoned && requests.some((r) => r.getInt64('id') % 50n === 7n)) throw new SinkError('non_retryable', 'check violation', { sinkCode: '23514' });
      },
    });
    const { producer, consumer } = setup(mock);
    const dead: string[] = [];
    consumer.on('dead-lettered', ({ entries }) => dead.push(...entries.map((e) => e.reason)));
    await producer.submitMany(events, Array.from({ length: 500 }, (_, i) => ({ id: BigInt(i), body: 'x' })));
    expect(await waitFor(async () => (await consumer.dlq.count()) === 10 && mock.committedRequests().length === 490)).toBe(true);
    const records = await consumer.dlq.list();
    expect(records.map((r) => (r.entry.request as { id: { $int64: string } }).id.$int64).sort()).toEqual(
      Array.from({ length: 10 }, (_, k) => String(k * 50 + 7)).sort(),
    );
    expect(records[0]?.entry).toMatchObject({ class: 'non_retryable', reason: 'non_retryable', errorCode: '23514', schema: 'events' });
    expect(await waitFor(async () => (await consumer.dlq.list()).every((r) => r.state === 'failed'))).toBe(true);

    poisoned = false;
    const progress: number[] = [];
    const result = await consumer.dlq.replay({ onProgress: (done) => progress.push(done) });
    expect(result).toMatchObject({ selected: 10, done: 10 });
    expect(progress.at(-1)).toBe(10);
    expect(await waitFor(() => mock.committedRequests().length === 500)).toBe(true);
    expect(await consumer.dlq.count()).toBe(0);
  });

  it('opens the breaker while the sink is unreachable, dead-letters nothing, and resumes', async () => {
    let down = true;
    const mock = new MockExecutor({
      behaviour: () => {
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    });
    const { producer, consumer } = setup(mock, { breakerProbeBaseMs: 50, breakerProbeMaxMs: 200 });
    const states: string[] = [];
    consumer.on('breaker', ({ state }) => states.push(state));
    await producer.submitMany(events, Array.from({ length: 300 }, (_, i) => ({ id: BigInt(i), body: 'x' })));
    expect(await waitFor(() => states.includes('open'))).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await consumer.dlq.count()).toBe(0);
    down = false;
    expect(await waitFor(() => mock.committedRequests().length === 300)).toBe(true);
    expect(states).toContain('closed');
    expect(await consumer.dlq.count()).toBe(0);
  });
});
