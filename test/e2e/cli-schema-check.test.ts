import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, runCli } from '../helpers/cli.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

// A deploy pipeline's view: `batchflow check` before the rollout, and a worker that refuses a drifted table.
const cwd = mkdtempSync(join(tmpdir(), 'bf-check-e2e-'));
const prefix = uniquePrefix('check');
const table = uniqueTable('chk');
const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix, BATCHFLOW_CONFIG: '' };

function writeConfig(file: string, evolve: 'none' | 'add-columns'): string {
  const path = join(cwd, file);
  const config = {
    http: { enabled: false },
    sinks: { pg: { type: 'postgres', url: PG_URL } },
    schemas: [{ sink: 'pg', table, conflict: 'update', columns: { id: 'int64', kind: 'string', note: 'string?' }, evolve, flushIntervalMs: 50 }],
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}
let strict: string;
let evolving: string;

beforeAll(async () => {
  assertCliBuilt();
  strict = writeConfig('strict.json', 'none');
  evolving = writeConfig('evolve.json', 'add-columns');
  // Drifted: `kind` is an integer, `note` is missing.
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, kind integer NOT NULL)`);
});

afterAll(async () => {
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  await deletePrefix(prefix);
  rmSync(cwd, { recursive: true, force: true });
});

/** The schema's queue counts, as `batchflow stats --json` reads them from Redis. */
async function counts(): Promise<{ waiting: number; active: number; failed: number; dlq: number }> {
  const stats = await runCli(['--config', strict, 'stats', '--json', '--interval', '1'], { env, cwd });
  const [found] = (JSON.parse(stats.stdout) as { schemas: Array<{ waiting: number; active: number; failed: number; dlq: number }> }).schemas;
  return { waiting: found?.waiting ?? -1, active: found?.active ?? -1, failed: found?.failed ?? -1, dlq: found?.dlq ?? -1 };
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: i + 1, kind: `k${i}` })).join('\n');

describe('`batchflow check` and a worker that refuses drift', () => {
  it('check: exit 1 with a readable diff, and --json', async () => {
    const run = await runCli(['--config', strict, 'check'], { env, cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`✗ ${table} (table ${table})`);
    expect(run.stdout).toContain('  - column kind: declared string, table has integer (expected one of text, varchar, bpchar, citext, uuid, json, jsonb, numeric, enum)');
    expect(run.stdout).toContain("  - column note (string?) is missing; evolve: 'add-columns' would add it");
    expect(run.stdout).toMatch(/^1 of 1 table\(s\) do not match their schema$/m);
    expect(run.stderr).toContain('error: schema drift');

    const json = await runCli(['--config', strict, 'check', '--json'], { env, cwd });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; tables: Array<{ table: string; ok: boolean; problems: Array<{ kind: string; column?: string }> }> };
    expect(report.ok).toBe(false);
    expect(report.tables).toHaveLength(1);
    expect(report.tables[0]?.problems.map((p) => [p.kind, p.column])).toEqual([
      ['type-mismatch', 'kind'],
      ['missing-column', 'note'],
    ]);
  });

  it('worker: refuses to start on drift (exit 1, diff on stderr and as a JSON line), consuming nothing', async () => {
    const enqueued = await runCli(['--config', strict, 'enqueue', table], { env, cwd, input: rows(5) });
    expect(enqueued.code).toBe(0);
    const before = await counts();
    expect(before.waiting).toBeGreaterThan(0); // the CLI may pack several rows into one job
    const worker = spawnNode([CLI, '--config', strict, 'worker'], env, cwd);
    expect(await worker.exited).toBe(1);
    const drift = worker.lines.map((l) => (l.startsWith('{') ? (JSON.parse(l) as Record<string, unknown>) : undefined)).find((l) => l?.event === 'schema-drift');
    expect(drift).toMatchObject({ table, problems: [{ kind: 'type-mismatch', column: 'kind' }, { kind: 'missing-column', column: 'note' }] });
    expect(worker.lines).toContain(`✗ ${table} (table ${table})`);
    expect(worker.lines.some((l) => l.includes('"event":"ready"'))).toBe(false);
    expect(await pgCount(table)).toBe(0);
    expect(await counts()).toEqual({ waiting: before.waiting, active: 0, failed: 0, dlq: 0 });
  });

  it("after a fix, check passes with evolve: 'add-columns' and the worker adds the column, then writes the rows", async () => {
    await pgQuery(`ALTER TABLE ${table} ALTER COLUMN kind TYPE text`);
    expect((await runCli(['--config', strict, 'check'], { env, cwd })).code).toBe(1); // note still missing without evolve
    const check = await runCli(['--config', evolving, 'check'], { env, cwd });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`✓ ${table} (table ${table}): matches`);
    expect(check.stdout).toContain(`  · column note: evolve: 'add-columns' would run: ALTER TABLE "${table}" ADD COLUMN "note" text`);
    expect(check.stdout).toMatch(/^all 1 table\(s\) match their schema$/m);
    expect(await pgQuery(`SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = 'note'`, [table])).toEqual([]); // check changes nothing

    const worker = spawnNode([CLI, '--config', evolving, 'worker'], env, cwd);
    try {
      const ddl = JSON.parse(await worker.waitForLine(/"event":"schema-ddl"/)) as { sql: string };
      expect(ddl.sql).toBe(`ALTER TABLE "${table}" ADD COLUMN "note" text`);
      await worker.waitForLine(/"event":"ready"/);
      const deadline = Date.now() + 20_000;
      while ((await pgCount(table)) < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await pgCount(table)).toBe(5);
    } finally {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }
    const after = await runCli(['--config', strict, 'check', '--json'], { env, cwd });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, failures: [] });
  });
});
