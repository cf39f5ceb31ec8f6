import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
// Fixing DLQ entries in place (replay transforms, Bull Board edits, rates, groups), on both queue backends.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SQLSchema } from '../../src/core/schema.js';
import { SqliteDriver } from '../../src/drivers/sqlite/sqlite-driver.js';
import { ConfigError } from '../../src/errors/config-error.js';
import { ValidationError } from '../../src/errors/validation-error.js';
import { BatchConsumer } from '../../src/queue/consumer/batch-consumer.js';
import type { DeadLetterEntry } from '../../src/queue/dead-letter-entry.js';
import { DeadLetterQueue, type ReplayDecision } from '../../src/queue/dead-letter/dead-letter-queue.js';
import { Producer } from '../../src/queue/producer/producer.js';
import { SchemaQueueView } from '../../src/queue/admin/schema-queue-view.js';
import { useCleanups } from '../helpers/cleanups.js';
import { parkedCount } from '../helpers/dlq-parked.js';
import { QUEUE_BACKENDS, openSpace, type QueueBackend } from '../helpers/queue-backends.js';
import { waitFor } from '../helpers/redis.js';

const defer = useCleanups();
const pay = SQLSchema('pay', 'ignore', { id: 'int64', amount: 'int32', note: 'string?' });

/** A real pipeline into SQLite whose CHECK refuses non-positive amounts, with the DLQ worker that serves Bull Board's Retry. */
async function pipeline(backend: QueueBackend, amounts: number[]) {
  const at = await openSpace(backend, 'dlqfix', defer);
  const { connection, prefix } = at;
  const dir = mkdtempSync(path.join(tmpdir(), 'bf-dlqfix-'));
  const file = path.join(dir, 'db.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE pay (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL CHECK (amount > 0), note TEXT)');
  const driver = new SqliteDriver({ filename: file });
  const producer = new Producer({ connection, schemas: [pay], prefix });
  const consumer = new BatchConsumer({ connection, schema: pay, executor: driver, prefix, flushSize: 100, flushIntervalMs: 50, deadLetterWorker: true });
  const view = new SchemaQueueView('pay', at.client(), prefix); // the schema queue, keyed as the consumer keys it
  const target = view.queue;
  defer(async () => {
    await producer.close();
    await consumer.close();
    await driver.close();
    await view.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await producer.submitMany(pay, amounts.map((amount, i) => ({ id: BigInt(i + 1), amount, note: null })));
  const bad = amounts.filter((a) => a <= 0).length;
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM pay').get() as { n: number }).n;
  expect(await waitFor(async () => (await parkedCount(consumer.dlq)) === bad && count() === amounts.length - bad, 20_000)).toBe(true);
  const rows = () => db.prepare('SELECT id, amount, note FROM pay ORDER BY id').all() as Array<{ id: number; amount: number; note: string | null }>;
  return { dlq: consumer.dlq, target, rows, count, prefix };
}

describe.each(QUEUE_BACKENDS)('DLQ fixes on $name', (backend) => {
  describe('dlq.replay({ transform }): edit before replay', () => {
    it('replays edited rows and drops the ones the transform returns null for; they land in the table', async () => {
      const { dlq, rows } = await pipeline(backend, [10, -1, -2, -3, 20]);
      const result = await dlq.replay({ transform: (row) => (row.id === 3n ? null : { ...row, amount: -Number(row.amount), note: 'refund' }) });
      expect(result).toEqual({ selected: 3, done: 2, skipped: 0, dropped: 1, refused: 0, stale: 0, refusals: [], failedAgain: 0, failedAgainIds: [] });
      expect(await waitFor(async () => rows().length === 4)).toBe(true);
      expect(rows()).toEqual([
        { id: 1, amount: 10, note: null },
        { id: 2, amount: 1, note: 'refund' },
        { id: 4, amount: 3, note: 'refund' },
        { id: 5, amount: 20, note: null },
      ]);
      expect(await dlq.count()).toBe(0);
    });

    it('refuses an edit that does not fit the schema, naming the column; the entries stay unchanged and nothing is enqueued', async () => {
      const { dlq, target } = await pipeline(backend, [-1, -2, 5]);
      const before = await dlq.list();
      // The pipeline's own first delivery stays among the kept completed jobs; nothing may be added.
      const jobsBefore = await target.getJobCounts('waiting', 'active', 'completed', 'delayed');
      const wrongType = await dlq.replay({ transform: (row) => ({ ...row, amount: 'lots' }) });
      expect(wrongType).toMatchObject({ selected: 2, done: 0, skipped: 0, dropped: 0, refused: 2 });
      const [first] = wrongType.refusals;
      expect(first?.error).toBeInstanceOf(ValidationError);
      expect(first?.error).toMatchObject({ kind: 'wrong_type', column: 'amount', schema: 'pay' });
      expect(first?.error.message).toMatch(/^DLQ entry d_\S+: schema "pay", column "amount"/);
      const unknown = await dlq.replay({ transform: (row) => ({ ...row, amonut: 1 }) });
      expect(unknown.refusals[0]?.error).toMatchObject({ kind: 'unknown_column', column: 'amonut' });
      const missing = await dlq.replay({ transform: ({ amount: _amount, ...row }) => row });
      expect(missing.refusals[0]?.error).toMatchObject({ kind: 'missing_column', column: 'amount' });

      expect(await dlq.list()).toEqual(before);
      expect(await target.getJobCounts('waiting', 'active', 'completed', 'delayed')).toEqual({ ...jobsBefore, waiting: 0, active: 0, delayed: 0 });
    });

    it('a dry run decides every entry in order (edits checked) without enqueueing or removing anything', async () => {
      const { dlq, target } = await pipeline(backend, [-1, -2, -3]);
      const completedBefore = (await target.getJobCounts('completed')).completed;
      const decisions: ReplayDecision[] = [];
      const result = await dlq.replay({
        dryRun: true,
        transform: (row) => (row.id === 1n ? null : row.id === 2n ? { ...row, amount: 2 ** 40 } : { ...row, amount: 3 }),
        onDecision: (d) => void decisions.push(d),
      });
      expect(result).toMatchObject({ selected: 3, done: 0, dropped: 1, refused: 1 });
      expect(result.refusals[0]?.error).toMatchObject({ kind: 'out_of_range', column: 'amount' });
      expect(decisions.map((d) => [d.action, d.action === 'replay' ? d.request?.get('amount') : undefined]).sort()).toEqual([['drop', undefined], ['refuse', undefined], ['replay', 3]]);
      expect(await dlq.count()).toBe(3);
      expect(await target.getJobCounts('waiting', 'completed')).toEqual({ waiting: 0, completed: completedBefore });
    });

    it('a transform needs the schema; a rate must be positive', async () => {
      const at = await openSpace(backend, 'dlqfixcfg', defer);
      const dlq = new DeadLetterQueue('pay', at.client(), at.prefix);
      defer(() => dlq.close());
      await expect(dlq.replay({ transform: (row) => row })).rejects.toThrow(ConfigError);
      await expect(dlq.replay({ ratePerSecond: 0 })).rejects.toThrow(/ratePerSecond/);
    });
  });

  describe('Bull Board: "Update data" on a DLQ job, then Retry (job.updateData() + job.retry(), which the buttons call)', () => {
    it('replays the edited request; an edit that does not fit fails the job again with the column named, and enqueues nothing', async () => {
      const { dlq, target, rows } = await pipeline(backend, [-5, -6, 1]);
      const [good, bad] = await dlq.list();
      const edit = async (id: string, amount: unknown) => {
        const job = await dlq.queue.getJob(id);
        if (!job) throw new Error(`entry ${id} missing`);
        const entry = job.data;
        await job.updateData({ ...entry, request: { ...(entry.request as object), amount } } as DeadLetterEntry);
        await job.retry('failed');
      };

      await edit(good?.id as string, 50);
      expect(await waitFor(async () => rows().some((r) => r.amount === 50))).toBe(true);
      expect(await waitFor(async () => (await dlq.count()) === 1)).toBe(true);

      await edit(bad?.id as string, 'fifty');
      expect(await waitFor(async () => (await dlq.get(bad?.id as string))?.state === 'failed')).toBe(true);
      const job = await dlq.queue.getJob(bad?.id as string);
      expect(job?.failedReason).toMatch(/column "amount"/);
      expect((job?.data.request as { amount: unknown }).amount).toBe('fifty'); // as edited: nothing lost
      expect(await target.getJob(`r_${bad?.id as string}`)).toBeUndefined();
      expect(rows()).toHaveLength(2);
    });
  });

  describe('dlq.replay({ ratePerSecond })', () => {
    it('replays 50 entries at 100/s in no less than ~0.45 s, and all of them land', async () => {
      // Entered directly: 50 bad rows in one flush would trip the storm guard, which holds them instead.
      const { dlq, rows } = await pipeline(backend, [1000]);
      const at = new Date().toISOString();
      await dlq.add(Array.from({ length: 50 }, (_, i) => ({
        key: `x${i}_0`,
        entry: { schema: 'pay', request: { id: { $int64: String(i + 101) }, amount: -(i + 1), note: null }, class: 'non_retryable', reason: 'non_retryable', errorCode: 'SQLITE_CONSTRAINT_CHECK', message: 'CHECK constraint failed', attempts: 1, firstFailedAt: at, lastFailedAt: at, sourceJobId: `x${i}`, replays: 0 } satisfies DeadLetterEntry,
      })));
      expect(await waitFor(async () => (await dlq.list()).filter((r) => r.state === 'failed').length === 50)).toBe(true);
      const started = performance.now();
      const result = await dlq.replay({ ratePerSecond: 100, transform: (row) => ({ ...row, amount: -Number(row.amount) }) });
      const elapsedMs = performance.now() - started;
      expect(result).toMatchObject({ selected: 50, done: 50, refused: 0 });
      expect(elapsedMs).toBeGreaterThanOrEqual(450);
      expect(elapsedMs).toBeLessThan(5000);
      expect(await waitFor(async () => rows().length === 51)).toBe(true);
      expect(rows().map((r) => r.amount)).toEqual([1000, ...Array.from({ length: 50 }, (_, i) => i + 1)]);
    });
  });

  describe('dlq.groups(): counts per class of failure, streamed over pages', () => {
    function entry(i: number, reason: string, errorCode: string | null): DeadLetterEntry {
      const at = new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString();
      return { schema: 'pay', request: { id: { $int64: String(i) }, amount: -i, note: null }, class: 'non_retryable', reason, errorCode, message: `${reason} #${i}`, attempts: 1, firstFailedAt: at, lastFailedAt: at, sourceJobId: String(i), sourceJobTimestamp: i, replays: 0 };
    }

    it('groups by reason and errorCode with the first message, largest first, and caps the groups it keeps', async () => {
      const at = await openSpace(backend, 'dlqgroups', defer);
      const dlq = new DeadLetterQueue('pay', at.client(), at.prefix, { pageSize: 7, schema: pay });
      defer(() => dlq.close());
      const kinds: Array<[string, string | null]> = [['non_retryable', '23514'], ['non_retryable', '23505'], ['deadlock', '40P01'], ['decode', null]];
      const counts = [20, 9, 4, 1];
      let i = 0;
      for (const [k, n] of counts.entries()) {
        const [reason, code] = kinds[k] as [string, string | null];
        await dlq.add(Array.from({ length: n }, () => ({ key: `${++i}_0`, entry: entry(i, reason, code) })));
      }
      const groups = await dlq.groups(['reason', 'errorCode']);
      expect(groups.map((g) => [g.key.reason, g.key.errorCode, g.count])).toEqual([
        ['non_retryable', '23514', 20],
        ['non_retryable', '23505', 9],
        ['deadlock', '40P01', 4],
        ['decode', null, 1],
      ]);
      expect(groups[0]?.firstMessage).toMatch(/^non_retryable #\d+$/);
      expect(groups[3]).toMatchObject({ firstId: 'd_34_0', firstMessage: 'decode #34' });
      expect((await dlq.groups(['errorCode'], { filter: { reason: 'non_retryable' } })).map((g) => g.count)).toEqual([20, 9]);
      const capped = await dlq.groups(['reason', 'errorCode'], { maxGroups: 2 });
      expect(capped.map((g) => [g.overflow ?? false, g.count])).toEqual([[false, 20], [false, 9], [true, 5]]);
    });
  });
});
