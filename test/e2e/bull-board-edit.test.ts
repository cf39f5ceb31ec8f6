import type { Queue } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type ListeningHttpServer } from '../../consumers/http-server.js';
import { decodeValue } from '../../src/core/codec.js';
import { PostgresDriver, Producer, SQLSchema, type BatchConsumer } from '../../src/index.js';
import { BOARD_ADMIN, SHOTS, launchChromium, loggedIn, openDeadLetters } from '../helpers/board-browser.js';
import { consumerWithBoardQueues } from '../helpers/http.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

// Issue 14, part 4: "Bull Board: its 'update data' on a DLQ job, then Retry", in a real browser.
const prefix = uniquePrefix('boardedit');
const table = uniqueTable('boardedit');
const dlqName = `${table}.dlq`;
const schema = SQLSchema(table, 'ignore', { id: 'int64', note: 'string' });

let browser: Browser;
let server: ListeningHttpServer;
let readOnlyServer: ListeningHttpServer;
let producer: Producer;
let consumer: BatchConsumer;
let schemaQueue: Queue;
let driver: PostgresDriver;
let closeConsumer: () => Promise<void>;
/** DLQ job id of each dead-lettered row, by its `id` column. */
const dlqIdOf = new Map<string, string>();

beforeAll(async () => {
  // Here the table stays as it is: the rows are at fault, and the operator fixes them in Bull Board.
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, note text NOT NULL, CONSTRAINT no_bad_notes CHECK (note <> 'bad'))`);
  driver = new PostgresDriver({ connectionString: PG_URL });
  const board = consumerWithBoardQueues({ schema, executor: driver, prefix });
  consumer = board.consumer;
  schemaQueue = board.queues[0] as Queue;
  closeConsumer = board.close;
  producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
  server = await createHttpServer({ port: 0, auth: BOARD_ADMIN, queues: board.queues }).listen();
  readOnlyServer = await createHttpServer({ port: 0, auth: BOARD_ADMIN, queues: board.queues, readOnly: true }).listen();
  browser = await launchChromium();

  await producer.submitMany(schema, [1, 2, 3, 4].map((id) => ({ id: BigInt(id), note: id % 2 === 0 ? 'bad' : `note ${id}` })));
  const parked = async () => (await pgCount(table)) === 2 && (await consumer.dlq.list()).filter((r) => r.state === 'failed').length === 2;
  if (!(await waitFor(parked))) throw new Error('setup: the two bad rows were not dead-lettered');
  for (const { id, entry } of await consumer.dlq.list()) dlqIdOf.set(String(decodeValue((entry.request as Record<string, unknown>).id)), id);
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

function dlqId(rowId: number): string {
  const id = dlqIdOf.get(String(rowId));
  if (!id) throw new Error(`row ${rowId} has no DLQ entry`);
  return id;
}

/** The `note` of a DLQ entry's request, as stored (undefined once the entry is gone). */
async function storedNote(rowId: number): Promise<unknown> {
  const request = (await consumer.dlq.get(dlqId(rowId)))?.entry.request as Record<string, unknown> | undefined;
  return request?.note;
}

/** The card title linking to a job's own page (`…/<dlq>/<id>?status=failed`; its text is the id, then the job name). */
const jobLink = (page: Page, id: string) => page.locator(`a[href*="/${encodeURIComponent(dlqName)}/${encodeURIComponent(id)}?"]`);

/** From the DLQ's Failed tab, opens one job's own page. */
async function openJob(page: Page, base: string, id: string): Promise<void> {
  await openDeadLetters(page, base, dlqName);
  await jobLink(page, id).first().click();
  await page.waitForURL((url) => url.pathname.endsWith(`/${encodeURIComponent(id)}`));
  await page.getByText('Loading...').waitFor({ state: 'hidden' });
  await page.getByText(id, { exact: true }).waitFor();
  await page.getByText('non_retryable', { exact: true }).first().waitFor();
}

/** The job's icon buttons show their name as a tooltip only; hover checks it is the one meant. */
async function jobButton(page: Page, icon: 'pencil' | 'refresh-cw', name: string) {
  const button = page.locator(`button:has(svg.lucide-${icon})`).filter({ hasNotText: 'Retry all' });
  await button.first().waitFor();
  await expect(button.count()).resolves.toBe(1);
  await button.hover();
  await page.getByText(name, { exact: true }).waitFor();
  return button;
}

/**
 * Edits the job data in Bull Board's "Update job data" dialog (a CodeMirror JSON editor) the
 * way a user does: puts the cursor on the line holding `line`, selects it and types `replacement`
 * over it (keeping a trailing comma), then presses Update. Returns the data the UI sent.
 */
async function updateData(page: Page, line: string, replacement: string, shot: string): Promise<{ request: Record<string, unknown> }> {
  await (await jobButton(page, 'pencil', 'Update Data')).click();
  await page.getByText('Update job data', { exact: true }).waitFor();
  const row = page.locator('.cm-line', { hasText: line });
  await expect(row.count()).resolves.toBe(1);
  const comma = (await row.innerText()).trimEnd().endsWith(',') ? ',' : '';
  // Keys pressed before the editor has focus go nowhere (seen once on a loaded machine: the
  // unchanged data was sent), so wait for CodeMirror's focus class, and for the edit to show.
  await row.click();
  await page.locator('.cm-editor.cm-focused').waitFor();
  await page.keyboard.press('End');
  await page.keyboard.press('Shift+Home');
  // insertText enters the text as one input, so the editor's quote auto-closing (per typed key) cannot add any.
  await page.keyboard.insertText(`${replacement}${comma}`);
  await page.locator('.cm-line', { hasText: replacement }).first().waitFor();
  await expect(page.locator('.cm-line', { hasText: line }).count()).resolves.toBe(0);
  await page.screenshot({ path: `${SHOTS}/${shot}`, fullPage: true });
  const sent = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith('/update-data'));
  const answered = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith('/update-data'));
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  expect((await answered).status()).toBe(200);
  await page.getByText('Update job data', { exact: true }).waitFor({ state: 'hidden' });
  return ((await sent).postDataJSON() as { jobData: { request: Record<string, unknown> } }).jobData;
}

async function retry(page: Page, shot: string): Promise<void> {
  await (await jobButton(page, 'refresh-cw', 'Retry')).click();
  await page.getByText('Are you sure that you want to retry this job?').waitFor();
  await page.screenshot({ path: `${SHOTS}/${shot}`, fullPage: true });
  const retried = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/retry'));
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  expect((await retried).status()).toBe(204);
}

describe('Bull Board in a real browser: "Update Data" on a DLQ job, then Retry (Chromium, PostgreSQL sink)', () => {
  it('read-only mode offers no Update Data, and refuses the edit (405) with the entry unchanged', async () => {
    const page = await loggedIn(browser);
    await openJob(page, readOnlyServer.url, dlqId(2));
    await expect(page.locator('button:has(svg.lucide-pencil)').count()).resolves.toBe(0);
    const entry = (await consumer.dlq.get(dlqId(2)))?.entry;
    const url = `${readOnlyServer.url}/admin/api/queues/${encodeURIComponent(dlqName)}/${encodeURIComponent(dlqId(2))}/update-data`;
    const refused = await page.request.patch(url, { data: { jobData: { ...entry, request: { id: 2, note: 'sneaky' } } } });
    expect(refused.status()).toBe(405);
    expect((await consumer.dlq.get(dlqId(2)))?.entry.request).toEqual(entry?.request);
    await page.screenshot({ path: `${SHOTS}/bull-board-edit-read-only.png`, fullPage: true });
    await page.context().close();
  });

  it('fixes the bad value with Update Data, retries it, and the fixed row lands in the table', async () => {
    const page = await loggedIn(browser);
    await openJob(page, server.url, dlqId(2));
    await page.screenshot({ path: `${SHOTS}/bull-board-edit-job.png`, fullPage: true });

    const sent = await updateData(page, '"note": "bad"', '"note": "fixed in the board"', 'bull-board-edit-dialog.png');
    expect(sent.request.note).toBe('fixed in the board');
    expect(await storedNote(2)).toBe('fixed in the board');
    await page.getByText('Data', { exact: true }).click();
    expect(await waitFor(async () => (await page.locator('body').innerText()).includes('note:"fixed in the board"'))).toBe(true);

    await retry(page, 'bull-board-edit-retry-confirm.png');
    expect(await waitFor(async () => (await pgQuery(`SELECT 1 FROM ${table} WHERE id = 2 AND note = 'fixed in the board'`)).length === 1)).toBe(true);
    expect(await pgCount(table)).toBe(3);
    expect(await waitFor(async () => (await consumer.dlq.get(dlqId(2))) === undefined)).toBe(true);
    expect(await consumer.dlq.count()).toBe(1); // row 4 is still waiting for its fix
    await openDeadLetters(page, server.url, dlqName);
    await expect(jobLink(page, dlqId(2)).count()).resolves.toBe(0);
    await jobLink(page, dlqId(4)).first().waitFor();
    await page.screenshot({ path: `${SHOTS}/bull-board-edit-after-retry.png`, fullPage: true });
    await page.context().close();
  });

  it('a bad edit (a number for a string column) is refused with the column named; the entry stays in the DLQ as edited', async () => {
    const page = await loggedIn(browser);
    await openJob(page, server.url, dlqId(4));
    const sent = await updateData(page, '"note": "bad"', '"note": 42', 'bull-board-edit-bad-dialog.png');
    expect(sent.request.note).toBe(42);
    await retry(page, 'bull-board-edit-bad-retry-confirm.png');

    // The DLQ worker validates the edited row before enqueueing: back to failed, with the column named.
    expect(await waitFor(async () => /column "note": expected a string, got number/.test((await consumer.dlq.queue.getJob(dlqId(4)))?.failedReason ?? ''))).toBe(true);
    await page.reload();
    // A failed job opens on its Error tab, which shows the reason.
    await page.getByText(/column "note"/).first().waitFor();
    await page.screenshot({ path: `${SHOTS}/bull-board-edit-refused-error.png`, fullPage: true });
    await page.getByText('Data', { exact: true }).click();
    // The Data tab renders the JSON as `key:value` text.
    expect(await waitFor(async () => (await page.locator('body').innerText()).includes('note:42'))).toBe(true);
    await page.screenshot({ path: `${SHOTS}/bull-board-edit-refused.png`, fullPage: true });

    const record = await consumer.dlq.get(dlqId(4));
    expect(record?.state).toBe('failed');
    expect(await storedNote(4)).toBe(42); // as edited: nothing lost
    expect(await schemaQueue.getJob(`r_${dlqId(4)}`)).toBeUndefined(); // nothing enqueued
    expect(await pgQuery(`SELECT id FROM ${table} WHERE id = 4`)).toHaveLength(0);
    expect(await pgCount(table)).toBe(3);
    await page.context().close();
  });
});
