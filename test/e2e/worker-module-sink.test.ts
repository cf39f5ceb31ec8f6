import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer, Schema } from '../../src/index.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, freePort, runCli } from '../helpers/cli.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

// `batchflow worker` with a plug-in sink: a plain .mjs file next to the config, as a user writes it.
const FIXTURES = fileURLToPath(new URL('../fixtures/module-sink/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bf-worker-module-'));
const out = join(dir, 'rows.jsonl');
const prefix = uniquePrefix('modsink');
const clicks = Schema('clicks', { id: 'int64', page: 'string' });
let worker: Spawned | undefined;

function config(path: string): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({
    sinks: { custom: { type: 'module', path, options: { file: out, tag: 'e2e' } } },
    schemas: [{ name: 'clicks', sink: 'custom', columns: { id: 'int64', page: 'string' }, flushIntervalMs: 100 }],
  }));
  return file;
}

function lines(): Array<Record<string, unknown>> {
  if (!existsSync(out)) return [];
  return readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(() => {
  assertCliBuilt();
  for (const file of ['lines-sink.mjs', 'no-default.mjs']) copyFileSync(join(FIXTURES, file), join(dir, file));
});
afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('batchflow worker with { "type": "module" } sink', () => {
  it('loads the module, writes every submitted row through it, and closes it on SIGTERM (exit 0)', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix, BATCHFLOW_HTTP_PORT: String(port) };
    worker = spawnNode([CLI, 'worker', '--config', config('./lines-sink.mjs')], env, '/');
    const ready = await waitFor(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false), 30_000, 200);
    expect(ready, worker.lines.join('\n')).toBe(true);
    expect(worker.lines.some((l) => l.includes('"custom":"module:./lines-sink.mjs"'))).toBe(true);

    const producer = new Producer({ connection: REDIS_URL, prefix, schemas: [clicks] });
    try {
      await producer.submitMany(clicks, Array.from({ length: 1000 }, (_, i) => ({ id: BigInt(i), page: `/p/${i}` })));
    } finally {
      await producer.close();
    }
    expect(await waitFor(() => lines().length >= 1000, 30_000, 100)).toBe(true);
    const rows = lines();
    expect(new Set(rows.map((l) => (l.row as { id: string }).id)).size).toBe(1000);
    expect(rows.every((l) => l.schema === 'clicks' && l.tag === 'e2e')).toBe(true);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(lines().at(-1)).toEqual({ closed: true }); // the worker closed the plug-in's executor
  });

  it('refuses to start, naming sinks.custom.path, when the module has no default export', async () => {
    const run = await runCli(['worker', '--config', config('./no-default.mjs')], { env: { REDIS_URL, BATCHFLOW_PREFIX: prefix, BATCHFLOW_HTTP_PORT: '0' }, timeoutMs: 20_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: sinks.custom.path: ');
    expect(run.stderr).toContain('no-default.mjs has no default export function');
  });
});
