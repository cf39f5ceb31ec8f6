import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer, SQLSchema } from '../../src/index.js';
import { schemaQueueNames } from '../../src/queue/queue-names.js';
import { keySlot } from '../../src/queue/key-slot.js';
import { deadLetterQueueName, queueKeyPrefix } from '../../src/queue/queue-names.js';
import { sumBySchema } from '../../consumers/commands/committed-rows.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, freePort, runCli } from '../helpers/cli.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { uniquePrefix, waitFor } from '../helpers/redis.js';

// 2 schemas × 4 partitions on 3 masters + 3 replicas, drained by 2 `batchflow worker` processes.
// The schema names fix the hash tags ({orders#0} … {events#3}), which fall on all three default
// slot ranges of `redis-cli --cluster create`; the first test checks that on the live cluster.
const NAMES = ['orders', 'events'] as const;
const PARTITIONS = 4;
/** Keyed requests in all: 100,000 (about 40 s with the cluster start on 2 cores); BATCHFLOW_CLUSTER_PARTITION_ROWS lowers it. */
const TOTAL_ROWS = Number(process.env.BATCHFLOW_CLUSTER_PARTITION_ROWS ?? 100_000);
const ROWS_PER_SCHEMA = Math.ceil(TOTAL_ROWS / NAMES.length);

const columns = { id: 'int64', body: 'string' } as const;
const tables = new Map<string, string>(NAMES.map((name) => [name, uniqueTable(`cp_${name}`)]));
const schemas = NAMES.map((name) => SQLSchema(tables.get(name) as string, 'ignore', columns, { name, partitions: PARTITIONS }));

let cluster: RedisCluster;
let dir: string;
const prefix = uniquePrefix('bfcp');
const workers: Spawned[] = [];

/** `INFO commandstats` of one node, summed: calls of every command since the last CONFIG RESETSTAT. */
async function commandCalls(port: number): Promise<number> {
  const info = String(await cluster.command(port, 'INFO', 'commandstats'));
  return [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

beforeAll(async () => {
  cluster = await RedisCluster.start();
  dir = mkdtempSync(path.join(tmpdir(), 'bf-cluster-parts-'));
  for (const table of tables.values()) await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, body text NOT NULL)`);
}, 90_000);

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await cluster?.stop();
  for (const table of tables.values()) await pgQuery(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('partitioned schemas on a Redis Cluster (3 masters + 3 replicas), 2 worker processes', () => {
  it('gives each partition its own slot (its DLQ shares it), spread over the three masters', async () => {
    const rows: string[] = [];
    const masters = new Set<number>();
    for (const schema of schemas) {
      for (const queue of schemaQueueNames(schema)) {
        const key = `${queueKeyPrefix(prefix, queue)}:${queue}:wait`;
        const dlqKey = `${queueKeyPrefix(prefix, deadLetterQueueName(queue))}:${deadLetterQueueName(queue)}:wait`;
        const slot = Number(await cluster.command(cluster.ports[0] as number, 'CLUSTER', 'KEYSLOT', key));
        expect(Number(await cluster.command(cluster.ports[0] as number, 'CLUSTER', 'KEYSLOT', dlqKey))).toBe(slot);
        expect(keySlot(key)).toBe(slot);
        const master = await cluster.masterOfSlot(slot);
        masters.add(master.port);
        rows.push(`${queue.padEnd(9)} slot ${String(slot).padStart(5)} → master 127.0.0.1:${master.port} (${master.id.slice(0, 8)})  ${key}`);
      }
    }
    console.log(`partition slot → node mapping (CLUSTER KEYSLOT, CLUSTER NODES):\n  ${rows.join('\n  ')}`);
    expect(masters.size).toBe(3);
  });

  it(`drains ${TOTAL_ROWS} keyed requests exactly once with 2 workers holding all 8 partitions, and spreads the commands over the masters`, { timeout: 150_000 }, async () => {
    assertCliBuilt();
    const configPath = path.join(dir, 'worker.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        prefix,
        redis: { cluster: { nodes: cluster.seeds } },
        sinks: { pg: { type: 'postgres', url: PG_URL, poolSize: 4 } },
        defaults: { flushSize: 2000, flushIntervalMs: 50 },
        schemas: schemas.map((schema) => ({ name: schema.name, sink: 'pg', table: tables.get(schema.name), conflict: 'ignore', columns, partitions: PARTITIONS })),
      }),
    );
    for (const port of cluster.ports) await cluster.command(port, 'CONFIG', 'RESETSTAT');
    const ports = [await freePort(), await freePort()];
    for (const port of ports) workers.push(spawnNode([CLI, 'worker', '--config', configPath], { BATCHFLOW_HTTP_PORT: String(port) }, dir));
    for (const [i, port] of ports.entries()) {
      const ready = await waitFor(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false), 45_000, 200);
      expect(ready, workers[i]?.lines.join('\n')).toBe(true);
    }

    const producer = new Producer({ connection: { cluster: { nodes: cluster.seeds } }, prefix, schemas });
    const started = performance.now();
    try {
      await Promise.all(
        schemas.map(async (schema) => {
          for (let from = 0; from < ROWS_PER_SCHEMA; from += 1000) {
            const rows = Array.from({ length: Math.min(1000, ROWS_PER_SCHEMA - from) }, (_, i) => ({ id: BigInt(from + i), body: `${schema.name} ${from + i}` }));
            await producer.submitMany(schema, rows);
          }
        }),
      );
    } finally {
      await producer.close();
    }
    const submitted = (performance.now() - started) / 1000;
    // Every row exactly once: the count reaches the submitted total (the primary key makes redeliveries no-ops).
    const drained = await waitFor(async () => (await Promise.all([...tables.values()].map((t) => pgCount(t)))).every((n) => n === ROWS_PER_SCHEMA), 100_000, 250);
    const seconds = (performance.now() - started) / 1000;
    expect(drained, workers.flatMap((w) => w.lines.slice(-10)).join('\n')).toBe(true);
    for (const table of tables.values()) {
      const [row] = await pgQuery<{ n: string; lo: string; hi: string }>(`SELECT count(DISTINCT id)::text AS n, min(id)::text AS lo, max(id)::text AS hi FROM ${table}`);
      expect(row).toEqual({ n: String(ROWS_PER_SCHEMA), lo: '0', hi: String(ROWS_PER_SCHEMA - 1) });
    }
    console.log(`${NAMES.length} schemas × ${PARTITIONS} partitions, ${ROWS_PER_SCHEMA * NAMES.length} rows: submitted in ${submitted.toFixed(1)} s, all committed after ${seconds.toFixed(1)} s (${Math.round((ROWS_PER_SCHEMA * NAMES.length) / seconds)} rows/s)`);

    // Both processes took work (any worker may take any partition), per their own /metrics.
    const committed = await Promise.all(ports.map(async (port) => sumBySchema(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())));
    console.log(`rows committed per worker process: ${committed.map((m, i) => `worker ${i + 1}: ${NAMES.map((n) => `${n} ${m.get(n) ?? 0}`).join(', ')}`).join('; ')}`);
    for (const name of NAMES) expect(committed.reduce((sum, m) => sum + (m.get(name) ?? 0), 0)).toBeGreaterThanOrEqual(ROWS_PER_SCHEMA);
    for (const m of committed) expect([...m.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    const masters = (await cluster.nodes()).filter((n) => n.role === 'master');
    const calls = await Promise.all(masters.map(async (m) => ({ port: m.port, calls: await commandCalls(m.port) })));
    const total = calls.reduce((sum, c) => sum + c.calls, 0);
    console.log(`INFO commandstats per master (calls since CONFIG RESETSTAT):\n  ${calls.map((c) => `127.0.0.1:${c.port}  ${String(c.calls).padStart(8)}  ${((100 * c.calls) / total).toFixed(1)}%`).join('\n  ')}`);
    for (const c of calls) expect(c.calls / total).toBeGreaterThan(0.1);

    // Each partition's keys live on the master that owns its slot (asked directly, not through the cluster client).
    for (const schema of schemas) {
      for (const queue of schemaQueueNames(schema)) {
        const meta = `${queueKeyPrefix(prefix, queue)}:${queue}:meta`;
        expect(await cluster.command((await cluster.masterOfSlot(keySlot(meta))).port, 'EXISTS', meta)).toBe(1);
      }
    }

    // Bull Board lists the partitions grouped under their schema (delimiter `#`), each with its DLQ.
    const board = (await (await fetch(`http://127.0.0.1:${ports[0]}/admin/api/queues`)).json()) as { queues: Array<{ name: string; delimiter: string; description: string }> };
    const expected = schemas.flatMap((schema) => schemaQueueNames(schema).flatMap((q) => [q, deadLetterQueueName(q)]));
    expect(board.queues.map((q) => q.name).sort()).toEqual([...expected].sort());
    for (const q of board.queues) expect(q.delimiter).toBe('#');
    expect(board.queues.find((q) => q.name === 'orders#2.dlq')?.description).toMatch(/^Partition 2 of schema orders\. Dead-letter queue of orders#2/);

    // `stats` sums the partitions per schema and lists each below it.
    const stats = await runCli(['--config', configPath, 'stats', '--json', '--interval', '1', '--metrics-url', `http://127.0.0.1:${ports[0]}/metrics`]);
    expect(stats.code, stats.stderr).toBe(0);
    const parsed = JSON.parse(stats.stdout) as { schemas: Array<{ schema: string; waiting: number; dlq: number; consumers: unknown[]; partitions: Array<{ queue: string; waiting: number }> }> };
    expect(parsed.schemas.map((s) => [s.schema, s.waiting, s.dlq, s.consumers.length, s.partitions.map((p) => p.queue)])).toEqual(
      NAMES.map((name) => [name, 0, 0, 2, [0, 1, 2, 3].map((p) => `${name}#${p}`)]),
    );

    for (const worker of workers) worker.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
  });
});
