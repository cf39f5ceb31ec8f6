import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type ListeningHttpServer } from '../../consumers/http-server.js';
import { PostgresDriver, Producer, SQLSchema, type BatchConsumer } from '../../src/index.js';
import { BOARD_ADMIN as ADMIN, launchChromium, loggedIn, openDeadLetters } from '../helpers/board-browser.js';
import { consumerWithBoardQueues } from '../helpers/http.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

// What an operator sees of a dead-lettered row in Bull Board: the reason, the code and the
// message, no BullMQ stack trace, no hint they cannot act on, and where history is capped.
// The screenshot is kept in docs/images for the DLQ guide.
const SHOT = 'docs/images/bull-board-dlq-clean-error.png';
const prefix = uniquePrefix('boardclean');
const table = uniqueTable('clean');
const dlqName = `${table}.dlq`;
const schema = SQLSchema(table, 'ignore', { id: 'int64', amount: 'int32' });

let browser: Browser;
let server: ListeningHttpServer;
let producer: Producer;
let consumer: BatchConsumer;
let driver: PostgresDriver;
let closeConsumer: () => Promise<void>;

beforeAll(async () => {
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, amount integer NOT NULL, CONSTRAINT positive_amount CHECK (amount > 0))`);
  driver = new PostgresDriver({ connectionString: PG_URL });
  const board = consumerWithBoardQueues({ schema, executor: driver, prefix, logger: false });
  consumer = board.consumer;
  closeConsumer = board.close;
  producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
  server = await createHttpServer({ port: 0, auth: ADMIN, queues: board.queues, keepCompletedJobs: { count: 500, ageSeconds: 1800 } }).listen();
  browser = await launchChromium();
  await producer.submitMany(schema, [10, -5, 20].map((amount, i) => ({ id: BigInt(i + 1), amount })));
  const parked = async () => (await pgCount(table)) === 2 && (await consumer.dlq.list()).some((r) => r.state === 'failed');
  if (!(await waitFor(parked, 30_000))) throw new Error('setup: the bad row was not dead-lettered');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await producer?.close();
  await closeConsumer?.();
  await driver?.close();
  await deletePrefix(prefix);
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
});

describe('Bull Board shows a clean DLQ entry (Chromium)', () => {
  it('the entry reads "non_retryable 23514: <message>" with no stack trace and no metrics hint; a screenshot is saved', { timeout: 90_000 }, async () => {
    const job = (await consumer.dlq.queue.getJobs(['failed']))[0];
    expect(job?.failedReason).toMatch(/^non_retryable 23514: .*violates check constraint "positive_amount"/);
    expect(job?.stacktrace ?? []).toEqual([]);

    const page = await loggedIn(browser);
    await openDeadLetters(page, server.url, dlqName);
    await page.getByText(/non_retryable 23514: /).first().waitFor();
    await page.waitForTimeout(500); // let the metrics panel settle before the screenshot
    await page.screenshot({ path: SHOT, fullPage: true });
    const body = await page.locator('body').innerText();
    expect(body).toMatch(/non_retryable 23514: .*violates check constraint "positive_amount"/);
    expect(body).not.toContain('UnrecoverableError');
    expect(body).not.toMatch(/\bat \S+ \(.*:\d+:\d+\)/); // no stack frame
    expect(body).not.toContain('Enable metrics on your worker');
    await page.context().close();
  });

  it('the schema queue says where its history is cut (keepCompletedJobs), and the DLQ that it keeps every entry', async () => {
    const authorization = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
    const response = await fetch(`${server.url}/admin/api/queues`, { headers: { authorization } });
    const { queues } = (await response.json()) as { queues: Array<{ name: string; description: string }> };
    expect(queues.find((q) => q.name === table)?.description).toContain('Completed keeps only the latest 500 jobs, none older than 30 min (keepCompletedJobs)');
    expect(queues.find((q) => q.name === dlqName)?.description).toContain('until replayed or purged');
  });
});
