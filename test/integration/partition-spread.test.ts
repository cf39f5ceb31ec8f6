import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver, Producer, SQLSchema } from '../../src/index.js';
import { SchemaQueueView } from '../../src/queue/admin/schema-queue-view.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

// Standalone Redis, PostgreSQL: a keyless append-only schema and a SQL schema routed by `partitionBy`.
const PARTITIONS = 4;
const prefix = uniquePrefix('spread');
const logTable = uniqueTable('spread_log');
const tenantTable = uniqueTable('spread_tenant');
const log = SQLSchema(logTable, 'insert', { at: 'int64', line: 'string' }, { partitions: PARTITIONS });
const byTenant = SQLSchema(tenantTable, 'update', { tenant: 'string', id: 'int64', v: 'int32' }, { keys: ['tenant', 'id'], partitions: PARTITIONS, partitionBy: ['tenant'] });
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await pgQuery(`DROP TABLE IF EXISTS ${logTable}`);
  await pgQuery(`DROP TABLE IF EXISTS ${tenantTable}`);
  await deletePrefix(prefix);
});

describe('partitions of keyless and partitionBy SQL schemas', () => {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  cleanups.push(async () => redis.disconnect());

  it('spreads a keyless insert schema over every partition, and drains all of it', async () => {
    await pgQuery(`CREATE TABLE ${logTable} (at bigint NOT NULL, line text NOT NULL)`);
    const producer = new Producer({ connection: REDIS_URL, prefix, schemas: [log] });
    cleanups.push(() => producer.close());
    const ROWS = 40;
    for (let i = 0; i < ROWS / 2; i++) await producer.submit(log, { at: BigInt(i), line: 'same line' });
    await producer.submitMany(log, Array.from({ length: ROWS / 2 }, (_, i) => ({ at: BigInt(ROWS / 2 + i), line: 'same line' })));
    const view = new SchemaQueueView(log.name, redis, prefix, PARTITIONS);
    cleanups.push(() => view.close());
    // Rows per partition (packing may put several in one job).
    const waiting = await Promise.all(view.partitionQueues.map(async (queue) => (await queue.getJobs(['waiting'], 0, -1, true)).reduce((n, job) => n + (job.data as { rows: unknown[] }).rows.length, 0)));
    console.log(`keyless insert schema, rows per partition: ${waiting.join(', ')} (of ${ROWS})`);
    expect(waiting).toEqual([10, 10, 10, 10]);

    const executor = new PostgresDriver({ connectionString: PG_URL });
    const consumer = new BatchConsumer({ connection: REDIS_URL, prefix, schema: log, executor, flushIntervalMs: 50 });
    cleanups.push(async () => {
      await consumer.close();
      await executor.close();
    });
    expect(await waitFor(async () => (await pgCount(logTable)) === ROWS, 30_000, 100)).toBe(true);
  }, 60_000);

  it('routes a SQL schema by partitionBy (a key column): one tenant, one partition, in submit order', async () => {
    await pgQuery(`CREATE TABLE ${tenantTable} (tenant text, id bigint, v int, PRIMARY KEY (tenant, id))`);
    const producer = new Producer({ connection: REDIS_URL, prefix, schemas: [byTenant] });
    cleanups.push(() => producer.close());
    const tenants = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'wayne'];
    for (const tenant of tenants) await producer.submitMany(byTenant, Array.from({ length: 5 }, (_, i) => ({ tenant, id: BigInt(i), v: i })));
    const view = new SchemaQueueView(byTenant.name, redis, prefix, PARTITIONS);
    cleanups.push(() => view.close());
    const byPartition = await Promise.all(
      view.partitionQueues.map(async (queue) => {
        const jobs = await queue.getJobs(['waiting'], 0, -1, true);
        return new Set(jobs.flatMap((job) => (job.data as { rows: Array<{ tenant: string }> }).rows.map((r) => r.tenant)));
      }),
    );
    // Every tenant's rows sit in exactly one partition, and more than one partition is used.
    for (const tenant of tenants) expect(byPartition.filter((set) => set.has(tenant)).length).toBe(1);
    expect(byPartition.filter((set) => set.size > 0).length).toBeGreaterThan(1);
    const executor = new PostgresDriver({ connectionString: PG_URL });
    const consumer = new BatchConsumer({ connection: REDIS_URL, prefix, schema: byTenant, executor, flushIntervalMs: 50 });
    cleanups.push(async () => {
      await consumer.close();
      await executor.close();
    });
    expect(await waitFor(async () => (await pgCount(tenantTable)) === tenants.length * 5, 30_000, 100)).toBe(true);
  }, 60_000);
});
