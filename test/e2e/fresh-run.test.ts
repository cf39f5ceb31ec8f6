import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, freePort, runCli, sumMetric } from '../helpers/cli.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

// The README's fresh-machine tour, as a user runs it: an empty directory, no config, only Redis.
const cwd = mkdtempSync(join(tmpdir(), 'bf-fresh-'));
const prefix = uniquePrefix('fresh');
const dbFile = join(cwd, 'data', 'batchflow.sqlite');
let port: number;
let env: Record<string, string>;
let worker: Spawned;

function countRows(): number {
  if (!existsSync(dbFile)) return 0;
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM demo_events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  assertCliBuilt();
  port = await freePort();
  env = { REDIS_URL, BATCHFLOW_PREFIX: prefix, BATCHFLOW_HTTP_PORT: String(port) };
  worker = spawnNode([CLI, 'worker'], env, cwd);
  const ready = await waitFor(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false), 30_000, 200);
  if (!ready) throw new Error(`worker never became ready:\n${worker.lines.join('\n')}`);
});

afterAll(async () => {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await deletePrefix(prefix);
  rmSync(cwd, { recursive: true, force: true });
});

describe('fresh machine: `batchflow worker` with no config, then `batchflow enqueue --demo 10000`', () => {
  it('creates the demo table, commits every row, serves clean metrics and stops on SIGTERM with exit 0', async () => {
    expect(existsSync(dbFile)).toBe(true); // the worker created ./data and the table in its cwd

    const enqueue = await runCli(['enqueue', '--demo', '10000'], { env, cwd });
    expect(enqueue.code).toBe(0);
    const frames = enqueue.stderr.split('\n').filter((line) => /^enqueue demo_events \[[=-]+\] \d+% \| \d+\/10000 rows/.test(line));
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames[0]).toContain(' 0/10000 rows');
    expect(frames.at(-1)).toContain('100% | 10000/10000 rows');
    expect(enqueue.stdout).toMatch(/^enqueued 10000 rows into demo_events in [\d.]+ s$/m);

    expect(await waitFor(() => countRows() === 10_000, 60_000, 250)).toBe(true);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(sumMetric(metrics, 'batchflow_rows_committed_total')).toBe(10_000);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(promtool.error).toBeUndefined();
    expect({ status: promtool.status, output: promtool.stdout + promtool.stderr }).toEqual({ status: 0, output: '' });

    // One JSON log line per committed batch, with its id, size and duration.
    const committed = worker.lines.filter((l) => l.includes('"event":"batch:committed"')).map((l) => JSON.parse(l) as { batchId: string; size: number; seconds: number });
    expect(committed.reduce((n, l) => n + l.size, 0)).toBe(10_000);
    expect(committed.every((l) => /^[0-9a-f-]{36}$/.test(l.batchId) && l.seconds >= 0)).toBe(true);

    const stats = await runCli(['stats', '--interval', '300'], { env, cwd });
    expect(stats.code).toBe(0);
    const readyz = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { ready: boolean; sinks: Record<string, unknown> };
    expect(readyz).toMatchObject({ ready: true, sinks: { demo_events: { breaker: 'closed', holding: null } } });
    expect(stats.stdout).toMatch(/^demo_events\s+0\s+0\s+0\s+0\s+0\s+1\s+\d+\.\d\s+ok$/m); // drained, nothing dead-lettered, one worker (its rate covers its last few seconds), sink healthy

    const stopped = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(Date.now() - stopped).toBeLessThan(30_000); // the default shutdownTimeoutMs
    expect(worker.lines.some((l) => l.includes('"event":"stopped"'))).toBe(true);
    expect(countRows()).toBe(10_000);
  });
});
