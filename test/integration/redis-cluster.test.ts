import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchConsumer, Producer, SQLSchema, SqliteDriver } from '../../src/index.js';
import { createRedis, type RedisClient } from '../../src/queue/connection.js';
import { keySlot } from '../../src/queue/key-slot.js';
import { deadLetterQueueName, queueKeyPrefix, queueName } from '../../src/queue/queue-names.js';
import { SchemaQueueView } from '../../src/queue/schema-queue-view.js';
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
