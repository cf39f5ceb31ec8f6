import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLSchema } from '../../src/core/schema.js';
import { PostgresDriver } from '../../src/drivers/postgres/postgres-driver.js';
import { BatchConsumer } from '../../src/queue/consumer/batch-consumer.js';
import { Producer } from '../../src/queue/producer/producer.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, runCli } from '../helpers/cli.js';
import { useCleanups } from '../helpers/cleanups.js';
import { PG_URL, pgQuery, uniqueTable } from '../helpers/pg.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

// A library user's schema exists only in their code: the CLI, given just REDIS_URL and
// BATCHFLOW_PREFIX (no config file), must still find its queues and its DLQ. And two workers on
// one host, from the recipe in docs/operations/scaling.md (BATCHFLOW_HTTP_PORT=0), run side by side; `stats` sums their rates.
const defer = useCleanups();
const dir = mkdtempSync(join(tmpdir(), 'bf-codeschema-'));
const tables: string[] = [];
const prefixes: string[] = [];

interface StatsJson {
  schemas: Array<{ schema: string; waiting: number; dlq: number; workers: number; rowsPerSecond: number | null; consumers: Array<{ rowsPerSecond?: number; endpoint?: string }> }>;
}

beforeAll(() => assertCliBuilt());

afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(prefix);
  for (const table of tables) await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  rmSync(dir, { recursive: true, force: true });
});

async function paymentsTable(label: string): Promise<string> {
  const table = uniqueTable(label);
  tables.push(table);
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, amount integer NOT NULL CHECK (amount > 0))`);
  return table;
}

describe('the CLI finds a schema defined only in code', () => {
  it('dlq list, stats and dlq replay --dry-run work with only REDIS_URL and BATCHFLOW_PREFIX; --set says what it needs', { timeout: 120_000 }, async () => {
    const prefix = uniquePrefix('codeschema');
    prefixes.push(prefix);
    const table = await paymentsTable('code_pay');
    const schema = SQLSchema(table, 'ignore', { id: 'int64', amount: 'int32' });
    const driver = new PostgresDriver({ connectionString: PG_URL });
    const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
    const consumer = new BatchConsumer({ connection: REDIS_URL, schema, executor: driver, prefix, flushSize: 50, flushIntervalMs: 50, logger: false });
    defer(async () => {
      await producer.close();
      await consumer.close();
      await driver.close();
    });
    await producer.submitMany(schema, [10, -1, 20, -2, 30].map((amount, i) => ({ id: BigInt(i + 1), amount })));
    expect(await waitFor(async () => (await consumer.dlq.count()) === 2, 30_000)).toBe(true);

    const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix };
    const list = await runCli(['dlq', 'list', table], { env, cwd: dir });
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/non_retryable\s+non_retryable\s+23514/);
    expect(list.stdout).toContain('2 entries');

    const stats = await runCli(['stats', '--json', '--interval', '100'], { env, cwd: dir });
    expect(stats.code, stats.stderr).toBe(0);
    const line = (JSON.parse(stats.stdout) as StatsJson).schemas.find((s) => s.schema === table);
    expect(line).toMatchObject({ schema: table, waiting: 0, dlq: 2, workers: 1 });

    const set = await runCli(['dlq', 'replay', table, '--set', 'amount=5'], { env, cwd: dir });
    expect(set.code).toBe(2);
    expect(set.stderr).toContain(`--set needs its columns and their types`);
    expect(set.stderr).toContain(`pass --config <file> with an entry for "${table}"`);
    const sql = await runCli(['dlq', 'replay', table, '--dry-run', '--sql'], { env, cwd: dir });
    expect(sql.code).toBe(2);
    expect(sql.stderr).toContain('--sql needs its table, columns and sink');

    const dry = await runCli(['dlq', 'replay', table, '--dry-run'], { env, cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`dry run: 2 entries of ${table} would be replayed`);

    const unknown = await runCli(['dlq', 'list', 'no_such_schema'], { env, cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`found in Redis under prefix "${prefix}": ${table}`);
  });
});

describe('several workers on one host', () => {
  it('two `batchflow worker` processes with BATCHFLOW_HTTP_PORT=0 each bind their own port; stats sums their rates', { timeout: 180_000 }, async () => {
    const prefix = uniquePrefix('twoworkers');
    prefixes.push(prefix);
    const table = await paymentsTable('two_workers');
    const configFile = join(dir, 'two-workers.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        sinks: { main: { type: 'postgres', url: 'env:PG_URL' } },
        schemas: [{ name: 'payments', sink: 'main', table, conflict: 'ignore', columns: { id: 'int64', amount: 'int32' }, flushSize: 100, flushIntervalMs: 50, queueDepthIntervalMs: 1000 }],
      }),
    );
    const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix, PG_URL, BATCHFLOW_HTTP_PORT: '0' };
    const workers: Spawned[] = [spawnNode([CLI, '--config', configFile, 'worker'], env, dir), spawnNode([CLI, '--config', configFile, 'worker'], env, dir)];
    defer(async () => {
      for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    });
    const urls = await Promise.all(workers.map(async (w) => /serving .* at (http:\/\/[0-9.:]+)/.exec(await w.waitForLine(/serving \/metrics.* at http/, 60_000))?.[1]));
    await Promise.all(workers.map((w) => w.waitForLine(/"event":"ready"/, 60_000)));
    expect(new Set(urls).size).toBe(2);
    for (const url of urls) expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // A steady load, so both workers commit rows in every window they publish.
    const schema = SQLSchema(table, 'ignore', { id: 'int64', amount: 'int32' }, { name: 'payments' });
    const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
    defer(() => producer.close());
    let next = 1;
    let loading = true;
    const load = (async () => {
      while (loading) {
        const rows = Array.from({ length: 100 }, () => ({ id: BigInt(next++), amount: 1 }));
        await Promise.all(rows.map((row) => producer.submit(schema, row)));
      }
    })();
    let seen: StatsJson['schemas'][number] | undefined;
    const combined = await waitFor(
      async () => {
        const stats = await runCli(['--config', configFile, 'stats', '--json', '--interval', '100'], { env, cwd: dir });
        seen = (JSON.parse(stats.stdout) as StatsJson).schemas.find((s) => s.schema === 'payments');
        return seen?.workers === 2 && seen.consumers.every((c) => (c.rowsPerSecond ?? 0) > 0);
      },
      90_000,
      500,
    );
    loading = false;
    await load;
    expect(combined, JSON.stringify(seen)).toBe(true);
    const sum = (seen?.consumers ?? []).reduce((n, c) => n + (c.rowsPerSecond ?? 0), 0);
    expect(seen?.rowsPerSecond).toBeCloseTo(sum, 6);
    expect(seen?.rowsPerSecond).toBeGreaterThan(Math.max(...(seen?.consumers ?? []).map((c) => c.rowsPerSecond ?? 0)));
    // Each worker published the port it picked.
    expect(new Set(seen?.consumers.map((c) => c.endpoint))).toEqual(new Set(urls));
  });
});
