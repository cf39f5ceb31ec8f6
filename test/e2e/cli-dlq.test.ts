import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, runCli } from '../helpers/cli.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

// The classic DLQ story, through the real CLI: a CHECK constraint refuses some rows, the operator
// inspects them, fixes the table, replays; later purges what is not worth keeping.
const dir = mkdtempSync(join(tmpdir(), 'bf-dlq-'));
const prefix = uniquePrefix('clidlq');
const table = uniqueTable('payments');
const configFile = join(dir, 'batchflow.json');
const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix, PG_URL };
let worker: Spawned;

const cli = (...args: string[]) => runCli(['--config', configFile, ...args], { env, cwd: dir });
const cliWithInput = (input: string, ...args: string[]) => runCli(['--config', configFile, ...args], { env, cwd: dir, input });
const rows = (amounts: number[], firstId: number) => amounts.map((amount, i) => JSON.stringify({ id: firstId + i, amount })).join('\n');

async function dlqSize(): Promise<number> {
  const stats = await cli('stats', '--json', '--interval', '100', '--metrics-url', 'http://127.0.0.1:1/metrics');
  expect(stats.code).toBe(0);
  return (JSON.parse(stats.stdout) as { schemas: Array<{ dlq: number }> }).schemas[0]?.dlq ?? -1;
}

beforeAll(async () => {
  assertCliBuilt();
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, amount integer NOT NULL, CONSTRAINT positive_amount CHECK (amount > 0))`);
  writeFileSync(
    configFile,
    JSON.stringify({
      http: { enabled: false },
      sinks: { main: { type: 'postgres', url: 'env:PG_URL' } },
      schemas: [{ name: 'payments', sink: 'main', table, conflict: 'ignore', columns: { id: 'int64', amount: 'int32' }, flushSize: 50, flushIntervalMs: 100 }],
    }),
  );
  worker = spawnNode([CLI, '--config', configFile, 'worker'], env, dir);
  await worker.waitForLine(/"event":"ready"/);
});

afterAll(async () => {
  if (worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('batchflow dlq against a PostgreSQL CHECK constraint', () => {
  it('lists, shows, replays (dry run first) and purges dead-lettered rows, with progress', async () => {
    // NDJSON on stdin, as in `producer | batchflow enqueue payments`.
    const enqueued = await cliWithInput(rows([10, -1, 20, -2, 30, 40, -3, 50, 60, 70], 1), 'enqueue', 'payments');
    expect(enqueued.code).toBe(0);
    expect(enqueued.stdout).toMatch(/^enqueued 10 rows into payments/);
    expect(await waitFor(async () => (await pgCount(table)) === 7 && (await dlqSize()) === 3, 30_000, 200)).toBe(true);
    expect(worker.lines.some((l) => /"event":"dead-lettered".*"non_retryable\/non_retryable\/23514"/.test(l))).toBe(true);

    const list = await cli('dlq', 'list', 'payments');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+STATE\s+CLASS\s+REASON\s+CODE\s+ATTEMPTS\s+LAST FAILED\s+MESSAGE$/m);
    expect(list.stdout.match(/non_retryable\s+non_retryable\s+23514/g)).toHaveLength(3);
    expect(list.stdout).toMatch(/^3 entries$/m);

    const json = await cli('dlq', 'list', 'payments', '--json', '--error-code', '23514', '--since', '10m');
    const records = JSON.parse(json.stdout) as Array<{ id: string; entry: { request: { amount: number }; class: string } }>;
    expect(records.map((r) => r.entry.request.amount).sort((a, b) => a - b)).toEqual([-3, -2, -1]);
    expect((await cli('dlq', 'list', 'payments', '--json', '--error-code', '23505')).stdout.trim()).toBe('[]');
    expect(JSON.parse((await cli('dlq', 'list', 'payments', '--json', '--limit', '2')).stdout)).toHaveLength(2);

    const show = await cli('dlq', 'show', 'payments', records[0]?.id as string);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: records[0]?.id, state: 'failed', entry: { class: 'non_retryable', errorCode: '23514', schema: 'payments', replays: 0 } });
    const missing = await cli('dlq', 'show', 'payments', 'nope');
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({ code: 1, stderr: 'error: no entry "nope" in the dead-letter queue of payments\n' });

    const dry = await cli('dlq', 'replay', 'payments', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('dry run: 3 entries of payments would be replayed\n');
    expect(dry.stderr).toMatch(/replay \(dry run\) \[=+\] 100% \| 3\/3 entries/);
    expect(await dlqSize()).toBe(3);

    // The operator decides negative amounts are refunds after all.
    await pgQuery(`ALTER TABLE ${table} DROP CONSTRAINT positive_amount`);
    const replay = await cli('dlq', 'replay', 'payments', '--class', 'non_retryable');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toBe('replayed 3 of 3 selected entries of payments\n');
    expect(replay.stderr).toMatch(/replay \[=+\] 100% \| 3\/3 entries/);
    expect(await waitFor(async () => (await pgCount(table)) === 10, 30_000, 200)).toBe(true);
    expect(await dlqSize()).toBe(0);

    await pgQuery(`ALTER TABLE ${table} ADD CONSTRAINT positive_amount CHECK (amount > 0) NOT VALID`);
    writeFileSync(join(dir, 'batch2.csv'), `id,amount\n${[11, 12, 13].map((id) => `${id},-${id}`).join('\n')}\n14,5\n`);
    expect((await cli('enqueue', 'payments', 'batch2.csv')).code).toBe(0);
    expect(await waitFor(async () => (await dlqSize()) === 3 && (await pgCount(table)) === 11, 30_000, 200)).toBe(true);

    const preview = await cli('dlq', 'purge', 'payments', '--dry-run', '--limit', '2');
    expect(preview.stdout).toBe('dry run: 2 entries of payments would be purged\n');
    const purge = await cli('dlq', 'purge', 'payments', '--yes');
    expect(purge.code).toBe(0);
    expect(purge.stdout).toBe('purged 3 of 3 selected entries of payments\n');
    expect(purge.stderr).toMatch(/purge \[=+\] 100% \| 3\/3 entries/);
    expect((await cli('dlq', 'list', 'payments')).stdout).toBe('no entries in the dead-letter queue of payments\n');
    expect(await pgCount(table)).toBe(11);
  });

  it('`stats` shows queue depths, DLQ size, live workers and the rate they publish, even with no worker metrics to read', async () => {
    // This worker serves no HTTP: point stats at a port where nothing listens; the rate comes from Redis.
    const stats = await cli('stats', '--metrics-url', 'http://127.0.0.1:1/metrics');
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^SCHEMA\s+WAITING\s+ACTIVE\s+DELAYED\s+FAILED\s+DLQ\s+WORKERS\s+ROWS\/S\s+SINK$/m);
    expect(stats.stdout).toMatch(/^payments\s+0\s+0\s+0\s+0\s+0\s+1\s+\d+\.\d\s+ok$/m);
    expect(stats.stdout).not.toContain('n/a');
  });

  it('a table renamed away (schema drift) holds the rows: nothing dead-lettered, `stats` says why, all land once it is back', async () => {
    await pgQuery(`ALTER TABLE ${table} RENAME TO ${table}_moved`);
    try {
      const enqueued = await cliWithInput(rows([1, 2, 3, 4, 5], 100), 'enqueue', 'payments');
      expect(enqueued.code).toBe(0);
      let last = '';
      const held = await waitFor(async () => {
        last = (await cli('stats', '--metrics-url', 'http://127.0.0.1:1/metrics')).stdout;
        return /^payments\s.*held \(open\): schema 42P01$/m.test(last);
      }, 30_000, 300);
      expect(held, last).toBe(true);
      const json = JSON.parse((await cli('stats', '--json', '--interval', '100', '--metrics-url', 'http://127.0.0.1:1/metrics')).stdout) as {
        schemas: Array<{ dlq: number; consumers: Array<{ breaker: string; holding: { reason: string; code: string } | null }> }>;
      };
      expect(json.schemas[0]?.dlq).toBe(0);
      expect(json.schemas[0]?.consumers[0]?.holding).toMatchObject({ reason: 'schema', code: '42P01' });
    } finally {
      await pgQuery(`ALTER TABLE ${table}_moved RENAME TO ${table}`);
    }
    expect(await waitFor(async () => (await pgCount(table)) === 16, 30_000, 200)).toBe(true);
    expect(await dlqSize()).toBe(0);
  });
});
