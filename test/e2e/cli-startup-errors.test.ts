import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, freePort, runCli } from '../helpers/cli.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

// Start-up errors as an operator meets them: each names the sink, where it points (no secret),
// the code, and what to do. A database that does not exist stops the worker (waiting cannot
// help); a sink that does not answer keeps it running, holding the jobs, with one clear line.
const dir = mkdtempSync(join(tmpdir(), 'bf-startup-'));
const prefix = uniquePrefix('startup');
const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix };

function config(file: string, sink: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify({ http: { enabled: false }, sinks: { main: sink }, schemas: [{ name: 'orders', sink: 'main', table: 'orders', conflict: 'ignore', columns: { id: 'int64', kind: 'string' }, ...extra }] }));
  return path;
}

beforeAll(() => assertCliBuilt());
afterAll(async () => {
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('worker start-up errors name the sink and say what to do', () => {
  it('PostgreSQL: a database that does not exist (3D000) stops the worker with exit 1', { timeout: 60_000 }, async () => {
    const run = await runCli(['--config', config('pg.json', { type: 'postgres', url: 'postgres://postgres:pw-secret@127.0.0.1:5432/bf_no_such_db' }), 'worker'], { env, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error: sinks.main: PostgreSQL sink "main" (postgres://postgres:***@127.0.0.1:5432/bf_no_such_db) names a database that does not exist (3D000): create it (CREATE DATABASE) or fix the database in sinks.main',
    );
    expect(run.stderr + run.stdout).not.toContain('pw-secret');
  });

  it('MariaDB: a database that does not exist (1049) stops the worker with exit 1', { timeout: 60_000 }, async () => {
    const run = await runCli(['--config', config('my.json', { type: 'mysql', url: 'mysql://root@127.0.0.1:3306/bf_no_such_db' }), 'worker'], { env, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: sinks\.main: MySQL[^"]* sink "main" \(mysql:\/\/root@127\.0\.0\.1:3306\/bf_no_such_db\) names a database that does not exist \(1049\): create it/);
  });

  it('a wrong port keeps the worker running with one line naming the sink; with createTable it stops, naming it too', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/test`;
    const worker = spawnNode([CLI, '--config', config('port.json', { type: 'postgres', url }), 'worker'], env, dir);
    try {
      const line = await worker.waitForLine(/^batchflow: PostgreSQL sink/, 30_000);
      expect(line).toBe(`batchflow: PostgreSQL sink "main" (${url}) is not reachable (ECONNREFUSED): start PostgreSQL or fix sinks.main in the config`);
      await worker.waitForLine(/"event":"ready"/, 30_000);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);

    const create = await runCli(['--config', config('port-create.json', { type: 'postgres', url }, { createTable: true }), 'worker'], { env, cwd: dir });
    expect(create.code).toBe(1);
    expect(create.stderr).toContain(`error: sinks.main: PostgreSQL sink "main" (${url}) is not reachable (ECONNREFUSED): start PostgreSQL or fix sinks.main in the config`);
  });
});
