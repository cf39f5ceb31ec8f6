// What `maxInFlightBatches: 1` does and does not keep (docs/guides/partitions-and-cluster.md, "Per-key order: exactly what holds"):
// a worker commits a key's older value and is killed before completing its job; a newer value of
// the key is submitted and committed by the next worker (maxInFlightBatches: 1); the killed
// worker's job comes back about a lock duration later. At-least-once without a version column:
// the older value wins. With `versionColumn`, or with `delivery: 'exactly-once'` (its ledger skips
// the redelivery), the newer one stays.
import { afterAll, describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver, Producer, SQLSchema } from '../../src/index.js';
import { SchemaQueueView } from '../../src/queue/admin/schema-queue-view.js';
import { assertCliBuilt } from '../helpers/cli.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { PG_URL, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';
import { Redis } from 'ioredis';

const WORKER = new URL('../fixtures/commit-then-hang-worker.mjs', import.meta.url).pathname;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function redeliveredAfterNewer(mode: 'plain' | 'versioned' | 'exactly-once'): Promise<number> {
  const table = uniqueTable(`order_${mode.replace('-', '_')}`);
  const prefix = uniquePrefix('order');
  cleanups.push(() => pgQuery(`DROP TABLE IF EXISTS ${table}`), () => pgQuery(`DROP TABLE IF EXISTS ${table}__batchflow_ledger`), () => deletePrefix(prefix));
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, seq int NOT NULL, v bigint)`);
  const schema = SQLSchema(table, 'update', { id: 'int64', seq: 'int32' }, {
    ...(mode === 'versioned' && { versionColumn: 'v' }),
    ...(mode === 'exactly-once' && { delivery: 'exactly-once' as const }),
  });
  const producer = new Producer({ connection: REDIS_URL, prefix, schemas: [schema] });
  cleanups.push(() => producer.close());
  const first: Spawned = spawnNode([WORKER], { REDIS_URL, PREFIX: prefix, DB_URL: PG_URL, TABLE: table, VERSIONED: mode === 'versioned' ? '1' : '0', EXACTLY_ONCE: mode === 'exactly-once' ? '1' : '0' });
  cleanups.push(async () => first.child.kill('SIGKILL'));
  await first.waitForLine(/"ready"/);
  await producer.submit(schema, { id: 1n, seq: 0 });
  await first.waitForLine(/committed-then-hung/);
  first.child.kill('SIGKILL');
  await first.exited;

  await producer.submit(schema, { id: 1n, seq: 1 });
  const executor = new PostgresDriver({ connectionString: PG_URL });
  const next = new BatchConsumer({ connection: REDIS_URL, prefix, schema, executor, flushIntervalMs: 50, maxInFlightBatches: 1, lockDurationMs: 3000, stalledIntervalMs: 1000 });
  cleanups.push(async () => {
    await next.close();
    await executor.close();
  });
  const redis = new Redis(REDIS_URL);
  const view = new SchemaQueueView(schema.name, redis, prefix);
  cleanups.push(async () => {
    await view.close();
    redis.disconnect();
  });
  // The newer value commits first; the killed worker's job is back once its lock lapsed, and is drained too.
  const seq = async () => (await pgQuery<{ seq: number }>(`SELECT seq FROM ${table} WHERE id = 1`))[0]?.seq;
  expect(await waitFor(async () => (await seq()) === 1, 20_000, 50)).toBe(true);
  expect(await waitFor(async () => {
    const c = await view.counts();
    return c.waiting + c.active + c.delayed === 0;
  }, 30_000, 200)).toBe(true);
  return (await seq()) as number;
}

describe('per-key order after a commit-then-kill redelivery, maxInFlightBatches: 1 (PostgreSQL)', () => {
  it('at-least-once without a version column: the redelivered older value wins', async () => {
    assertCliBuilt();
    expect(await redeliveredAfterNewer('plain')).toBe(0);
  }, 60_000);
  it('with versionColumn: the newer value stays', async () => {
    expect(await redeliveredAfterNewer('versioned')).toBe(1);
  }, 60_000);
  it('with delivery exactly-once: the ledger skips the redelivery, the newer value stays', async () => {
    expect(await redeliveredAfterNewer('exactly-once')).toBe(1);
  }, 60_000);
});
