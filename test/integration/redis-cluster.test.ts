import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchConsumer, Producer, SQLSchema, SqliteDriver } from '../../src/index.js';
import { ReplicationTimeoutError } from '../../src/errors/replication-timeout-error.js';
import { createRedis, type RedisClient } from '../../src/queue/connection.js';
import { keySlot } from '../../src/queue/key-slot.js';
import { deadLetterQueueName, queueKeyPrefix, queueName } from '../../src/queue/queue-names.js';
import { SchemaQueueView } from '../../src/queue/admin/schema-queue-view.js';
import { spawnNode } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, freePort, runCli } from '../helpers/cli.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { waitFor } from '../helpers/redis.js';

// Three schemas whose hash tags fall in the three default slot ranges of `redis-cli --cluster
// create` (0-5460, 5461-10922, 10923-16383); the first test checks that against the live cluster.
const NAMES = ['orders', 'events', 'users'] as const;
/** About 100,000 keyed requests in all. */
const ROWS_PER_SCHEMA = 33_334;
const POISON_ID = 4242n;

const columns = { id: 'int64', body: 'string' } as const;
const schemas = NAMES.map((name) => SQLSchema(name, 'ignore', columns));

let cluster: RedisCluster;
let dir: string;
let prefix: string;
const files = new Map<string, string>();

function count(name: string): number {
  const db = new Database(files.get(name) as string, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${name}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** `INFO commandstats` of one node, summed: calls of every command since the last CONFIG RESETSTAT. */
async function commandCalls(port: number): Promise<number> {
  const info = String(await cluster.command(port, 'INFO', 'commandstats'));
  return [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

beforeAll(async () => {
  cluster = await RedisCluster.start();
  dir = mkdtempSync(path.join(tmpdir(), 'bf-cluster-sqlite-'));
  prefix = `bfc${randomUUID().slice(0, 8)}`;
  for (const name of NAMES) {
    const file = path.join(dir, `${name}.sqlite`);
    files.set(name, file);
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`);
    // The poison row: rejected by the sink (SQLITE_CONSTRAINT_TRIGGER) until the trigger is dropped.
    if (name === 'orders') db.exec(`CREATE TRIGGER reject_poison BEFORE INSERT ON orders WHEN NEW.body = 'poison' BEGIN SELECT RAISE(ABORT, 'poison row'); END`);
    db.close();
  }
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Redis Cluster (3 masters + 3 replicas)', () => {
  const seeds = () => ({ cluster: { nodes: cluster.seeds } });
  const consumers: BatchConsumer[] = [];
  let producer: Producer;
  let admin: RedisClient;

  afterAll(async () => {
    await producer?.close();
    await Promise.all(consumers.map((c) => c.close()));
    admin?.disconnect();
  });

  it('puts each schema queue and its DLQ in one slot, and the three schemas on three masters', async () => {
    const rows: string[] = [];
    const masters = new Set<number>();
    for (const name of NAMES) {
      const key = `${queueKeyPrefix(prefix, queueName(name))}:${queueName(name)}:wait`;
      const dlqKey = `${queueKeyPrefix(prefix, deadLetterQueueName(name))}:${deadLetterQueueName(name)}:wait`;
      const slot = Number(await cluster.command(cluster.ports[0] as number, 'CLUSTER', 'KEYSLOT', key));
      expect(Number(await cluster.command(cluster.ports[0] as number, 'CLUSTER', 'KEYSLOT', dlqKey))).toBe(slot);
      expect(keySlot(key)).toBe(slot);
      const master = await cluster.masterOfSlot(slot);
      masters.add(master.port);
      rows.push(`${name.padEnd(7)} slot ${String(slot).padStart(5)} → master 127.0.0.1:${master.port} (${master.id.slice(0, 8)}) ${key} / ${dlqKey}`);
    }
    console.log(`slot → node mapping (CLUSTER KEYSLOT, CLUSTER NODES):\n  ${rows.join('\n  ')}`);
    expect(masters.size).toBe(3);
  });

  it('drains three schemas exactly once, spreads the commands over the masters, and dead-letters the poison row', async () => {
    for (const port of cluster.ports) await cluster.command(port, 'CONFIG', 'RESETSTAT');
    for (const schema of schemas) {
      const consumer = new BatchConsumer({ connection: seeds(), prefix, schema, executor: new SqliteDriver({ filename: files.get(schema.name) as string }), flushSize: 1000, flushIntervalMs: 50, queueDepthIntervalMs: 1000 });
      consumers.push(consumer);
    }
    await Promise.all(consumers.map((c) => c.waitUntilReady()));
    producer = new Producer({ connection: seeds(), prefix, schemas });
    const started = performance.now();
    await Promise.all(
      schemas.map(async (schema) => {
        for (let from = 0; from < ROWS_PER_SCHEMA; from += 500) {
          const rows = Array.from({ length: Math.min(500, ROWS_PER_SCHEMA - from) }, (_, i) => {
            const id = BigInt(from + i);
            return { id, body: schema.name === 'orders' && id === POISON_ID ? 'poison' : `row ${id}` };
          });
          await producer.submitMany(schema, rows);
        }
      }),
    );
    // Redeliveries are possible (at-least-once); the key makes them land once.
    const drained = await waitFor(() => NAMES.every((name) => count(name) === ROWS_PER_SCHEMA - (name === 'orders' ? 1 : 0)), 90_000, 100);
    const seconds = (performance.now() - started) / 1000;
    expect(drained).toBe(true);
    expect(await waitFor(async () => (await consumers[0]?.dlq.count()) === 1, 20_000, 100)).toBe(true);
    console.log(`3 × ${ROWS_PER_SCHEMA} rows submitted and committed through the cluster in ${seconds.toFixed(1)} s (${Math.round((3 * ROWS_PER_SCHEMA) / seconds)} rows/s)`);

    const masters = (await cluster.nodes()).filter((n) => n.role === 'master');
    const calls = await Promise.all(masters.map(async (m) => ({ port: m.port, calls: await commandCalls(m.port) })));
    const total = calls.reduce((sum, c) => sum + c.calls, 0);
    console.log(`INFO commandstats per master (calls since CONFIG RESETSTAT):\n  ${calls.map((c) => `127.0.0.1:${c.port}  ${String(c.calls).padStart(8)}  ${((100 * c.calls) / total).toFixed(1)}%`).join('\n  ')}`);
    for (const c of calls) expect(c.calls / total).toBeGreaterThan(0.15);

    // The keys live on the master that owns their slot (asked directly, not through the cluster client).
    for (const name of NAMES) {
      const meta = `${queueKeyPrefix(prefix, name)}:${name}:meta`;
      const owner = await cluster.masterOfSlot(keySlot(meta));
      expect(await cluster.command(owner.port, 'EXISTS', meta)).toBe(1);
    }
  }, 150_000);

  it('SchemaQueueView counts and the DLQ entry read through a cluster client', async () => {
    admin = createRedis(seeds(), 'producer');
    expect(admin).toBeInstanceOf(Cluster);
    const views = NAMES.map((name) => new SchemaQueueView(name, admin, prefix));
    try {
      const counts = await Promise.all(views.map((v) => v.counts()));
      expect(counts).toEqual([
        { waiting: 0, active: 0, delayed: 0, failed: 0, dlq: 1 },
        { waiting: 0, active: 0, delayed: 0, failed: 0, dlq: 0 },
        { waiting: 0, active: 0, delayed: 0, failed: 0, dlq: 0 },
      ]);
      const entries = await views[0]?.dlq.list();
      expect(entries?.map((e) => [e.entry.request, e.entry.class])).toEqual([[{ id: { $int64: '4242' }, body: 'poison' }, 'non_retryable']]);
    } finally {
      await Promise.all(views.map((v) => v.close()));
    }
  });

  it('batchflow stats and dlq list work with cluster seeds in the config file (and REDIS_CLUSTER_NODES)', async () => {
    assertCliBuilt();
    const configPath = path.join(dir, 'batchflow.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        redis: { cluster: { nodes: cluster.seeds.slice(0, 2) } },
        prefix,
        http: { port: 1 },
        sinks: Object.fromEntries(NAMES.map((name) => [name, { type: 'sqlite', filename: files.get(name) }])),
        schemas: NAMES.map((name) => ({ sink: name, table: name, conflict: 'ignore', columns })),
      }),
    );
    const stats = await runCli(['--config', configPath, 'stats', '--json', '--interval', '1']);
    expect(stats.stderr).toBe('');
    expect(stats.code).toBe(0);
    const parsed = JSON.parse(stats.stdout) as { schemas: Array<{ schema: string; waiting: number; dlq: number; consumers: unknown[] }> };
    expect(parsed.schemas.map((s) => [s.schema, s.waiting, s.dlq, s.consumers.length])).toEqual([
      ['orders', 0, 1, 1],
      ['events', 0, 0, 1],
      ['users', 0, 0, 1],
    ]);
    // The env override replaces the file's seeds (one seed is enough: ioredis discovers the rest).
    const list = await runCli(['--config', configPath, 'dlq', 'list', 'orders', '--json'], { env: { REDIS_CLUSTER_NODES: `127.0.0.1:${cluster.ports[5]}` } });
    expect(list.code).toBe(0);
    const entries = JSON.parse(list.stdout) as Array<{ entry: { request: Record<string, unknown>; errorCode: string } }>;
    expect(entries.map((e) => [e.entry.request, e.entry.errorCode])).toEqual([[{ id: { $int64: '4242' }, body: 'poison' }, 'SQLITE_CONSTRAINT_TRIGGER']]);
  }, 60_000);

  it('replicas: submit() resolves once the replica holds the job, and rejects with ReplicationTimeoutError when too few can', async () => {
    const durable = new Producer({ connection: seeds(), prefix: `${prefix}r`, schemas, replicas: { count: 1, timeoutMs: 5000 } });
    const impossible = new Producer({ connection: seeds(), prefix: `${prefix}r`, schemas, replicas: { count: 2, timeoutMs: 200 } });
    try {
      await Promise.all(schemas.map((schema) => durable.submit(schema, { id: 1n, body: 'replicated' })));
      const err = await impossible.submit(schemas[1] as (typeof schemas)[number], { id: 2n, body: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplicationTimeoutError);
      expect(err).toMatchObject({ code: 'ERR_REPLICATION_TIMEOUT', acknowledged: 1, required: 2 });
    } finally {
      await Promise.all([durable.close(), impossible.close()]);
    }
  });

  it('replays the poison row once the sink is fixed (one MULTI over the queue and its DLQ, in one slot)', async () => {
    const db = new Database(files.get('orders') as string);
    db.exec('DROP TRIGGER reject_poison');
    db.close();
    const dlq = consumers[0]?.dlq;
    expect(await dlq?.replay()).toMatchObject({ selected: 1, done: 1 });
    expect(await waitFor(() => count('orders') === ROWS_PER_SCHEMA, 20_000, 100)).toBe(true);
    expect(await waitFor(async () => (await dlq?.count()) === 0, 20_000, 100)).toBe(true);
  }, 60_000);
});

describe('batchflow worker on the cluster (REDIS_CLUSTER_NODES): HTTP ingest, Bull Board, SIGTERM', () => {
  it('ingests over HTTP, commits every row, lists the queues in Bull Board and exits 0', { timeout: 90_000 }, async () => {
    assertCliBuilt();
    const workerPrefix = `${prefix}w`;
    const file = path.join(dir, 'clicks.sqlite');
    const configPath = path.join(dir, 'worker.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        sinks: { lite: { type: 'sqlite', filename: file } },
        schemas: [{ sink: 'lite', table: 'clicks', conflict: 'ignore', columns, createTable: true, flushIntervalMs: 50 }],
      }),
    );
    const port = await freePort();
    const env = { REDIS_CLUSTER_NODES: cluster.seeds.join(','), BATCHFLOW_PREFIX: workerPrefix, BATCHFLOW_HTTP_PORT: String(port) };
    const worker = spawnNode([CLI, 'worker', '--config', configPath], env, dir);
    try {
      const base = `http://127.0.0.1:${port}`;
      const ready = await waitFor(() => fetch(`${base}/readyz`).then((r) => r.ok, () => false), 30_000, 200);
      expect(ready, worker.lines.join('\n')).toBe(true);
      for (let from = 0; from < 2000; from += 500) {
        const body = JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ id: String(from + i), body: `click ${from + i}` })));
        const response = await fetch(`${base}/v1/schemas/clicks/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect(response.status, await response.text()).toBeLessThan(300);
      }
      files.set('clicks', file);
      expect(await waitFor(() => count('clicks') === 2000, 30_000, 100)).toBe(true);
      const board = (await (await fetch(`${base}/admin/api/queues`)).json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
      expect(board.queues.map((q) => q.name).sort()).toEqual(['clicks', 'clicks.dlq']);
      expect(board.queues.find((q) => q.name === 'clicks')?.counts.waiting).toBe(0);
      // The worker's queue keys are on the master owning the `{clicks}` slot.
      const meta = `${queueKeyPrefix(workerPrefix, 'clicks')}:clicks:meta`;
      expect(await cluster.command((await cluster.masterOfSlot(keySlot(meta))).port, 'EXISTS', meta)).toBe(1);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    }
  });
});

describe('failover: kill -9 of a master mid-run, with and without replicas (WAIT)', () => {
  // Both hash tags are in the first default slot range, so one kill hits both schemas' master.
  const durable = SQLSchema('audit', 'ignore', columns);
  const plain = SQLSchema('orders', 'ignore', columns);
  const CONCURRENCY = 64;

  /** Submits single rows of `schema` from CONCURRENCY loops until `stop()`; every outcome is recorded per id. */
  function load(producer: Producer, schema: typeof durable, firstId: number) {
    const acknowledged = new Set<number>();
    const rejected = new Map<string, number>();
    let next = firstId;
    let running = true;
    let hung = 0;
    const loops = Array.from({ length: CONCURRENCY }, async () => {
      while (running) {
        const id = next++;
        const started = Date.now();
        try {
          await producer.submit(schema, { id: BigInt(id), body: `row ${id}` });
          acknowledged.add(id);
        } catch (err) {
          const code = `${(err as { code?: string }).code ?? 'other'}: ${(err as Error).message.slice(0, 120)}`;
          rejected.set(code, (rejected.get(code) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 50)); // a client backing off, not a hot loop
        }
        if (Date.now() - started > 15_000) hung++;
      }
    });
    return {
      acknowledged,
      rejected,
      get hung() {
        return hung;
      },
      get nextId() {
        return next;
      },
      async stop() {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  it('loses no acknowledged submit with replicas: 1, reports the losses without, measures the cost, and everyone reconnects', { timeout: 150_000 }, async () => {
    const failoverPrefix = `${prefix}f`;
    const seeds = { cluster: { nodes: cluster.seeds } };
    const subdir = mkdtempSync(path.join(dir, 'failover-'));
    const fileOf = (name: string) => path.join(subdir, `${name}.sqlite`);
    for (const name of ['audit', 'orders']) {
      const db = new Database(fileOf(name));
      db.pragma('journal_mode = WAL');
      db.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`);
      db.close();
    }
    const ids = (name: string) => {
      const db = new Database(fileOf(name), { readonly: true });
      try {
        return new Set((db.prepare(`SELECT id FROM ${name}`).all() as Array<{ id: number }>).map((r) => r.id));
      } finally {
        db.close();
      }
    };
    const slotOf = (name: string) => keySlot(queueKeyPrefix(failoverPrefix, name));
    const victim = await cluster.masterOfSlot(slotOf('audit'));
    expect((await cluster.masterOfSlot(slotOf('orders'))).port).toBe(victim.port);

    const consumers = [durable, plain].map(
      (schema) => new BatchConsumer({ connection: seeds, prefix: failoverPrefix, schema, executor: new SqliteDriver({ filename: fileOf(schema.name) }), flushSize: 1000, flushIntervalMs: 50, queueDepthIntervalMs: 0, lockDurationMs: 5000, stalledIntervalMs: 2000 }),
    );
    const withWait = new Producer({ connection: seeds, prefix: failoverPrefix, schemas: [durable], replicas: { count: 1, timeoutMs: 2000 } });
    const without = new Producer({ connection: seeds, prefix: failoverPrefix, schemas: [plain] });
    const unpackedWithWait = new Producer({ connection: seeds, prefix: failoverPrefix, schemas: [durable], replicas: { count: 1, timeoutMs: 2000 }, packing: false });
    const unpackedWithout = new Producer({ connection: seeds, prefix: failoverPrefix, schemas: [plain], packing: false });
    try {
      await Promise.all(consumers.map((c) => c.waitUntilReady()));

      // What WAIT costs: the same load, one after the other, on the same master.
      const rate = async (producer: Producer, schema: typeof durable, firstId: number) => {
        const run = load(producer, schema, firstId);
        await new Promise((resolve) => setTimeout(resolve, 2500));
        await run.stop();
        // On a loaded 2-core machine a replica can miss a WAIT deadline: reported, never counted as stored.
        expect(run.acknowledged.size).toBeGreaterThan(0);
        return { perSecond: run.acknowledged.size / 2.5, nextId: run.nextId, rejected: [...run.rejected.values()].reduce((a, b) => a + b, 0) };
      };
      const a = await rate(without, plain, 0);
      const b = await rate(withWait, durable, 0);
      const c = await rate(unpackedWithout, plain, a.nextId);
      const d = await rate(unpackedWithWait, durable, b.nextId);
      const cost = [
        `default packing: ${Math.round(a.perSecond)} submits/s without, ${Math.round(b.perSecond)} with replicas: 1 (${(b.perSecond / a.perSecond).toFixed(2)}×)`,
        `packing: false:  ${Math.round(c.perSecond)} submits/s without, ${Math.round(d.perSecond)} with replicas: 1 (${(d.perSecond / c.perSecond).toFixed(2)}×)`,
        `rejected: ${a.rejected} / ${b.rejected} / ${c.rejected} / ${d.rejected}`,
      ];
      console.log(`WAIT cost (${CONCURRENCY} concurrent single submit() calls, 2.5 s each, one master + its replica):\n  ${cost.join('\n  ')}`);

      // The failover: both producers under load, the master of both schemas killed.
      const durableRun = load(withWait, durable, d.nextId);
      const plainRun = load(without, plain, c.nextId);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const ackedBeforeKill = { durable: durableRun.acknowledged.size, plain: plainRun.acknowledged.size };
      cluster.kill(victim.port);
      const killedAt = Date.now();
      // Promoted only after cluster-node-timeout (2 s) and a vote; until then the slot's writes fail.
      await until(async () => (await cluster.masterOfSlot(slotOf('audit'))).port !== victim.port, 30_000);
      await cluster.waitHealthy(30_000);
      const failoverMs = Date.now() - killedAt;
      // Keep submitting on the promoted master (it has no replica now: WAIT submits are refused, honestly).
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await Promise.race([Promise.all([durableRun.stop(), plainRun.stop()]), new Promise((resolve) => setTimeout(resolve, 20_000))]);
      expect(durableRun.hung + plainRun.hung).toBe(0);

      // Drain: every acknowledged id must be in its table (no hang: bounded wait).
      // Read each table once per check: a read per acknowledged id blocked the event loop for minutes.
      const missing = (acknowledged: Set<number>, table: string) => {
        const stored = ids(table);
        return [...acknowledged].filter((id) => !stored.has(id)).length;
      };
      const drained = await waitFor(() => missing(durableRun.acknowledged, 'audit') === 0 && missing(plainRun.acknowledged, 'orders') === 0, 45_000, 500);
      const lostDurable = missing(durableRun.acknowledged, 'audit');
      const lostPlain = missing(plainRun.acknowledged, 'orders');
      console.log(
        `failover (kill -9 of 127.0.0.1:${victim.port}, its replica promoted and the cluster ok again after ${failoverMs} ms):\n` +
          `  replicas: 1  acknowledged ${durableRun.acknowledged.size} (${ackedBeforeKill.durable} before the kill), rejected ${JSON.stringify(Object.fromEntries(durableRun.rejected))}, lost ${lostDurable}\n` +
          `  no replicas  acknowledged ${plainRun.acknowledged.size} (${ackedBeforeKill.plain} before the kill), rejected ${JSON.stringify(Object.fromEntries(plainRun.rejected))}, lost ${lostPlain}`,
      );
      expect(lostDurable).toBe(0);
      if (lostPlain === 0) expect(drained).toBe(true);
    } finally {
      await Promise.all([withWait.close(), without.close(), unpackedWithWait.close(), unpackedWithout.close()]);
      await Promise.all(consumers.map((c) => c.close()));
    }
  });
});

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
