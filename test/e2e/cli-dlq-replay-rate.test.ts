import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, runCli } from '../helpers/cli.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

// Issue 19, class 2, through the real CLI: `batchflow dlq replay --rate` while every replayed row
// fails again. The replay walks the entries there when it began, so it returns after about
// n / rate seconds and reports the rows that failed again, instead of replaying them for ever.
const dir = mkdtempSync(join(tmpdir(), 'bf-dlqrate-'));
const prefix = uniquePrefix('clidlqrate');
const table = uniqueTable('payrate');
const configFile = join(dir, 'batchflow.json');
const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix, PG_URL };
const BAD = 10;
const RATE = 5;
let worker: Spawned;

const cli = (args: string[], input?: string) => runCli(['--config', configFile, ...args], { env, cwd: dir, timeoutMs: 90_000, ...(input !== undefined && { input }) });

async function dlqSize(): Promise<number> {
  const stats = await cli(['stats', '--json', '--interval', '100', '--metrics-url', 'http://127.0.0.1:1/metrics']);
  expect(stats.code).toBe(0);
  return (JSON.parse(stats.stdout) as { schemas: Array<{ dlq: number }> }).schemas[0]?.dlq ?? -1;
}

beforeAll(async () => {
  assertCliBuilt();
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, amount integer NOT NULL CHECK (amount > 0))`);
  writeFileSync(
    configFile,
    JSON.stringify({
      http: { enabled: false },
      sinks: { main: { type: 'postgres', url: 'env:PG_URL' } },
      schemas: [{ name: 'payrate', sink: 'main', table, conflict: 'ignore', columns: { id: 'int64', amount: 'int32' }, flushSize: 50, flushIntervalMs: 50 }],
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

describe('batchflow dlq replay --rate while every replayed row fails again', () => {
  it(`returns after about ${BAD / RATE} s, replaying each entry once`, async () => {
    // Mostly good rows, so the wave of bad ones stays under the storm guard and is dead-lettered.
    const lines = Array.from({ length: 5 * BAD }, (_, i) => JSON.stringify({ id: i, amount: i % 5 === 0 ? -1 : 1 })).join('\n');
    expect((await cli(['enqueue', 'payrate'], lines)).code).toBe(0);
    expect(await waitFor(async () => (await pgCount(table)) === 4 * BAD && (await dlqSize()) === BAD, 60_000, 200)).toBe(true);

    const started = performance.now();
    const replay = await cli(['dlq', 'replay', 'payrate', '--rate', `${RATE}/s`]);
    const seconds = (performance.now() - started) / 1000;
    expect(replay.stderr).not.toMatch(/Error/);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(new RegExp(`replayed ${BAD} of ${BAD} selected entries of payrate`));
    expect(seconds).toBeGreaterThanOrEqual((BAD - 1) / RATE - 0.2);
    expect(seconds).toBeLessThan(BAD / RATE + 30);
    // They all failed again: back in the DLQ, once each.
    expect(await waitFor(async () => (await dlqSize()) === BAD, 30_000, 200)).toBe(true);
    const listed = await cli(['dlq', 'list', 'payrate', '--json']);
    expect((JSON.parse(listed.stdout) as Array<{ entry: { replays: number } }>).map((r) => r.entry.replays)).toEqual(Array.from({ length: BAD }, () => 1));
  }, 180_000);
});
