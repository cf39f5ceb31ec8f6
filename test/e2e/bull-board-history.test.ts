import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { assertCliBuilt, CLI, freePort, runCli, sumMetric } from '../helpers/cli.js';
import { pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

// After a run (the real worker, then `batchflow enqueue`), Bull Board must show what happened:
// the throughput chart from BullMQ's worker metrics and the recent completed jobs with their
// request counts, not "0 Jobs".
const SHOTS = 'test-output';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROWS_PER_RUN = 1500;

const cwd = mkdtempSync(join(tmpdir(), 'bf-board-history-'));
const prefix = uniquePrefix('boardhist');
const table = uniqueTable('boardhist');
const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix, BATCHFLOW_CONFIG: join(cwd, 'batchflow.json') };
let port: number;
let worker: Spawned;
let browser: Browser;

async function enqueue(from: number): Promise<void> {
  const file = join(cwd, `rows-${from}.ndjson`);
  writeFileSync(file, Array.from({ length: ROWS_PER_RUN }, (_, i) => JSON.stringify({ id: from + i, note: `note ${from + i}` })).join('\n'));
  const run = await runCli(['enqueue', table, file], { env, cwd });
  expect(run.code, run.stderr).toBe(0);
}

async function committed(): Promise<number> {
  return sumMetric(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), 'batchflow_rows_committed_total');
}

beforeAll(async () => {
  assertCliBuilt();
  mkdirSync(SHOTS, { recursive: true });
  port = await freePort();
  writeFileSync(env.BATCHFLOW_CONFIG, JSON.stringify({
    http: { port },
    sinks: { pg: { type: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' } },
    schemas: [{ table, sink: 'pg', conflict: 'ignore', keys: ['id'], createTable: true, columns: { id: 'int64', note: 'string' } }],
  }));
  worker = spawnNode([CLI, 'worker'], env, cwd);
  await worker.waitForLine(/"event":"ready"/, 30_000);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  await deletePrefix(prefix);
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  rmSync(cwd, { recursive: true, force: true });
});

describe('Bull Board after a run (real worker and CLI, Chromium)', () => {
  it('shows the throughput chart and the recent completed jobs, each with its request count', async () => {
    // BullMQ writes a metrics data point when a job completes in a later minute than the last
    // one did, so the run spans a minute boundary, as any real run of a minute or more does.
    await enqueue(0);
    expect(await waitFor(async () => (await committed()) === ROWS_PER_RUN, 30_000, 100)).toBe(true);
    const now = new Date();
    await new Promise((r) => setTimeout(r, (60 - now.getSeconds()) * 1000 - now.getMilliseconds() + 500));
    await enqueue(ROWS_PER_RUN);
    expect(await waitFor(async () => (await committed()) === 2 * ROWS_PER_RUN, 30_000, 100)).toBe(true);
    expect(await pgCount(table)).toBe(2 * ROWS_PER_RUN);

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
    await page.goto(`http://127.0.0.1:${port}/admin`);
    // The overview counts the kept jobs instead of "0 Jobs".
    await page.getByText(/^[1-9]\d* Jobs$/).first().waitFor();
    const overview = await page.locator('body').innerText();
    expect(overview).not.toMatch(new RegExp(`${table}\\s+0 Jobs`));
    expect(overview).toMatch(new RegExp(`${table}\\s+\\d+ Jobs`));

    await page.goto(`http://127.0.0.1:${port}/admin/queue/${table}?status=completed`);
    await page.getByText('Throughput (jobs / min)').waitFor();
    await page.getByText(/n:\s*\d+/).first().waitFor();
    await page.waitForTimeout(500); // let the chart draw before the screenshot
    await page.screenshot({ path: `${SHOTS}/bull-board-history.png`, fullPage: false });

    const body = await page.locator('body').innerText();
    expect(body).not.toContain('No metrics collected yet');
    expect(body).toMatch(/Completed \(last \d+ min\)/);
    // Each completed job shows how many requests it packed; together they hold every row.
    const counts = [...body.matchAll(/\bn:\s*(\d+)/g)].map((m) => Number(m[1]));
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.every((n) => n > 1 && n <= 100)).toBe(true);
    const completedTab = page.getByRole('link', { name: /^completed/i }).first();
    expect(Number((await completedTab.innerText()).replace(/\D+/g, ''))).toBeGreaterThan(0);

    // And the numbers behind the chart: BullMQ recorded completed jobs per minute.
    const api = await page.request.get(`http://127.0.0.1:${port}/admin/api/queues/${table}/metrics`);
    const metrics = (await api.json()) as { completed: { meta: { count: number }; data: number[] } };
    expect(metrics.completed.meta.count).toBeGreaterThan(0);
    expect(metrics.completed.data.some((perMinute) => Number(perMinute) > 0)).toBe(true);
    await page.context().close();
  }, 150_000);
});
