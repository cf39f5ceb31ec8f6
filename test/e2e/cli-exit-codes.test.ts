import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CLI, runCli } from '../helpers/cli.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'bf-cli-'));
const prefix = uniquePrefix('cli');
const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix };

beforeAll(() => assertCliBuilt());
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await deletePrefix(prefix);
});

describe('batchflow exit codes', () => {
  it('--help prints usage and exits 0', async () => {
    const run = await runCli(['--help'], { env, cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: batchflow/);
    for (const command of ['worker', 'enqueue', 'dlq', 'stats', 'bench']) expect(run.stdout).toContain(command);
    expect((await runCli(['dlq', 'replay', '--help'], { env, cwd: dir })).stdout).toMatch(/--error-code[\s\S]*--dry-run/);
  });

  it.each([
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown option', ['dlq', 'list', 'demo_events', '--colour'], /unknown option '--colour'/],
    ['a missing argument', ['dlq', 'show', 'demo_events'], /missing required argument 'id'/],
    ['a bad option value', ['enqueue', '--demo', 'lots'], /--demo <count>.*must be an integer/],
    ['no command at all', [], /Usage: batchflow/],
    ['purge without --yes', ['dlq', 'purge', 'demo_events'], /add --yes to confirm, or --dry-run/],
  ])('%s is a usage error: exit 2', async (_label, args, message) => {
    const run = await runCli(args, { env, cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('`dlq list` of an unknown schema fails with exit 1 and names the schemas there are', async () => {
    const run = await runCli(['dlq', 'list', 'no_such_schema'], { env, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: unknown schema "no_such_schema": the built-in demo config (no --config or BATCHFLOW_CONFIG given) defines demo_events; no queue in Redis under prefix "${prefix}" (set BATCHFLOW_PREFIX to your app's prefix)\n`,
    );
  });

  it('an invalid config file fails with exit 1, naming the field and not the secret', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ redisUrl: 'redis://:hunter2-secret@127.0.0.1:6379', sinks: { s: { type: 'sqlite', filename: 'x.db' } }, schemas: [{ sink: 's', table: 't', conflict: 'ignore', columns: ['a'], flushSize: 0 }] }));
    const run = await runCli(['--config', file, 'stats'], { env: { BATCHFLOW_PREFIX: prefix }, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: schemas.0.flushSize: must be a positive integer\n');
  });

  it('an unreachable Redis fails with exit 1 and a redacted URL', async () => {
    const run = await runCli(['dlq', 'list', 'demo_events'], { env: { ...env, REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1' }, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(run.stderr).not.toContain('hunter2');
  });

  it('`enqueue` rejects a bad row before enqueueing anything', async () => {
    const file = join(dir, 'rows.ndjson');
    writeFileSync(file, ['{"id":1,"kind":"a","payload":"p","created_at":"2024-01-01T00:00:00Z"}', '{"id":2,"kind":"a","payload":"p"}'].join('\n'));
    const run = await runCli(['enqueue', 'demo_events', file], { env, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line 2: schema "demo_events": column "created_at" is missing; nothing was enqueued/);
  });

  it('`bench` in a build without bench/run-bench fails with exit 1 and says so', async () => {
    // A copy of dist inside the repo (so node_modules still resolves) with the benchmark removed.
    const dist = dirname(dirname(CLI));
    const outputs = join(dirname(dist), 'test-output');
    mkdirSync(outputs, { recursive: true });
    const copy = mkdtempSync(join(outputs, 'nobench-'));
    try {
      cpSync(dist, join(copy, 'dist'), { recursive: true });
      rmSync(join(copy, 'dist', 'bench', 'run-bench.js'));
      const run = await runCli(['bench', '--quick'], { env, cwd: dir, script: join(copy, 'dist', 'consumers', 'cli.js') });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: the benchmark is not available: bench\/run-bench\.ts is missing from this build/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
