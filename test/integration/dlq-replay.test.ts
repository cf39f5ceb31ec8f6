// DLQ replay's crash safety and job options, on both queue backends.
import { describe, expect, it } from 'vitest';
import { Schema } from '../../src/core/schema.js';
import { SinkError } from '../../src/errors/sink-error.js';
import { BatchConsumer } from '../../src/queue/consumer/batch-consumer.js';
import type { DeadLetterEntry } from '../../src/queue/dead-letter-entry.js';
import { DeadLetterQueue } from '../../src/queue/dead-letter/dead-letter-queue.js';
import { Producer } from '../../src/queue/producer/producer.js';
import { MockExecutor } from '../../src/testing/mock-executor.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { TolerantWorker } from '../../src/queue/consumer/tolerant-worker.js';
import { useCleanups } from '../helpers/cleanups.js';
import { parkedCount } from '../helpers/dlq-parked.js';
import { QUEUE_BACKENDS, openSpace } from '../helpers/queue-backends.js';
import { waitFor } from '../helpers/redis.js';

const defer = useCleanups();
const events = Schema('events', { id: 'int64', body: 'string' });

function entry(overrides: Partial<DeadLetterEntry> = {}): DeadLetterEntry {
  const at = new Date().toISOString();
  return { schema: 'events', request: { id: { $int64: '1' }, body: 'x' }, class: 'non_retryable', reason: 'non_retryable', errorCode: '23514', message: 'check', attempts: 1, firstFailedAt: at, lastFailedAt: at, sourceJobId: '7', sourceJobTimestamp: 1, replays: 0, ...overrides };
}

describe.each(QUEUE_BACKENDS)('DLQ replay on $name', (backend) => {
  async function setup(dlqOptions?: ConstructorParameters<typeof DeadLetterQueue>[3]) {
    const at = await openSpace(backend, 'dlqreplay', defer);
    const { prefix } = at;
    const client = at.client();
    const dlq = new DeadLetterQueue('events', client, prefix, dlqOptions);
    const target = openQueue('events', client, prefix);
    defer(async () => {
      await dlq.close();
      await target.close();
    });
    return { at, prefix, client, dlq, target };
  }

  describe('DLQ replay survives a crash between requeue and remove', () => {
    it('enqueues the request once even after its replayed job completed and was removed', async () => {
      const { at, prefix, dlq, target } = await setup();
      await dlq.add([{ key: '7_0', entry: entry() }]);
      const parked = await dlq.queue.getJob('d_7_0');
      if (!parked) throw new Error('entry missing');

      // The first replay got as far as the requeue, then the process died before removing the entry.
      expect(await dlq.requeue(parked)).toBe(true);
      expect(await dlq.count()).toBe(1);
      // The replayed job is processed and, with removeOnComplete, gone without a trace.
      let processed = 0;
      const worker = new TolerantWorker('events', async () => void processed++, { connection: at.client(), prefix });
      defer(() => worker.close());
      expect(await waitFor(async () => processed === 1 && (await target.getJob('r_d_7_0')) === undefined)).toBe(true);

      // The second replay finds the mark: it finishes the removal and enqueues nothing.
      expect(await dlq.replay()).toEqual({ selected: 1, done: 1, skipped: 0, dropped: 0, refused: 0, stale: 0, refusals: [], failedAgain: 0, failedAgainIds: [] });
      expect(await dlq.count()).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(processed).toBe(1);
      expect(await target.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 });
    });

    it('a requeue of an entry already marked enqueues nothing', async () => {
      const { dlq, target } = await setup();
      await dlq.add([{ key: '8_0', entry: entry({ sourceJobId: '8' }) }]);
      const job = await dlq.queue.getJob('d_8_0');
      if (!job) throw new Error('entry missing');
      expect(await dlq.requeue(job)).toBe(true);
      await target.remove('r_d_8_0'); // as if it completed
      expect(await dlq.requeue(job)).toBe(false);
      expect(await target.getJobCounts('waiting')).toEqual({ waiting: 0 });
    });
  });

  describe('job options in one place: a replay enqueues as the producer did', () => {
    it("uses the source job's attempts, else the DLQ's jobAttempts, with the producer's backoff", async () => {
      const { dlq, target } = await setup({ jobAttempts: 7 });
      await dlq.add([
        { key: '1_0', entry: entry({ sourceJobId: '1', jobAttempts: 3 }) },
        { key: '2_0', entry: entry({ sourceJobId: '2', request: { id: { $int64: '2' }, body: 'y' } }) },
      ]);
      expect(await dlq.replay()).toMatchObject({ done: 2 });
      const [first, second] = await Promise.all([target.getJob('r_d_1_0'), target.getJob('r_d_2_0')]);
      expect(first?.opts).toMatchObject({ attempts: 3, removeOnComplete: true, removeOnFail: false, backoff: { type: 'exponential', delay: 1000 } });
      expect(second?.opts.attempts).toBe(7);
      expect(first?.data).toMatchObject({ v: 1, s: 'events', rows: [{ id: { $int64: '1' }, body: 'x' }], replay: { replays: 1 } });
    });
  });

  describe('a resubmit under the same idempotency key that fails again', () => {
    async function pipeline() {
      const { connection, prefix } = await openSpace(backend, 'dlqresubmit', defer);
      let failures = 0;
      const mock = new MockExecutor({
        behaviour: (_schema, requests) => {
          if (requests.some((r) => r.getString('body').startsWith('bad'))) throw new SinkError('non_retryable', `check violation #${++failures}`, { sinkCode: '23514' });
        },
      });
      // ping() answers: the evidence that the sink is healthy and the lone request is at fault.
      const executor = { sink: mock.sink, execute: mock.execute.bind(mock), ping: async () => {} };
      const producer = new Producer({ connection, schemas: [events], prefix, jobAttempts: 4 });
      const consumer = new BatchConsumer({ connection, schema: events, executor, prefix, flushSize: 10, flushIntervalMs: 50, deadLetterWorker: true });
      defer(async () => {
        await producer.close();
        await consumer.close();
      });
      return { producer, consumer, mock, prefix };
    }

    it('updates the existing entry (attempts, last failure, message) instead of dropping the failure', async () => {
      const { producer, consumer } = await pipeline();
      await producer.submit(events, { id: 1n, body: 'bad' }, { idempotencyKey: 'order-1' });
      expect(await waitFor(async () => (await parkedCount(consumer.dlq)) === 1)).toBe(true);
      const [first] = await consumer.dlq.list();
      expect(first?.entry).toMatchObject({ class: 'non_retryable', message: 'check violation #1', jobAttempts: 4 });
      // The keyed job completed (its failure is recorded) and left the queue, so the key is free again.
      expect(await waitFor(async () => (await consumer.dlq.list())[0]?.state === 'failed')).toBe(true);

      await producer.submit(events, { id: 1n, body: 'bad' }, { idempotencyKey: 'order-1' });
      expect(await waitFor(async () => (await consumer.dlq.list())[0]?.entry.message !== 'check violation #1')).toBe(true);
      const records = await consumer.dlq.list();
      expect(records).toHaveLength(1);
      const merged = records[0]?.entry as DeadLetterEntry;
      expect(merged.message).toMatch(/^check violation #\d+$/);
      expect(merged.attempts).toBeGreaterThan(first?.entry.attempts as number);
      expect(merged.firstFailedAt).toBe(first?.entry.firstFailedAt);
      expect(Date.parse(merged.lastFailedAt)).toBeGreaterThanOrEqual(Date.parse(first?.entry.lastFailedAt as string));
      expect(merged.sourceJobTimestamp).not.toBe(first?.entry.sourceJobTimestamp);

      // A different request under the same key is a failure of its own: it gets its own entry.
      await producer.submit(events, { id: 2n, body: 'bad too' }, { idempotencyKey: 'order-1' });
      expect(await waitFor(async () => (await parkedCount(consumer.dlq)) === 2)).toBe(true);
      expect((await consumer.dlq.list()).map((r) => (r.entry.request as { body: string }).body).sort()).toEqual(['bad', 'bad too']);
    });

    it('keeps a failure delivered twice (its job redelivered after a crash) once, and re-enters one whose entry is gone', async () => {
      const { dlq } = await setup();
      const failure = { key: 'k_abc_0', entry: entry({ sourceJobId: 'k_abc', sourceJobTimestamp: 1000 }) };
      expect(await dlq.add([failure])).toBe(1);
      expect(await dlq.add([failure])).toBe(0);
      expect((await dlq.list()).map((r) => r.entry.attempts)).toEqual([1]);
      await dlq.purge();
      expect(await dlq.add([failure])).toBe(1);
      expect(await dlq.count()).toBe(1);
    });

    it('a new failure of an entry whose replay stopped short of removing it gets a fresh entry', async () => {
      const { dlq, target } = await setup();
      await dlq.add([{ key: 'k_abc_0', entry: entry({ sourceJobId: 'k_abc', sourceJobTimestamp: 1000 }) }]);
      const job = await dlq.queue.getJob('d_k_abc_0');
      if (!job) throw new Error('entry missing');
      await dlq.requeue(job); // crash before the removal
      await target.remove('r_d_k_abc_0');
      expect(await dlq.add([{ key: 'k_abc_0', entry: entry({ sourceJobId: 'k_abc', sourceJobTimestamp: 2000, message: 'again' }) }])).toBe(1);
      const records = await dlq.list();
      expect(records.map((r) => r.entry.message)).toEqual(['again']);
      // And a replay of the fresh entry enqueues it (the old mark went with the old entry).
      expect(await dlq.replay()).toMatchObject({ done: 1 });
      expect(await target.getJob('r_d_k_abc_0')).toBeDefined();
    });
  });
});
