import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, freePort, runCli } from '../helpers/cli.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { waitFor } from '../helpers/redis.js';

// The one-dependency deployment through the real CLI (issue 23): the queues in their own schema of
// the PostgreSQL that holds the table, chosen by BATCHFLOW_QUEUE_POSTGRES_URL alone, and no Redis
// URL anywhere (REDIS_URL points at a closed port, so any Redis use would fail the test).
const dir = mkdtempSync(join(tmpdir(), 'bf-pgq-'));
const table = uniqueTable('pgq_payments');
const queueSchema = `bfq_cli_${table.slice(-8)}`;
const configFile = join(dir, 'batchflow.json');
let port = 0;
let env: Record<string, string> = {};
let worker: Spawned | undefined;

const cli = (...args: string[]) => runCli(['--config', configFile, ...args], { env, cwd: dir });
const cliWithInput = (input: string, ...args: string[]) => runCli(['--config', configFile, ...args], { env, cwd: dir, input });
const rows = (amounts: number[], firstId: number) => amounts.map((amount, i) => JSON.stringify({ id: firstId + i, amount })).join('\n');

beforeAll(async () => {
  assertCliBuilt();
  port = await freePort();
  env = { REDIS_URL: 'redis://127.0.0.1:1', BATCHFLOW_QUEUE_POSTGRES_URL: PG_URL, BATCHFLOW_QUEUE_SCHEMA: queueSchema, PG_URL, BATCHFLOW_HTTP_PORT: String(port) };
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, amount integer NOT NULL, CONSTRAINT positive_amount CHECK (amount > 0))`);
  writeFileSync(
    configFile,
    JSON.stringify({
      sinks: { main: { type: 'postgres', url: 'env:PG_URL' } },
      schemas: [{ name: 'payments', sink: 'main', table, conflict: 'ignore', columns: { id: 'int64', amount: 'int32' }, flushSize: 50, flushIntervalMs: 100 }],
    }),
  );
});

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  await pgQuery(`DROP SCHEMA IF EXISTS ${queueSchema} CASCADE`);
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI with the queues on PostgreSQL', () => {
  it('refuses to enqueue before the queue schema exists, saying to migrate; `migrate` creates it, twice is fine', async () => {
    const early = await cliWithInput(rows([1], 1), 'enqueue', 'payments');
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(new RegExp(`queue schema "${queueSchema}" .* is not set up: run \`batchflow migrate\``));
    for (let i = 0; i < 2; i++) {
      const migrated = await cli('migrate');
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stdout).toMatch(new RegExp(`queue schema "${queueSchema}" .*BullMQ schema version \\d+, BatchFlow state tables ready`));
    }
  });

  it('worker, enqueue, HTTP ingest, /readyz, Bull Board, stats, dlq list/replay, graceful stop: all on PostgreSQL', async () => {
    worker = spawnNode([CLI, '--config', configFile, 'worker'], env, dir);
    await worker.waitForLine(/"event":"ready"/);
    const base = `http://127.0.0.1:${port}`;
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { ready: boolean; checks: Record<string, boolean> };
    expect(ready).toMatchObject({ ready: true, checks: { queue: true, consumers: true } });
    expect((await fetch(`${base}/admin/`)).status).toBe(200);

    expect((await cliWithInput(rows([10, -1, 20, -2, 30], 1), 'enqueue', 'payments')).code).toBe(0);
    const ingest = await fetch(`${base}/v1/schemas/payments/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ id: 100, amount: 7 }]) });
    expect(ingest.status).toBeLessThan(300);
    expect(await waitFor(async () => (await pgCount(table)) === 4, 30_000, 200)).toBe(true);

    const list = await cli('dlq', 'list', 'payments', '--json');
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ entry: { request: { amount: number } } }>).map((r) => r.entry.request.amount).sort()).toEqual([-1, -2]);
    const stats = await cli('stats', '--json', '--interval', '100', '--metrics-url', `${base}/metrics`);
    expect(stats.code, stats.stderr).toBe(0);
    expect((JSON.parse(stats.stdout) as { schemas: Array<{ schema: string; dlq: number; consumers: unknown[] }> }).schemas[0]).toMatchObject({ schema: 'payments', dlq: 2 });

    await pgQuery(`ALTER TABLE ${table} DROP CONSTRAINT positive_amount`);
    const replay = await cli('dlq', 'replay', 'payments');
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toBe('replayed 2 of 2 selected entries of payments\n');
    expect(await waitFor(async () => (await pgCount(table)) === 6, 30_000, 200)).toBe(true);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
