import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, freePort, runCli } from '../helpers/cli.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

// A newcomer runs `npm start` (`batchflow worker`) on a machine where a dependency is missing.
// The worker must say so in one plain line on stderr, within 5 s, without leaking the password.
const REDIS_PASSWORD = 'r3dis-Pa55-word';
const PG_PASSWORD = 'pg-Pa55-word';

interface Started {
  readonly worker: Spawned;
  readonly stderr: string[];
  readonly httpPort: number;
  readonly startedAt: number;
}

const running: Spawned[] = [];
const dirs: string[] = [];
const prefixes: string[] = [];

beforeAll(() => assertCliBuilt());

afterEach(async () => {
  for (const worker of running.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await worker.exited;
  }
  for (const prefix of prefixes.splice(0)) await deletePrefix(prefix);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startWorker(env: Record<string, string>, args: string[] = []): Promise<Started> {
  const cwd = mkdtempSync(join(tmpdir(), 'bf-clear-start-'));
  dirs.push(cwd);
  const httpPort = await freePort();
  const prefix = uniquePrefix('clearstart');
  prefixes.push(prefix);
  const startedAt = Date.now();
  const worker = spawnNode([CLI, ...args, 'worker'], { BATCHFLOW_PREFIX: prefix, BATCHFLOW_HTTP_PORT: String(httpPort), ...env }, cwd);
  running.push(worker);
  // stderr on its own, to check the human line goes there (spawnNode merges both streams).
  const stderr: string[] = [];
  worker.child.stderr?.on('data', (chunk: Buffer) => stderr.push(...chunk.toString().split('\n').filter(Boolean)));
  return { worker, stderr, httpPort, startedAt };
}

async function readyz(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('a clear start: `batchflow worker` says which dependency is missing and what to do', () => {
  it('Redis unreachable (a free port, a URL with a password): one human line on stderr within 5 s, /readyz names redis', async () => {
    const deadPort = await freePort();
    const { worker, stderr, httpPort, startedAt } = await startWorker({ REDIS_URL: `redis://bf:${REDIS_PASSWORD}@127.0.0.1:${deadPort}` });

    const expected = new RegExp(`^batchflow: Redis at 127\\.0\\.0\\.1:${deadPort} is not reachable \\(ECONNREFUSED\\): start redis-server or set REDIS_URL$`);
    const line = await worker.waitForLine(expected, 5000);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(stderr).toContain(line);
    expect(stderr.filter((l) => l.startsWith('batchflow: '))).toHaveLength(1);
    // The JSON log carries the same news, for machines.
    const json = JSON.parse(await worker.waitForLine(/"event":"dependency-unreachable"/, 2000)) as Record<string, unknown>;
    expect(json).toMatchObject({ level: 50, dependency: 'redis', msg: line.slice('batchflow: '.length) });

    const verdict = await readyz(httpPort);
    expect(verdict.status).toBe(503);
    expect(verdict.body).toMatchObject({ ready: false, checks: { redis: false }, missing: { redis: 'is not reachable: start redis-server or set REDIS_URL' } });

    // A while later: still one human line, and never the password, anywhere.
    await new Promise((r) => setTimeout(r, 1500));
    expect(stderr.filter((l) => l.startsWith('batchflow: '))).toHaveLength(1);
    expect(worker.lines.join('\n')).not.toContain(REDIS_PASSWORD);
    expect(JSON.stringify(verdict.body)).not.toContain(REDIS_PASSWORD);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('PostgreSQL sink unreachable at start: its own line (URL redacted), the worker runs, /readyz names the sink', async () => {
    const deadPort = await freePort();
    const config = join(mkdtempSync(join(tmpdir(), 'bf-clear-cfg-')), 'batchflow.json');
    dirs.push(join(config, '..'));
    const url = `postgres://bf:${PG_PASSWORD}@127.0.0.1:${deadPort}/test`;
    writeFileSync(config, JSON.stringify({ sinks: { main: { type: 'postgres', url } }, schemas: [{ table: 'clear_start_events', sink: 'main', conflict: 'ignore', columns: ['id', 'note'] }] }));
    const { worker, stderr, httpPort } = await startWorker({ REDIS_URL }, ['--config', config]);

    const line = await worker.waitForLine(/^batchflow: PostgreSQL sink/, 5000);
    expect(line).toBe(`batchflow: PostgreSQL sink "main" (postgres://bf:***@127.0.0.1:${deadPort}/test) is not reachable (ECONNREFUSED): start PostgreSQL or fix sinks.main in the config`);
    expect(stderr).toContain(line);
    await worker.waitForLine(/"event":"ready"/, 10_000);

    const verdict = await readyz(httpPort);
    // Jobs wait safely in Redis while a sink is down, so the worker stays ready; `missing` says what is wrong.
    expect(verdict.status).toBe(200);
    expect(verdict.body).toMatchObject({ ready: true, checks: { redis: true }, missing: { 'sinks.main': 'PostgreSQL sink "main" is not reachable: start PostgreSQL or fix sinks.main in the config' } });
    expect(worker.lines.join('\n')).not.toContain(PG_PASSWORD);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('createTable on an unreachable PostgreSQL: the line, then exit 1 (no table, no start)', async () => {
    const deadPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'bf-clear-cfg-'));
    dirs.push(dir);
    const config = join(dir, 'batchflow.json');
    const url = `postgres://bf:${PG_PASSWORD}@127.0.0.1:${deadPort}/test`;
    writeFileSync(config, JSON.stringify({ sinks: { main: { type: 'postgres', url } }, schemas: [{ table: 'clear_start_events', sink: 'main', conflict: 'ignore', createTable: true, columns: { id: 'int64', note: 'string' } }] }));
    const run = await runCli(['--config', config, 'worker'], { env: { REDIS_URL, BATCHFLOW_HTTP_PORT: String(await freePort()) }, timeoutMs: 20_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`batchflow: PostgreSQL sink "main" (postgres://bf:***@127.0.0.1:${deadPort}/test) is not reachable (ECONNREFUSED): start PostgreSQL or fix sinks.main in the config`);
    expect(run.stdout + run.stderr).not.toContain(PG_PASSWORD);
  });

  it('with Redis up: no human line, and /readyz has no `missing`', async () => {
    // The same worker against the real Redis: nothing is missing, nothing is printed.
    const { worker, stderr, httpPort } = await startWorker({ REDIS_URL });
    await worker.waitForLine(/"event":"ready"/, 10_000);
    expect(await waitFor(async () => (await readyz(httpPort)).status === 200, 5000)).toBe(true);
    expect((await readyz(httpPort)).body.missing).toBeUndefined();
    expect(stderr.filter((l) => l.startsWith('batchflow: '))).toEqual([]);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
