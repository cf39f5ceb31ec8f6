import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type ListeningHttpServer } from '../../consumers/http-server.js';
import { PostgresDriver, PrometheusReporter, Producer, SQLSchema, type BatchConsumer } from '../../src/index.js';
import { BOARD_ADMIN as ADMIN, SHOTS, launchChromium, loggedIn as loggedInAs, openDeadLetters as openDlq } from '../helpers/board-browser.js';
import { consumerWithBoardQueues } from '../helpers/http.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const prefix = uniquePrefix('board');
const table = uniqueTable('board');
const dlqName = `${table}.dlq`;
const schema = SQLSchema(table, 'ignore', { id: 'int64', note: 'string' });

let browser: Browser;
let server: ListeningHttpServer;
let readOnlyServer: ListeningHttpServer;
let producer: Producer;
let consumer: BatchConsumer;
let driver: PostgresDriver;
let closeConsumer: () => Promise<void>;

beforeAll(async () => {
  // The sink refuses one row until an operator fixes the table: the classic DLQ story.
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, note text NOT NULL, CONSTRAINT no_bad_notes CHECK (note <> 'bad'))`);
  driver = new PostgresDriver({ connectionString: PG_URL });
  const metrics = new PrometheusReporter({ collectDefaultMetrics: false });
  const board = consumerWithBoardQueues({ schema, executor: driver, prefix, metrics });
  consumer = board.consumer;
  closeConsumer = board.close;
  producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
  server = await createHttpServer({ port: 0, auth: ADMIN, queues: board.queues, metrics }).listen();
  readOnlyServer = await createHttpServer({ port: 0, auth: ADMIN, queues: board.queues, readOnly: true }).listen();
  browser = await launchChromium();

  await producer.submitMany(schema, [1, 2, 3, 4, 5].map((id) => ({ id: BigInt(id), note: id === 3 ? 'bad' : `note ${id}` })));
  const parked = async () => (await pgCount(table)) === 4 && (await consumer.dlq.list()).some((r) => r.state === 'failed');
  if (!(await waitFor(parked))) throw new Error('setup: the bad row was not dead-lettered');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await readOnlyServer?.close();
  await producer?.close();
  await closeConsumer?.();
  await driver?.close();
  await deletePrefix(prefix);
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
});

const loggedIn = () => loggedInAs(browser);
const openDeadLetters = (page: Page, base: string) => openDlq(page, base, dlqName);

describe('Bull Board in a real browser (Chromium, PostgreSQL sink)', () => {
  it('answers 401 to a browser without credentials', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const statuses: Array<[number, string | undefined]> = [];
    page.on('response', (r) => statuses.push([r.status(), r.headers()['www-authenticate']]));
    // Headless Chromium has no login prompt to show, so the navigation itself fails on the challenge.
    const failure = await page.goto(`${server.url}/admin`).then(() => undefined, (err: Error) => err.message);
    expect(failure).toMatch(/ERR_INVALID_AUTH_CREDENTIALS/);
    expect(statuses[0]?.[0]).toBe(401);
    expect(statuses[0]?.[1]).toContain('Basic realm="BatchFlow admin"');
    await context.close();
  });

  it('read-only mode shows the dead-lettered job but offers no Retry', async () => {
    const page = await loggedIn();
    await openDeadLetters(page, readOnlyServer.url);
    await page.screenshot({ path: `${SHOTS}/bull-board-read-only.png`, fullPage: true });
    await expect(page.getByRole('button', { name: 'Retry all' }).count()).resolves.toBe(0);
    await expect(page.locator('button:has(svg.lucide-refresh-cw)').count()).resolves.toBe(0);
    await page.context().close();
  });

  it('logs in, finds the DLQ entry with its data, retries it after the fix, and the row lands in the table', async () => {
    const page = await loggedIn();
    await page.goto(`${server.url}/admin`);
    await page.getByRole('link', { name: table, exact: true }).first().waitFor();
    await page.getByRole('link', { name: dlqName, exact: true }).first().waitFor();
    await page.screenshot({ path: `${SHOTS}/bull-board-overview.png`, fullPage: true });

    await openDeadLetters(page, server.url);
    await page.getByText('Data', { exact: true }).click();
    await page.getByText('"23514"').first().waitFor();
    const body = await page.locator('body').innerText();
    expect(body).toContain('note:"bad"');
    expect(body).toContain('class:"non_retryable"');
    expect(body).toContain(`schema:"${table}"`);
    await page.screenshot({ path: `${SHOTS}/bull-board-dlq-failed.png`, fullPage: true });

    // The operator fixes the cause, then presses the job's Retry button.
    await pgQuery(`ALTER TABLE ${table} DROP CONSTRAINT no_bad_notes`);
    // The job's own Retry is an icon button (its name shows as a tooltip); "Retry all" has the same icon.
    const retry = page.locator('button:has(svg.lucide-refresh-cw)').filter({ hasNotText: 'Retry all' });
    await expect(retry.count()).resolves.toBe(1);
    await retry.hover();
    await page.getByText('Retry', { exact: true }).waitFor();
    await retry.click();
    await page.getByText('Are you sure that you want to retry this job?').waitFor();
    await page.screenshot({ path: `${SHOTS}/bull-board-retry-confirm.png`, fullPage: true });
    const retried = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/retry'));
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    expect((await retried).status()).toBe(204);

    expect(await waitFor(async () => (await pgQuery(`SELECT 1 FROM ${table} WHERE id = 3 AND note = 'bad'`)).length === 1)).toBe(true);
    expect(await pgCount(table)).toBe(5);
    expect(await waitFor(async () => (await consumer.dlq.count()) === 0)).toBe(true);
    await page.reload();
    await page.getByText('No failed jobs in this queue.').waitFor();
    expect(await page.getByText('non_retryable', { exact: true }).count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/bull-board-after-retry.png`, fullPage: true });

    const metrics = await page.request.get(`${server.url}/metrics`);
    expect(await metrics.text()).toMatch(new RegExp(`batchflow_rows_dead_lettered_total\\{schema="${table}",sink="postgres",reason="non_retryable"\\} 1`));
    await page.context().close();
  });
});
