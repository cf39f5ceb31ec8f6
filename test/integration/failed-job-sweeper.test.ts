// The failed-job sweeper on both queue backends.
import { trace } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Schema } from '../../src/core/schema.js';
import { DeadLetterQueue } from '../../src/queue/dead-letter/dead-letter-queue.js';
import { deadLetterFromFailedJob } from '../../src/queue/dead-letter/dead-letter-factory.js';
import { FailedJobSweeper } from '../../src/queue/consumer/failed-job-sweeper.js';
import { TolerantWorker } from '../../src/queue/consumer/tolerant-worker.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { Producer } from '../../src/queue/producer/producer.js';
import type { MetricsReporter } from '../../src/metrics/metrics-reporter.js';
import { noopMetrics } from '../../src/metrics/metrics-reporter.js';
import { useCleanups } from '../helpers/cleanups.js';
import { startTestTracing } from '../helpers/otel.js';
import { QUEUE_BACKENDS, openSpace } from '../helpers/queue-backends.js';
import { waitFor } from '../helpers/redis.js';

const defer = useCleanups();
const events = Schema('events', { id: 'int64', body: 'string' });

/** A schema queue where every job fails in BullMQ itself: a Worker whose processor throws, with the producer's `jobAttempts: 1`. */
describe.each(QUEUE_BACKENDS)('FailedJobSweeper on $name', (backend) => {
  async function setup(options: { tracing?: boolean } = {}) {
    const at = await openSpace(backend, 'sweep', defer);
    const { connection, prefix } = at;
    const client = at.client();
    const producer = new Producer({ connection, schemas: [events], prefix, jobAttempts: 1, packing: { maxRequestsPerJob: 3, lingerMs: 1 }, ...options });
    const queue = openQueue('events', client, prefix);
    const dlq = new DeadLetterQueue('events', client, prefix);
    const dead: Array<[string, number]> = [];
    const metrics: MetricsReporter = { ...noopMetrics, rowsDeadLettered: (_schema, _sink, reason, count) => void dead.push([reason, count]) };
    const sweeper = new FailedJobSweeper({ schema: events, dlq, connection: client, prefix, metrics, pageSize: 2 });
    defer(async () => {
      await sweeper.close();
      await producer.close();
      await dlq.close();
      await queue.close();
    });
    const failAll = async (expected: number) => {
      const worker = new TolerantWorker('events', async () => Promise.reject(new Error('redis went away while dead-lettering')), { connection: at.client(), prefix });
      expect(await waitFor(async () => (await queue.getJobCounts('failed')).failed === expected)).toBe(true);
      await worker.close();
    };
    return { prefix, client, producer, queue, dlq, sweeper, dead, failAll };
  }

  describe('FailedJobSweeper', () => {
    it('moves jobs BullMQ failed into the DLQ, one entry per row, and replay puts them back in the queue', async () => {
      const { producer, queue, dlq, sweeper, dead, failAll } = await setup();
      await producer.submit(events, { id: 1n, body: 'alone' }, { idempotencyKey: 'one' });
      await producer.submitMany(events, [{ id: 2n, body: 'a' }, { id: 3n, body: 'b' }, { id: 4n, body: 'c' }]); // one packed job
      await queue.add('events', { v: 99, rows: 'nonsense' }, { jobId: 'odd', attempts: 1 });
      await failAll(3);
      expect(await dlq.count()).toBe(0); // the DLQ tools do not see BullMQ's failed set by themselves

      expect(await sweeper.sweep()).toBe(3);
      expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
      const records = await dlq.list();
      expect(records).toHaveLength(5);
      const rows = records.filter((r) => r.entry.class === 'queue_failed');
      expect(rows.map((r) => (r.entry.request as { body: string }).body).sort()).toEqual(['a', 'alone', 'b', 'c']);
      expect(rows[0]?.entry).toMatchObject({ reason: 'queue_failed', message: 'redis went away while dead-lettering', attempts: 1, jobAttempts: 1, errorCode: null });
      const odd = records.find((r) => r.entry.class === 'undecodable');
      expect(odd?.entry).toMatchObject({ request: { v: 99, rows: 'nonsense' }, sourceJobId: 'odd' });
      expect(odd?.entry.message).toMatch(/^redis went away while dead-lettering; /);
      // Reported per class, as the consumer reports its own dead-letters: four rows, one unreadable job.
      expect(dead.reduce((n, [reason, count]) => (reason === 'queue_failed' ? n + count : n), 0)).toBe(4);
      expect(dead.reduce((n, [reason, count]) => (reason === 'undecodable' ? n + count : n), 0)).toBe(1);
      expect(await sweeper.sweep()).toBe(0);

      expect(await dlq.replay({ filter: { class: 'queue_failed' } })).toEqual({ selected: 4, done: 4, skipped: 0, dropped: 0, refused: 0, stale: 0, refusals: [], failedAgain: 0, failedAgainIds: [] });
      const waiting = await queue.getJobs(['waiting'], 0, -1, true);
      expect(waiting.map((j) => (j.data as { rows: Array<{ body: string }> }).rows[0]?.body).sort()).toEqual(['a', 'alone', 'b', 'c']);
      expect(waiting.every((j) => j.id?.startsWith('r_d_') && j.opts.attempts === 1)).toBe(true);
      expect(await dlq.count()).toBe(1);
    });

    it('is idempotent across a crash between storing the entries and leaving the failed set', async () => {
      const { producer, queue, dlq, sweeper, failAll } = await setup();
      await producer.submitMany(events, [{ id: 5n, body: 'x' }, { id: 6n, body: 'y' }]);
      await failAll(1);
      const [failed] = await queue.getJobs(['failed']);
      if (!failed) throw new Error('no failed job');
      // A sweep that stored the entries, then died before removing the job.
      await dlq.add(deadLetterFromFailedJob(events, failed));
      expect(await dlq.count()).toBe(2);

      expect(await sweeper.sweep()).toBe(1);
      expect(await dlq.count()).toBe(2); // not duplicated
      expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
    });

    it("keeps each row's traceparent, as the consumer's own dead-letters do", async () => {
      const tracing = startTestTracing();
      defer(() => tracing.stop());
      const { producer, dlq, sweeper, failAll } = await setup({ tracing: true });
      const tracer = trace.getTracer('test-app');
      const submitted = await tracer.startActiveSpan('POST /events', async (span) => {
        await producer.submitMany(events, [{ id: 7n, body: 'p' }, { id: 8n, body: 'q' }]); // one packed job, both rows traced
        span.end();
        return span.spanContext();
      });
      await failAll(1);
      expect(await sweeper.sweep()).toBe(1);
      const records = await dlq.list();
      expect(records).toHaveLength(2);
      for (const { entry } of records) expect(entry.traceparent).toMatch(new RegExp(`^00-${submitted.traceId}-[0-9a-f]{16}-0[01]$`));
    });

    // Redis only: PostgreSQL stores job data as jsonb, so it cannot hold data that is not JSON (docs/guides/queue-backend.md).
    it.runIf(backend.name === 'redis')('sweeps a failed job whose stored data is not JSON into one undecodable entry', async () => {
      const { client, queue, dlq, sweeper, failAll } = await setup();
      const redis = client as Redis;
      await queue.add('events', { v: 1, rows: [] }, { jobId: 'broken', attempts: 1 });
      await failAll(1);
      await redis.hset(queue.toKey('broken'), 'data', '{not json');
      expect(await sweeper.sweep()).toBe(1);
      const [record] = await dlq.list();
      expect(record?.entry).toMatchObject({ class: 'undecodable', request: { $unreadable: '{not json' }, sourceJobId: 'broken' });
    });
  });
});
