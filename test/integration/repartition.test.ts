// Changing `partitions` online (standalone Redis, PostgreSQL): producers of the old layout (1) and
// of the new one (4) write at the same time while the workers are replaced, old N by new N. Every
// acknowledged request lands, per-key order holds with a version column, and `batchflow stats`
// counts every waiting request whatever layout holds it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { BatchConsumer, PostgresDriver, Producer, SQLSchema, type Schema } from '../../src/index.js';
import { SchemaQueueView } from '../../src/queue/admin/schema-queue-view.js';
import { createHttpServer } from '../../consumers/http-server.js';
import { assertCliBuilt, runCli } from '../helpers/cli.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const KEYS = 40;
const ROUNDS = 12;
const prefix = uniquePrefix('repart');
const kvTable = uniqueTable('repart_kv');
const logTable = uniqueTable('repart_log');
/** The same two schemas under N = 1 and N = 4: a versioned upsert (last submit wins) and an append log. */
const layout = (partitions: number) => ({
  kv: SQLSchema(kvTable, 'update', { id: 'int64', v: 'int64', by: 'string' }, { versionColumn: 'ver', partitions }),
  log: SQLSchema(logTable, 'ignore', { id: 'string', n: 'int64' }, { partitions }),
});
const OLD = layout(1);
const NEW = layout(4);

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await pgQuery(`DROP TABLE IF EXISTS ${kvTable}`);
  await pgQuery(`DROP TABLE IF EXISTS ${logTable}`);
  await deletePrefix(prefix);
});

function producer(schemas: { kv: Schema; log: Schema }): Producer {
  // One job per request, so the jobs `stats` counts are the requests acknowledged.
  const p = new Producer({ connection: REDIS_URL, prefix, schemas: [schemas.kv, schemas.log], packing: false });
  cleanups.push(() => p.close());
  return p;
}

function consumers(schemas: { kv: Schema; log: Schema }): Array<{ close: () => Promise<void>; ready: Promise<void> }> {
  return [schemas.kv, schemas.log].map((schema) => {
    const executor = new PostgresDriver({ connectionString: PG_URL });
    const consumer = new BatchConsumer({ connection: REDIS_URL, prefix, schema, executor, flushIntervalMs: 50, layoutCheckIntervalMs: 200 });
    const close = async () => {
      await consumer.close();
      await executor.close();
    };
    cleanups.push(close);
    return { close, ready: consumer.waitUntilReady() };
  });
}

interface StatsLine {
  schema: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  dlq: number;
  partitions?: Array<{ queue: string; waiting: number; current: boolean }>;
}

describe('repartitioning 1 → 4 online', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bf-repart-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const configFor = (partitions: number) => {
    const file = path.join(dir, `n${partitions}.json`);
    const schemas = [
      { sink: 'pg', table: kvTable, conflict: 'update', columns: { id: 'int64', v: 'int64', by: 'string' }, versionColumn: 'ver', partitions },
      { sink: 'pg', table: logTable, conflict: 'ignore', columns: { id: 'string', n: 'int64' }, partitions },
    ];
    writeFileSync(file, JSON.stringify({ redisUrl: REDIS_URL, prefix, sinks: { pg: { type: 'postgres', url: PG_URL } }, schemas }));
    return file;
  };
  const stats = async (partitions: number): Promise<StatsLine[]> => {
    const run = await runCli(['--config', configFor(partitions), 'stats', '--json', '--interval', '1']);
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as { schemas: StatsLine[] }).schemas;
  };

  it('drains both layouts while producers of both write and the workers change N; stats sees every waiting request', async () => {
    assertCliBuilt();
    await pgQuery(`CREATE TABLE ${kvTable} (id bigint PRIMARY KEY, v bigint NOT NULL, by text NOT NULL, ver bigint)`);
    await pgQuery(`CREATE TABLE ${logTable} (id text PRIMARY KEY, n bigint NOT NULL)`);
    const oldProducer = producer(OLD);
    const newProducer = producer(NEW);

    // 1. No worker yet: both layouts fill, and stats under either N counts every request.
    for (let i = 0; i < 30; i++) {
      await oldProducer.submit(OLD.log, { id: `pre-old-${i}`, n: BigInt(i) });
      await newProducer.submit(NEW.log, { id: `pre-new-${i}`, n: BigInt(i) });
    }
    for (const n of [4, 1]) {
      const lines = await stats(n);
      const log = lines.find((line) => line.schema === logTable);
      console.log(`stats under partitions ${n} before any worker: ${JSON.stringify(log?.partitions?.map((p) => [p.queue, p.waiting, p.current ? 'current' : 'other']))}`);
      // Soft: the drain below is checked too when this fails.
      expect.soft(log?.waiting, `waiting requests stats shows under partitions ${n}`).toBe(60);
      expect.soft(log?.partitions?.filter((p) => !p.current).reduce((sum, p) => sum + p.waiting, 0)).toBe(30);
    }

    // 2. Old workers (N = 1) run; producers of both layouts write; midway the workers are replaced by N = 4 ones.
    let workers = consumers(OLD);
    await Promise.all(workers.map((w) => w.ready));
    let acknowledged = 60;
    const last = new Map<number, { v: number; by: string }>();
    const writeKey = async (id: number) => {
      for (let round = 0; round < ROUNDS; round++) {
        const useOld = (round + id) % 2 === 0;
        const [p, s] = useOld ? [oldProducer, OLD] : [newProducer, NEW];
        const by = useOld ? 'old' : 'new';
        await p.submit(s.kv, { id: BigInt(id), v: BigInt(round), by });
        last.set(id, { v: round, by });
        await p.submit(s.log, { id: `k${id}-r${round}`, n: BigInt(round) });
        acknowledged++;
        if (id === 0 && round === ROUNDS / 2) {
          // The rolling deploy: new workers start, old ones stop, while the producers keep writing.
          const next = consumers(NEW);
          await Promise.all(next.map((w) => w.ready));
          await Promise.all(workers.map((w) => w.close()));
          workers = next;
        }
      }
    };
    await Promise.all(Array.from({ length: KEYS }, (_, id) => writeKey(id)));
    // Old producers still wrote after the old workers left: only the new workers can drain that.
    for (let i = 0; i < 20; i++) await oldProducer.submit(OLD.log, { id: `late-old-${i}`, n: BigInt(i) });
    acknowledged += 20;

    const landed = await waitFor(async () => (await pgCount(logTable)) === acknowledged, 60_000, 200);
    console.log(`log rows ${await pgCount(logTable)} of ${acknowledged} acknowledged`);
    expect(landed).toBe(true);
    const rows = await pgQuery<{ id: string; v: string; by: string }>(`SELECT id::text, v::text, by FROM ${kvTable} ORDER BY id`);
    expect(rows.length).toBe(KEYS);
    // Last submit wins for every key, whichever layout carried its submits and whichever worker wrote them.
    for (const row of rows) expect({ v: Number(row.v), by: row.by }, `key ${row.id}`).toEqual(last.get(Number(row.id)));

    // 3. Settled: nothing left in any queue of either layout, as stats (N = 4) shows.
    expect(
      await waitFor(async () => {
        const lines = await stats(4);
        return lines.every((line) => line.waiting + line.active + line.delayed + line.failed + line.dlq === 0);
      }, 30_000, 500),
    ).toBe(true);
  }, 180_000);

  it('shows an old layout\'s dead letters to dlq commands, consumer.dlqs and the Bull Board list under the new N, while it holds them', async () => {
    const table = uniqueTable('repart_dlq');
    cleanups.push(() => pgQuery(`DROP TABLE IF EXISTS ${table}`));
    await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, body text NOT NULL CHECK (body <> 'poison'))`);
    const at = (partitions: number) => SQLSchema(table, 'ignore', { id: 'int64', body: 'string' }, { partitions });
    const oldProducer = new Producer({ connection: REDIS_URL, prefix, schemas: [at(1)] });
    cleanups.push(() => oldProducer.close());
    await oldProducer.submit(at(1), { id: 1n, body: 'poison' });
    await oldProducer.submit(at(1), { id: 2n, body: 'fine' });
    // An old worker dead-letters the poison row into the old layout's DLQ (`<table>.dlq`), then goes.
    const executor = new PostgresDriver({ connectionString: PG_URL });
    cleanups.push(() => executor.close());
    const old = new BatchConsumer({ connection: REDIS_URL, prefix, schema: at(1), executor, flushIntervalMs: 50 });
    expect(await waitFor(async () => (await old.dlq.count()) === 1 && (await pgCount(table)) === 1, 30_000, 100)).toBe(true);
    await old.close();

    const next = new BatchConsumer({ connection: REDIS_URL, prefix, schema: at(4), executor, flushIntervalMs: 50, layoutCheckIntervalMs: 200 });
    cleanups.push(() => next.close());
    await next.waitUntilReady();
    expect(next.dlqs.map((dlq) => dlq.queue.name)).toEqual([...[0, 1, 2, 3].map((p) => `${table}#${p}.dlq`), `${table}.dlq`]);
    const redis = new Redis(REDIS_URL);
    const view = await SchemaQueueView.open(table, redis, prefix, 4);
    cleanups.push(async () => {
      await view.close();
      redis.disconnect();
    });
    expect(view.queues.map((q) => q.name)).toContain(`${table}.dlq`);
    // Bull Board (as `batchflow worker` serves it) lists what the view holds, re-read per request.
    const server = await createHttpServer({ port: 0, queues: () => view.queues }).listen();
    cleanups.push(() => server.close());
    const boardQueues = async () => ((await (await fetch(`${server.url}/admin/api/queues`)).json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
    expect(await boardQueues()).toContain(`${table}.dlq`);

    const file = path.join(dir, 'dlq4.json');
    writeFileSync(file, JSON.stringify({ redisUrl: REDIS_URL, prefix, sinks: { pg: { type: 'postgres', url: PG_URL } }, schemas: [{ sink: 'pg', table, conflict: 'ignore', columns: { id: 'int64', body: 'string' }, partitions: 4 }] }));
    const list = await runCli(['--config', file, 'dlq', 'list', table, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ entry: { request: { body: string } } }>).map((r) => r.entry.request.body)).toEqual(['poison']);
    // Purged: the old layout holds nothing any more, and the consumer lets it go.
    const purge = await runCli(['--config', file, 'dlq', 'purge', table, '--yes']);
    expect(purge.code, purge.stderr).toBe(0);
    expect(await waitFor(() => next.dlqs.length === 4, 10_000, 100)).toBe(true);
    await view.refresh();
    expect(await boardQueues()).not.toContain(`${table}.dlq`);
    expect(await boardQueues()).toContain(`${table}#3.dlq`);
  }, 120_000);
});
