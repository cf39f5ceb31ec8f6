// The queues on PostgreSQL (BullMQ's PostgreSQL backend), on a PRIVATE server that holds both the
// queues (their own schema) and the target table, the one-dependency deployment. Faults: an
// immediate shutdown (`pg_ctl stop -m immediate`, like a crash) and restart of that database, with
// submits already resolved and workers draining; and SIGKILL of worker processes. Checked as a user
// would: every acknowledged row lands, none twice (the key makes redeliveries idempotent), nothing
// dead-lettered because the database went away.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterQueue, Producer, SQLSchema, migrateQueueSchema } from '../../src/index.js';
import { createQueueClient } from '../../src/queue/connection.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { atScale, recordFigures, since } from '../helpers/chaos-figures.js';
import { PG_WORKER, SCORE_COLUMNS, committedRows, scoreRows } from '../helpers/chaos-pg.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { useCleanups } from '../helpers/cleanups.js';
import { uniqueTable } from '../helpers/pg.js';
import { PrivatePostgres } from '../helpers/private-postgres.js';
import { uniquePrefix, waitFor } from '../helpers/redis.js';

const defer = useCleanups();
const N = atScale(50_000, 6_000);
const DEADLINE_MS = atScale(8 * 60_000, 2 * 60_000);
let server: PrivatePostgres;

beforeAll(async () => {
  server = await PrivatePostgres.create();
  await server.start();
}, 120_000);
afterAll(() => server?.cleanup());

/** A table and a queue schema on the private server, a producer on it, and the read side. */
async function scenario(label: string, producerOptions: { packing?: false } = {}) {
  const table = uniqueTable(label);
  const queueSchema = `bfq_${label}`;
  const connection = { postgres: server.url, schema: queueSchema };
  await server.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, score int)`);
  await migrateQueueSchema(connection);
  const schema = SQLSchema(table, 'update', SCORE_COLUMNS);
  const prefix = uniquePrefix(label);
  const producer = new Producer({ connection, schemas: [schema], prefix, ...producerOptions });
  const client = createQueueClient(connection, 'worker');
  const queue = openQueue(schema.name, client, prefix);
  const dlq = new DeadLetterQueue(schema.name, client, prefix);
  const workers: Spawned[] = [];
  defer(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.allSettled([producer.close(), queue.close(), dlq.close()]);
    client.disconnect();
  });
  const count = async (sql: string) => Number((await server.query<{ n: string }>(sql))[0]?.n ?? 0);
  return {
    schema,
    producer,
    queue,
    dlq,
    workers: workers as readonly Spawned[],
    worker(): Spawned {
      // Locks of 10 s, not the fixture's 3 s: on the PostgreSQL backend a worker holding ~1,000 jobs
      // renews their locks more slowly, and at 3 s under load it lost its own jobs to the stalled
      // check and cycled without draining (3,000 jobs, one worker, no kill, load 12; drained at 30 s).
      const w = spawnNode([PG_WORKER], { QUEUE_PG_URL: server.url, QUEUE_SCHEMA: queueSchema, PG_URL: server.url, TABLE: table, PREFIX: prefix, FLUSH_SIZE: '500', FLUSH_INTERVAL_MS: '200', LOCK_DURATION_MS: '10000' });
      workers.push(w);
      return w;
    },
    landed: () => count(`SELECT count(*)::text AS n FROM ${table}`),
    duplicates: () => count(`SELECT (count(*) - count(DISTINCT id))::text AS n FROM ${table}`),
    states: () => server.query(`SELECT state, count(*)::int AS n, min(locked_until_ms - (extract(epoch from now()) * 1000)::bigint) AS lock_left_ms, max(stalled_count) AS stalled FROM ${queueSchema}.job GROUP BY state`),
    pending: async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0),
  };
}

describe('chaos: queues on PostgreSQL (private server)', () => {
  it(`keeps ${N} resolved submits across an immediate shutdown of the queue database, then drains them exactly once`, async () => {
    const s = await scenario('pgq_crash');
    const started = performance.now();
    // No worker yet: every job is in the queue tables when the database crashes.
    for (let from = 0; from < N; from += 2000) await s.producer.submitMany(s.schema, scoreRows(Math.min(2000, N - from), from));
    await server.stop('immediate');
    await server.start();
    const w = s.worker();
    await w.waitForLine(/"ready"/);
    expect(await waitFor(async () => (await s.landed()) === N, DEADLINE_MS, 250)).toBe(true);
    expect(await waitFor(async () => (await s.pending().catch(() => -1)) === 0, 60_000, 250)).toBe(true);
    const duplicates = await s.duplicates();
    const deadLettered = await s.dlq.count();
    recordFigures({ scenario: 'PG queue: submits resolved, then stop -m immediate + restart', submitted: N, landed: await s.landed(), duplicates, deadLettered, faults: 1, durationMs: since(started) });
    expect(duplicates).toBe(0);
    expect(deadLettered).toBe(0);
  });

  it(`holds the consumer while the queue database is down mid-drain (breaker), loses nothing, and resumes`, async () => {
    const s = await scenario('pgq_outage');
    const w = s.worker();
    await w.waitForLine(/"ready"/);
    const started = performance.now();
    for (let from = 0; from < N; from += 2000) await s.producer.submitMany(s.schema, scoreRows(Math.min(2000, N - from), from));
    // Crash the database while the worker drains (some rows landed, not all).
    expect(await waitFor(async () => (await s.landed()) > 0, 60_000, 50)).toBe(true);
    const before = await s.landed();
    await server.stop('immediate');
    await sleep(atScale(5000, 2000)); // the outage itself: nothing to wait for but time
    expect(w.child.exitCode).toBe(null); // the worker rides the outage out
    await server.start();
    expect(await waitFor(async () => (await s.landed().catch(() => 0)) === N, DEADLINE_MS, 250)).toBe(true);
    expect(await waitFor(async () => (await s.pending().catch(() => -1)) === 0, 60_000, 250)).toBe(true);
    const duplicates = await s.duplicates();
    const deadLettered = await s.dlq.count();
    recordFigures({ scenario: 'PG queue: database down mid-drain (stop -m immediate), restart', submitted: N, landed: N, duplicates, deadLettered, faults: 1, durationMs: since(started), notes: `${before} rows had landed at the crash` });
    expect(before).toBeLessThan(N);
    expect(duplicates).toBe(0);
    expect(deadLettered).toBe(0);
  });

  it(`lands ${N} requests exactly once while a worker is SIGKILLed every 2 s`, async () => {
    // One job per request, as in worker-crashes.test.ts: the most redelivery per crash, and a drain
    // long enough for the kills to land mid-way.
    const s = await scenario('pgq_kill', { packing: false });
    const slots: Spawned[] = Array.from({ length: 3 }, () => s.worker());
    await Promise.all(slots.map((w) => w.waitForLine(/"ready"/)));
    const started = performance.now();
    const submitting = (async () => {
      for (let from = 0; from < N; from += 1000) await s.producer.submitMany(s.schema, scoreRows(Math.min(1000, N - from), from));
    })();
    let kills = 0;
    const deadline = Date.now() + DEADLINE_MS;
    while (((await s.landed()) < N || kills < 3) && Date.now() < deadline) {
      await sleep(2000);
      const slot = kills % slots.length;
      const victim = slots[slot] as Spawned;
      victim.child.kill('SIGKILL');
      await victim.exited;
      kills++;
      slots[slot] = s.worker();
    }
    await submitting;
    const allLanded = await waitFor(async () => (await s.landed()) === N, DEADLINE_MS, 250);
    if (!allLanded) console.log('not landed:', await s.landed(), JSON.stringify(await s.states()));
    expect(allLanded).toBe(true);
    const drained = await waitFor(async () => (await s.pending()) === 0, 60_000, 500);
    if (!drained) console.log('not drained:', JSON.stringify(await s.states()), s.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length, 'workers alive');
    const duplicates = await s.duplicates();
    const deadLettered = await s.dlq.count();
    recordFigures({ scenario: 'PG queue: 3 workers, SIGKILL every 2 s', submitted: N, landed: await s.landed(), duplicates, deadLettered, faults: kills, durationMs: since(started), notes: `${kills} kills; ${committedRows(s.workers) - N} rows redelivered and upserted again` });
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(duplicates).toBe(0);
    expect(deadLettered).toBe(0);
    expect(drained).toBe(true);
  });
});
