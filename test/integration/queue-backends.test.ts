// The queue-level behaviour of BatchFlow, once per queue backend (Redis, and PostgreSQL through
// BullMQ's PostgreSQL backend): one suite, parameterised, like the SQL dialect conformance suite.
// No test here is written per backend; what a backend cannot offer is refused, and the refusals
// are tested at the end, also for both.
import { describe, expect, it } from 'vitest';
import { BatchConsumer, ConfigError, migrateQueueSchema, MockExecutor, PostgresDriver, Producer, QueueUnavailableError, Schema, SinkError, SQLSchema, type BatchConsumerOptions, type BatchExecutor, type ProducerOptions } from '../../src/index.js';
import { SchemaQueueView } from '../../src/queue/admin/index.js';
import { decodePayloadRows } from '../../src/core/codec.js';
import type { Request } from '../../src/core/request.js';
import { readHealth } from '../../src/queue/consumer/index.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { discoverSchemas } from '../../src/queue/state/discover-schemas.js';
import { stateOf } from '../../src/queue/state/state-of.js';
import { FailedJobSweeper } from '../../src/queue/consumer/failed-job-sweeper.js';
import { TolerantWorker } from '../../src/queue/consumer/tolerant-worker.js';
import { DeadLetterQueue } from '../../src/queue/dead-letter/index.js';
import { useCleanups } from '../helpers/cleanups.js';
import { QUEUE_BACKENDS, type QueueSpace } from '../helpers/queue-backends.js';
import { waitFor } from '../helpers/redis.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';

const events = Schema('events', { id: 'int64', body: 'string' });
const spread = Schema('spread', { id: 'int64', body: 'string' }, { partitions: 3 });
const defer = useCleanups();
const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), body: `b${from + i}` }));
const idsOf = (mock: MockExecutor) => mock.committedRequests().map((r) => r.getInt64('id'));

describe.each(QUEUE_BACKENDS)('queues on $name', (backend) => {
  async function space(): Promise<QueueSpace> {
    const opened = await backend.open('qb');
    defer(() => opened.drop());
    return opened;
  }
  function producerOn(at: QueueSpace, options: Partial<ProducerOptions> = {}): Producer {
    const producer = new Producer({ connection: at.connection, schemas: [events, spread], prefix: at.prefix, ...options });
    defer(() => producer.close());
    return producer;
  }
  function consumerOn(at: QueueSpace, executor: MockExecutor, options: Partial<BatchConsumerOptions> = {}): BatchConsumer {
    const consumer = new BatchConsumer({ connection: at.connection, schema: events, executor, prefix: at.prefix, flushSize: 100, flushIntervalMs: 100, ...options });
    defer(() => consumer.close());
    return consumer;
  }

  it('round trip: every submitted request is committed once, in batches of at most flushSize', async () => {
    const at = await space();
    const mock = new MockExecutor();
    const producer = producerOn(at);
    await consumerOn(at, mock).waitUntilReady();
    await Promise.all(rows(500).map((row) => producer.submit(events, row)));
    expect(await waitFor(() => mock.committedRequests().length >= 500)).toBe(true);
    expect(new Set(idsOf(mock)).size).toBe(500);
    expect(Math.max(...mock.committed.map((c) => c.requests.length))).toBeLessThanOrEqual(100);
    expect(await at.holdsQueue('events')).toBe(true);
  });

  it('packs concurrent submits into shared jobs, each submit resolving once stored', async () => {
    const at = await space();
    const producer = producerOn(at);
    await Promise.all(rows(250).map((row) => producer.submit(events, row)));
    const queue = openQueue('events', at.client(), at.prefix);
    defer(() => queue.close());
    const sizes = (await queue.getWaiting(0, -1)).map((job) => (job.data as { rows: unknown[] }).rows.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(250);
    expect(sizes.length).toBeLessThanOrEqual(5);
  });

  it('enqueues a request with an idempotency key once while its job exists', async () => {
    const at = await space();
    const producer = producerOn(at);
    await producer.submit(events, { id: 1n, body: 'a' }, { idempotencyKey: 'order-1' });
    await producer.submit(events, { id: 1n, body: 'a' }, { idempotencyKey: 'order-1' });
    await producer.submit(events, { id: 2n, body: 'b' }, { idempotencyKey: 'order-2' });
    const queue = openQueue('events', at.client(), at.prefix);
    defer(() => queue.close());
    expect((await queue.getJobCounts('waiting')).waiting).toBe(2);
  });

  it('retries a retryable failure with backoff and commits everything, dead-lettering nothing', async () => {
    const at = await space();
    let failures = 3;
    const mock = new MockExecutor({
      behaviour: () => {
        if (failures-- > 0) throw new SinkError('deadlock', 'deadlock detected', { sinkCode: '40P01' });
      },
    });
    const consumer = consumerOn(at, mock, { retryBaseMs: 10, retryMaxMs: 50 });
    await producerOn(at).submitMany(events, rows(200));
    expect(await waitFor(() => mock.committedRequests().length === 200)).toBe(true);
    expect(await consumer.dlq.count()).toBe(0);
  });

  it('bisects a poisoned batch into the DLQ, and replay (dry run, then for real) lands the fixed rows', async () => {
    const at = await space();
    let poisoned = true;
    const mock = new MockExecutor({
      behaviour: (_schema, requests) => {
        if (poisoned && requests.some((r) => r.getInt64('id') % 50n === 7n)) throw new SinkError('non_retryable', 'check violation', { sinkCode: '23514' });
      },
    });
    const consumer = consumerOn(at, mock, { deadLetterWorker: true });
    await producerOn(at).submitMany(events, rows(500));
    expect(await waitFor(async () => (await consumer.dlq.count()) === 10 && mock.committedRequests().length === 490)).toBe(true);
    const records = await consumer.dlq.list();
    expect(records.map((r) => (r.entry.request as { id: { $int64: string } }).id.$int64).sort()).toEqual(Array.from({ length: 10 }, (_, k) => String(k * 50 + 7)).sort());
    expect(records[0]?.entry).toMatchObject({ class: 'non_retryable', errorCode: '23514', schema: 'events' });
    expect(await waitFor(async () => (await consumer.dlq.list()).every((r) => r.state === 'failed'))).toBe(true);
    expect(await consumer.dlq.replay({ dryRun: true })).toMatchObject({ selected: 10, done: 0 });
    poisoned = false;
    const progress: number[] = [];
    expect(await consumer.dlq.replay({ onProgress: (done) => progress.push(done) })).toMatchObject({ selected: 10, done: 10 });
    expect(progress.at(-1)).toBe(10);
    expect(await waitFor(() => mock.committedRequests().length === 500)).toBe(true);
    expect(await consumer.dlq.count()).toBe(0);
    // Idempotent: a second replay finds nothing, and no row is written twice.
    expect(await consumer.dlq.replay()).toMatchObject({ selected: 0, done: 0 });
    expect(new Set(idsOf(mock)).size).toBe(500);
  });

  it('keeps a replay mark only while its DLQ entry exists (PostgreSQL: the upkeep prunes bf_replayed; Redis: the mark is a field of the entry)', async () => {
    const at = await space();
    let poisoned = true;
    const mock = new MockExecutor({
      behaviour: (_schema, requests) => {
        if (poisoned && requests.some((r) => r.getInt64('id') < 2n)) throw new SinkError('non_retryable', 'check violation', { sinkCode: '23514' });
      },
    });
    const consumer = consumerOn(at, mock, { deadLetterWorker: true, failedJobSweepIntervalMs: 100 });
    await producerOn(at).submitMany(events, rows(4));
    expect(await waitFor(async () => (await consumer.dlq.list()).filter((r) => r.state === 'failed').length === 2)).toBe(true);
    poisoned = false;
    const [gone, kept] = await Promise.all((await consumer.dlq.list()).map((r) => consumer.dlq.queue.getJob(r.id)));
    if (!gone || !kept) throw new Error('DLQ entries missing');
    // One replay that ran to the end (enqueued, marked, entry removed); one that stopped after the mark (a crash).
    expect(await consumer.dlq.requeue(gone)).toBe(true);
    await gone.remove();
    expect(await consumer.dlq.requeue(kept)).toBe(true);
    const state = stateOf(at.client());
    expect(await waitFor(async () => !(await state.isReplayed(consumer.dlq.queue, gone)), 10_000)).toBe(true);
    expect(await state.isReplayed(consumer.dlq.queue, kept)).toBe(true);
    // The half-done replay is finished by the next one without a second enqueue: every row once.
    expect(await consumer.dlq.replay()).toMatchObject({ selected: 1 });
    expect(await waitFor(() => mock.committedRequests().length === 4)).toBe(true);
    expect(new Set(idsOf(mock)).size).toBe(4);
    expect(mock.committedRequests()).toHaveLength(4);
  });

  it('opens the breaker while the sink is unreachable, dead-letters nothing, keeps the jobs, and resumes', async () => {
    const at = await space();
    let down = true;
    let attempts = 0;
    const mock = new MockExecutor({
      behaviour: () => {
        attempts++;
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    });
    const consumer = consumerOn(at, mock, { breakerProbeBaseMs: 50, breakerProbeMaxMs: 200 });
    const states: string[] = [];
    consumer.on('breaker', ({ state }) => states.push(state));
    await producerOn(at).submitMany(events, rows(300));
    expect(await waitFor(() => states.includes('open'))).toBe(true);
    const seen = attempts;
    expect(await waitFor(() => attempts >= seen + 3)).toBe(true); // probes go on while open
    expect(await consumer.dlq.count()).toBe(0);
    down = false;
    expect(await waitFor(() => mock.committedRequests().length === 300)).toBe(true);
    expect(states).toContain('closed');
    expect(await consumer.dlq.count()).toBe(0);
  });

  it('spreads a partitioned schema over its queues, and one consumer drains them all', async () => {
    const at = await space();
    const mock = new MockExecutor();
    await producerOn(at).submitMany(spread, rows(300));
    for (const name of ['spread#0', 'spread#1', 'spread#2']) expect(await at.holdsQueue(name)).toBe(true);
    consumerOn(at, mock, { schema: spread });
    expect(await waitFor(() => mock.committedRequests().length === 300)).toBe(true);
    expect(new Set(idsOf(mock)).size).toBe(300);
  });

  it('shuts down gracefully: close() flushes and commits the batch it holds', async () => {
    const at = await space();
    const mock = new MockExecutor();
    // A batch that would wait 60 s for its timer: only close() can flush it in time.
    const consumer = new BatchConsumer({ connection: at.connection, schema: events, executor: mock, prefix: at.prefix, flushSize: 10_000, flushIntervalMs: 60_000 });
    await producerOn(at).submitMany(events, rows(200));
    expect(await waitFor(() => consumer.state === 'filling')).toBe(true);
    expect(await waitFor(async () => (await consumer.dlqs[0]?.count()) === 0 && mock.committedRequests().length === 0)).toBe(true);
    await consumer.close();
    expect(consumer.state).toBe('closed');
    expect(mock.committedRequests().length).toBe(200);
  });

  it('keeps the newest keepCompletedJobs.count completed jobs (on PostgreSQL trimmed by the upkeep, not at each completion)', async () => {
    const at = await space();
    // One job per request, one request per batch, spaced beyond the trim's 0.1 s margin.
    const mock = new MockExecutor({ behaviour: () => new Promise((resolve) => setTimeout(resolve, 150)) });
    await consumerOn(at, mock, { flushSize: 1, maxInFlightBatches: 1 }).waitUntilReady();
    const producer = producerOn(at, { packing: false, keepCompletedJobs: { count: 3, ageSeconds: 3600 } });
    for (const row of rows(7)) await producer.submit(events, row);
    expect(await waitFor(() => mock.committedRequests().length >= 7)).toBe(true);
    const queue = openQueue('events', at.client(), at.prefix);
    defer(() => queue.close());
    // The ids of the completed jobs kept, in order.
    const kept = async () => {
      const jobs = await queue.getJobs(['completed'], 0, -1, false);
      return jobs.flatMap((job) => decodePayloadRows(events, job.data).map((row) => (row as Request).getInt64('id'))).sort((a, b) => Number(a - b));
    };
    // The newest three (the last three submitted) stay, once the trim has run (at once on Redis).
    expect(await waitFor(async () => (await kept()).join() === '4,5,6')).toBe(true);
  });

  it('sweeps jobs BullMQ itself failed into the DLQ, one entry per row, and replays them', async () => {
    const at = await space();
    const client = at.client();
    await producerOn(at, { jobAttempts: 1 }).submitMany(events, rows(3));
    const failing = new TolerantWorker('events', async () => Promise.reject(new Error('store went away while dead-lettering')), { connection: client, prefix: at.prefix });
    const queue = openQueue('events', client, at.prefix);
    const dlq = new DeadLetterQueue('events', client, at.prefix);
    const sweeper = new FailedJobSweeper({ schema: events, dlq, connection: client, prefix: at.prefix });
    defer(async () => {
      await sweeper.close();
      await dlq.close();
      await queue.close();
    });
    expect(await waitFor(async () => (await queue.getJobCounts('failed')).failed === 1)).toBe(true);
    await failing.close();
    expect(await sweeper.sweep()).toBe(1);
    const records = await dlq.list();
    expect(records.map((r) => r.entry.class)).toEqual(['queue_failed', 'queue_failed', 'queue_failed']);
    expect(await dlq.replay()).toMatchObject({ selected: 3, done: 3 });
    expect((await queue.getJobCounts('waiting')).waiting).toBe(3);
  });

  it('exactly-once: a batch written again after a lost COMMIT reply lands once, and the ledger pruner empties the ledger', async () => {
    const at = await space();
    const table = uniqueTable('qb_eo');
    await pgQuery(`CREATE TABLE ${table} (req text NOT NULL, n bigint NOT NULL)`);
    defer(() => pgQuery(`DROP TABLE IF EXISTS ${table}, ${table}__batchflow_ledger`));
    const schema = SQLSchema(table, 'insert', { req: 'string', n: 'int64' }, { delivery: 'exactly-once' });
    const driver = new PostgresDriver({ connectionString: PG_URL });
    defer(() => driver.close());
    let lostReplies = 0;
    const executor: BatchExecutor = {
      sink: driver.sink,
      ...(driver.ledger && { ledger: driver.ledger }),
      async execute(s, requests, signal) {
        await driver.execute(s, requests, signal);
        if (lostReplies++ === 0) throw new SinkError('connection', 'connection lost before the COMMIT reply arrived');
      },
    };
    const consumer = new BatchConsumer({ connection: at.connection, schema, executor, prefix: at.prefix, flushSize: 100, flushIntervalMs: 100, retryBaseMs: 50, ledgerPruneDelayMs: 0 });
    defer(() => consumer.close());
    const producer = new Producer({ connection: at.connection, schemas: [schema], prefix: at.prefix });
    defer(() => producer.close());
    await producer.submitMany(schema, Array.from({ length: 300 }, (_, i) => ({ req: `r${i}`, n: BigInt(i) })));
    expect(await waitFor(async () => (await pgCount(table)) >= 300, 30_000)).toBe(true);
    expect(await waitFor(async () => (await pgCount(`${table}__batchflow_ledger`)) === 0, 20_000, 200)).toBe(true);
    expect(await pgCount(table)).toBe(300);
    expect(lostReplies).toBeGreaterThan(1);
  });

  it('shows stats: queue depths, the live consumers\' health, and the schemas found in the store', async () => {
    const at = await space();
    await producerOn(at).submitMany(events, rows(40));
    const client = at.client();
    const view = await SchemaQueueView.open('events', client, at.prefix);
    defer(() => view.close());
    expect(await view.counts()).toMatchObject({ waiting: 1, active: 0, failed: 0, dlq: 0 });
    const mock = new MockExecutor();
    const consumer = consumerOn(at, mock, { queueDepthIntervalMs: 200 });
    expect(await waitFor(() => mock.committedRequests().length === 40)).toBe(true);
    expect(await waitFor(async () => (await readHealth(client, at.prefix, 'events')).some((h) => h.breaker === 'closed'))).toBe(true);
    expect(await waitFor(async () => (await view.counts()).waiting === 0)).toBe(true);
    expect((await discoverSchemas(client, at.prefix)).map((s) => s.name)).toContain('events');
    await consumer.close();
  });
});

describe('what the PostgreSQL queue backend refuses, and why', () => {
  it('refuses replicas (Redis WAIT), naming synchronous replication', () => {
    expect(() => new Producer({ connection: { postgres: 'postgres://127.0.0.1/x' }, schemas: [events], replicas: { count: 1 } })).toThrow(ConfigError);
    expect(() => new Producer({ connection: { postgres: 'postgres://127.0.0.1/x' }, schemas: [events], replicas: { count: 1 } })).toThrow(/synchronous replication/);
  });

  it('never runs DDL in a producer: on a schema never migrated, submit() rejects naming the migration, and creates nothing', async () => {
    const schema = `bfq_never_${Date.now()}`;
    const producer = new Producer({ connection: { postgres: PG_URL, schema }, schemas: [events], enqueueTimeoutMs: 5000 });
    defer(() => producer.close());
    const err = await producer.submit(events, { id: 1n, body: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueUnavailableError);
    expect(String(err)).toMatch(/not initialized\. Run the migrations/);
    expect(await pgQuery('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
  });

  it('migrates once when many workers start together: six concurrent migrateQueueSchema() calls all succeed', async () => {
    const schema = `bfq_race_${Date.now()}`;
    defer(() => pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => migrateQueueSchema({ postgres: PG_URL, schema })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('refuses a queue schema that is not a simple identifier', () => {
    expect(() => new Producer({ connection: { postgres: 'postgres://127.0.0.1/x', schema: 'a-b' }, schemas: [events] })).toThrow(/connection.schema/);
  });
});
