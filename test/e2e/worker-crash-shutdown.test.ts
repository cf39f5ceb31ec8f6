import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { Producer, SQLSchema } from '../../src/index.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';

const WORKER = new URL('../fixtures/pg-worker.mjs', import.meta.url).pathname;
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(label: string) {
  const prefix = uniquePrefix(label);
  const table = uniqueTable(label);
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, score int)`);
  const schema = SQLSchema(table, 'update', { id: 'int64', name: 'string', score: 'int32' });
  const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
  const queue = new Queue(schema.name, { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(prefix, schema.name) });
  const dlq = new Queue(`${schema.name}.dlq`, { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(prefix, `${schema.name}.dlq`) });
  cleanups.push(async () => {
    await Promise.all([producer.close(), queue.close(), dlq.close()]);
    await deletePrefix(prefix);
    await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  });
  const worker = (env: Record<string, string> = {}): Spawned => {
    const w = spawnNode([WORKER], { REDIS_URL, PG_URL, TABLE: table, PREFIX: prefix, ...env });
    cleanups.push(() => {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
    });
    return w;
  };
  return { schema, table, producer, queue, dlq, worker };
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: BigInt(i), name: `r${i}`, score: i % 100 }));

describe('worker processes (real Redis + PostgreSQL)', () => {
  it('loses nothing when a worker is killed with SIGKILL mid-run: every row exactly once, DLQ empty', async () => {
    const { schema, table, producer, dlq, worker } = await setup('kill');
    const first = worker({ FLUSH_SIZE: '500', SLOW_MS: '50' });
    await first.waitForLine(/"ready"/);
    await producer.submitMany(schema, rows(20_000));
    expect(await waitFor(async () => (await pgCount(table)) >= 3000, 60_000)).toBe(true);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const landedAtKill = await pgCount(table);
    expect(landedAtKill).toBeLessThan(20_000);

    const second = worker({ FLUSH_SIZE: '500' });
    await second.waitForLine(/"ready"/);
    expect(await waitFor(async () => (await pgCount(table)) === 20_000, 90_000, 200)).toBe(true);
    const [dups] = await pgQuery<{ n: string }>(`SELECT (count(*) - count(DISTINCT id))::text AS n FROM ${table}`);
    expect(dups?.n).toBe('0');
    expect(Object.values(await dlq.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('on SIGTERM during a flush, commits the in-flight batch, leaves nothing active and exits 0', async () => {
    const { schema, table, producer, queue, worker } = await setup('term');
    const w = worker({ FLUSH_SIZE: '100', SLOW_MS: '1500' });
    await w.waitForLine(/"ready"/);
    await producer.submitMany(schema, rows(1000));
    await w.waitForLine(/"executing"/);
    const committedBefore = await pgCount(table);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.lines.some((l) => l.includes('"closed"'))).toBe(true);
    const committed = await pgCount(table);
    expect(committed).toBeGreaterThan(committedBefore); // the batch in flight at SIGTERM committed
    const counts = await queue.getJobCounts('active', 'waiting', 'completed', 'failed', 'delayed');
    expect(counts.active).toBe(0);
    expect(counts.failed).toBe(0);
    // Every row is committed or still in a job waiting for the next worker, handed back without
    // penalty (jobs are packed: count rows, not jobs; a handed-back job may hold committed rows too).
    const held = await queue.getJobs(['waiting', 'delayed']);
    expect(held.every((job) => job.attemptsMade === 0)).toBe(true);
    const heldIds = held.flatMap((job) => (job.data as { rows: Array<{ id: { $int64: string } }> }).rows.map((row) => row.id.$int64));
    const landed = await pgQuery<{ id: string }>(`SELECT id::text AS id FROM ${table}`);
    expect(new Set([...landed.map((r) => r.id), ...heldIds]).size).toBe(1000);
  });
});
