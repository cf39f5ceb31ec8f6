import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterEntry } from '../../src/queue/dead-letter-entry.js';
import { DeadLetterQueue } from '../../src/queue/dead-letter/dead-letter-queue.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, runCli } from '../helpers/cli.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';

// Fixing dead-lettered rows in place, through the real CLI: group them, preview the SQL of an
// edit, refuse a bad edit, then replay with a transform module at a bounded rate.
const dir = mkdtempSync(join(tmpdir(), 'bf-dlqfix-'));
const prefix = uniquePrefix('clidlqfix');
const table = uniqueTable('payments');
const configFile = join(dir, 'batchflow.json');
const previewConfig = join(dir, 'preview.json');
const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix, PG_URL };
const LONG_NOTE = 'n'.repeat(200);
let worker: Spawned;

const cli = (...args: string[]) => runCli(['--config', configFile, ...args], { env, cwd: dir });

async function dlqSize(): Promise<number> {
  const list = await cli('dlq', 'list', 'payments', '--json');
  return (JSON.parse(list.stdout) as unknown[]).length;
}

beforeAll(async () => {
  assertCliBuilt();
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, amount integer NOT NULL, api_token text, note text, CONSTRAINT positive_amount CHECK (amount > 0))`);
  writeFileSync(
    configFile,
    JSON.stringify({
      http: { enabled: false },
      sinks: { main: { type: 'postgres', url: 'env:PG_URL' } },
      schemas: [{ name: 'payments', sink: 'main', table, conflict: 'ignore', columns: { id: 'int64', amount: 'int32', api_token: 'string?', note: 'string?' }, flushSize: 50, flushIntervalMs: 100 }],
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

describe('batchflow dlq: fix in place', () => {
  it('groups, previews an edit as SQL, refuses bad edits, replays through a transform at a rate', async () => {
    const amounts = [10, -1, 20, -2, 30, 40, -3, 50, -4, 60];
    const input = amounts.map((amount, i) => JSON.stringify({ id: i + 1, amount, api_token: 'sk-live-SECRET', note: i === 1 ? LONG_NOTE : null })).join('\n');
    expect((await runCli(['--config', configFile, 'enqueue', 'payments'], { env, cwd: dir, input })).code).toBe(0);
    expect(await waitFor(async () => (await pgCount(table)) === 6 && (await dlqSize()) === 4, 30_000, 200)).toBe(true);

    const groups = await cli('dlq', 'list', 'payments', '--group-by', 'reason,errorCode');
    expect(groups.code).toBe(0);
    expect(groups.stdout).toMatch(/^REASON\s+CODE\s+COUNT\s+FIRST ID\s+FIRST MESSAGE$/m);
    expect(groups.stdout).toMatch(/^non_retryable\s+23514\s+4\s+d_\S+\s+postgres: new row .* violates check constrain/m);
    expect(groups.stdout).toMatch(/^4 entries in 1 group$/m);
    const json = JSON.parse((await cli('dlq', 'list', 'payments', '--group-by', 'class', '--json')).stdout) as Array<{ key: { class: string }; count: number }>;
    expect(json).toMatchObject([{ key: { class: 'non_retryable' }, count: 4 }]);

    // Dry run with SQL preview: the statement the PostgreSQL builder makes, bound values with the token masked and the long note cut.
    const preview = await cli('dlq', 'replay', 'payments', '--dry-run', '--sql', '--set', 'amount=5');
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain(`INSERT INTO "${table}" ("id", "amount", "api_token", "note") SELECT * FROM unnest($1::int8[], $2::int4[], $3::text[], $4::text[]) ON CONFLICT ("id") DO NOTHING;`);
    expect(preview.stdout).toMatch(/^-- {3}\$1 \(id\) = \[(2|4|7|9)(, (2|4|7|9)){3}\]$/m);
    expect(preview.stdout).toContain('--   $2 (amount) = [5, 5, 5, 5]');
    expect(preview.stdout).toContain("--   $3 (api_token) = ['***', '***', '***', '***']");
    expect(preview.stdout).toContain(`'${'n'.repeat(64)}…(200 chars)'`);
    expect(preview.stdout).not.toContain('SECRET');
    expect(preview.stdout).toMatch(/^dry run: 4 entries of payments would be replayed$/m);
    expect(await dlqSize()).toBe(4);
    expect(await pgCount(table)).toBe(6);

    // A bad --set is refused before anything is read, naming the column.
    const badSet = await cli('dlq', 'replay', 'payments', '--set', 'amount=abc');
    expect(badSet.code).toBe(2);
    expect(badSet.stderr).toMatch(/--set amount=abc: schema "payments", column "amount"/);
    expect((await cli('dlq', 'replay', 'payments', '--set', 'amount')).stderr).toMatch(/expected column=value/);
    expect((await cli('dlq', 'replay', 'payments', '--sql')).code).toBe(2);

    // A transform whose rows do not fit: every entry refused with the column named, nothing enqueued or removed.
    writeFileSync(join(dir, 'bad.js'), 'export default (row) => ({ ...row, amount: String(row.amount) });\n');
    const refused = await cli('dlq', 'replay', 'payments', '--transform', './bad.js');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('replayed 0 of 4 selected entries of payments; 4 refused (left in the DLQ unchanged)\n');
    expect(refused.stderr).toMatch(/^refused DLQ entry d_\S+: schema "payments", column "amount": /m);
    expect(refused.stderr).toMatch(/error: 4 entries were refused/);
    expect(await dlqSize()).toBe(4);

    // The fix: refunds are fine as positive amounts, and id 9 is dropped.
    writeFileSync(join(dir, 'fix.js'), 'export default (row) => (Number(row.id) === 9 ? null : { ...row, amount: -row.amount, note: "refund" });\n');
    const started = Date.now();
    const fixed = await cli('dlq', 'replay', 'payments', '--transform', './fix.js', '--rate', '10/s');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toBe('replayed 3 of 4 selected entries of payments; 1 dropped by the transform\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200); // 3 enqueues at 10/s: two 100 ms gaps
    expect(await waitFor(async () => (await pgCount(table)) === 9, 30_000, 200)).toBe(true);
    const refunds = await pgQuery(`SELECT id, amount, note FROM ${table} WHERE note = 'refund' ORDER BY id`);
    expect(refunds).toEqual([
      { id: '2', amount: 1, note: 'refund' },
      { id: '4', amount: 2, note: 'refund' },
      { id: '7', amount: 3, note: 'refund' },
    ]);
    expect(await dlqSize()).toBe(0);
  });

  it('previews MySQL, SQLite and Redis sinks with their own builders (no database touched)', async () => {
    writeFileSync(
      previewConfig,
      JSON.stringify({
        http: { enabled: false },
        sinks: { maria: { type: 'mysql', url: 'mysql://root@127.0.0.1:1/none' }, lite: { type: 'sqlite', filename: join(dir, 'none.sqlite') }, cache: { type: 'redis', url: 'redis://127.0.0.1:1' } },
        schemas: [
          { name: 'orders', sink: 'maria', table: 'orders', conflict: 'update', columns: { id: 'int64', secret_code: 'string', total: 'float64' } },
          { name: 'visits', sink: 'lite', table: 'visits', conflict: 'ignore', columns: { id: 'int64', page: 'string' } },
          { name: 'cache', sink: 'cache', columns: { command: 'string', key: 'string', value: 'string?' } },
        ],
      }),
    );
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const at = new Date().toISOString();
    const entry = (schema: string, request: object): DeadLetterEntry => ({ schema, request, class: 'non_retryable', reason: 'non_retryable', errorCode: 'X', message: 'm', attempts: 1, firstFailedAt: at, lastFailedAt: at, sourceJobId: '1', replays: 0 });
    try {
      for (const [schema, requests] of [
        ['orders', [{ id: { $int64: '1' }, secret_code: 'hunter2', total: 9.5 }]],
        ['visits', [{ id: { $int64: '1' }, page: '/a' }, { id: { $int64: '2' }, page: "/b'c" }]],
        ['cache', [{ command: 'SET', key: 'k1', value: 'v1' }, { command: 'FLUSHALL', key: 'x', value: null }]],
      ] as const) {
        const dlq = new DeadLetterQueue(schema, redis, prefix);
        await dlq.add(requests.map((request, i) => ({ key: `p${i}_0`, entry: entry(schema, request) })));
        await dlq.close();
      }
    } finally {
      redis.disconnect();
    }
    const run = (schema: string) => runCli(['--config', previewConfig, 'dlq', 'replay', schema, '--dry-run', '--sql'], { env, cwd: dir });

    const mysql = await run('orders');
    expect(mysql.code).toBe(0);
    expect(mysql.stdout).toContain('INSERT INTO `orders` (`id`, `secret_code`, `total`) VALUES ? ON DUPLICATE KEY UPDATE `secret_code` = VALUES(`secret_code`), `total` = VALUES(`total`);');
    expect(mysql.stdout).toMatch(/^-- {5}\(1, '\*\*\*', 9\.5\) {2}-- d_p0_0$/m);
    expect(mysql.stdout).not.toContain('hunter2');

    const sqlite = await run('visits');
    expect(sqlite.stdout).toContain('INSERT INTO "visits" ("id", "page") VALUES (?, ?), (?, ?) ON CONFLICT ("id") DO NOTHING;');
    expect(sqlite.stdout).toContain("--     (2, '/b''c')  -- d_p1_0");

    const commands = await run('cache');
    expect(commands.stdout).toContain('SET "k1" "v1"  -- d_p0_0');
    expect(commands.stdout).toMatch(/^-- d_p1_0: would fail: redis: command "FLUSHALL" is not on the allowlist$/m);
    expect(commands.stdout).toMatch(/^dry run: 2 entries of cache would be replayed$/m);
  });
});
