import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver, Producer, SQLSchema, partitionOf } from '../../src/index.js';
import { schemaQueueNames } from '../../src/queue/queue-names.js';
import { SchemaQueueView } from '../../src/queue/admin/schema-queue-view.js';
import { useCleanups } from '../helpers/cleanups.js';
import { parkedCount } from '../helpers/dlq-parked.js';
import { assertCliBuilt, runCli } from '../helpers/cli.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { QUEUE_BACKENDS, openSpace } from '../helpers/queue-backends.js';
import { waitFor } from '../helpers/redis.js';

// Queues on each backend (standalone Redis, PostgreSQL), rows into PostgreSQL: a schema spread over 4 partition queues.
const PARTITIONS = 4;
const ROWS = 2000;
const RESUBMITTED = 200; // ids 0..199 are submitted a second time: they must follow their first submit
const POISON_ID = 1777;

const defer = useCleanups();
const partitionOfId = (id: number) => partitionOf(['id'], { id: { $int64: String(id) } }, PARTITIONS);

/** Each partition queue's waiting rows, oldest job first: [id, body] in queue order. */
async function waitingRows(view: SchemaQueueView): Promise<Array<Array<[number, string]>>> {
  return Promise.all(
    view.partitionQueues.map(async (queue) => {
      const jobs = await queue.getJobs(['waiting'], 0, -1, true);
      jobs.sort((a, b) => Number(a.id) - Number(b.id)); // BullMQ job ids increase per queue
      return jobs.flatMap((job) => (job.data as { rows: Array<{ id: { $int64: string }; body: string }> }).rows.map((r): [number, string] => [Number(r.id.$int64), r.body]));
    }),
  );
}

describe.each(QUEUE_BACKENDS)('partitioned schema (partitions: 4), queues on $name, into PostgreSQL', (backend) => {
  it('routes each key to one partition, in submit order; drains every row exactly once; a poison row dead-letters alone in its partition and replays into it', async () => {
    const table = uniqueTable('parts');
    defer(() => pgQuery(`DROP TABLE IF EXISTS ${table}`));
    const at = await openSpace(backend, 'parts', defer);
    const { connection, prefix } = at;
    const orders = SQLSchema(table, 'ignore', { id: 'int64', body: 'string' }, { partitions: PARTITIONS });
    const openView = () => {
      const view = new SchemaQueueView(orders.name, at.client(), prefix, PARTITIONS);
      defer(() => view.close());
      return view;
    };
    const startConsumer = (): BatchConsumer => {
      const executor = new PostgresDriver({ connectionString: PG_URL });
      const consumer = new BatchConsumer({ connection, prefix, schema: orders, executor, flushSize: 500, flushIntervalMs: 50 });
      defer(async () => {
        await consumer.close();
        await executor.close();
      });
      return consumer;
    };

    expect(schemaQueueNames(orders)).toEqual([0, 1, 2, 3].map((p) => `${table}#${p}`));
    // The poison row: rejected by PostgreSQL (check_violation 23514) until the constraint is dropped.
    await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, body text NOT NULL CONSTRAINT no_poison CHECK (body <> 'poison'))`);
    const producer = new Producer({ connection, prefix, schemas: [orders] });
    defer(() => producer.close());
    const first = Array.from({ length: ROWS }, (_, id) => ({ id: BigInt(id), body: id === POISON_ID ? 'poison' : `first ${id}` }));
    for (let from = 0; from < ROWS; from += 250) await producer.submitMany(orders, first.slice(from, from + 250));
    await producer.submitMany(orders, Array.from({ length: RESUBMITTED }, (_, id) => ({ id: BigInt(id), body: `again ${id}` })));
    await Promise.all(Array.from({ length: 20 }, (_, id) => producer.submit(orders, { id: BigInt(id), body: `third ${id}` })));
    await producer.close(); // done: on PostgreSQL its queues' pools are connections the worker below needs (see the CLI step)

    // Before any worker runs: every request sits in the partition of its key, after its earlier submits.
    // A view only while it is used: on PostgreSQL each of its queues keeps a pool (see the CLI step below).
    const before = openView();
    const perPartition = await waitingRows(before);
    await before.close();
    const counts = perPartition.map((rows) => rows.length);
    console.log(`requests per partition before draining: ${counts.join(', ')} (of ${ROWS + RESUBMITTED + 20})`);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ROWS + RESUBMITTED + 20);
    for (const n of counts) expect(n).toBeGreaterThan(ROWS / PARTITIONS / 2);
    perPartition.forEach((rows, p) => {
      const seen = new Map<number, string[]>();
      for (const [id, body] of rows) {
        expect(partitionOfId(id)).toBe(p);
        seen.set(id, [...(seen.get(id) ?? []), body.split(' ')[0] as string]);
      }
      for (const [id, bodies] of seen) {
        const expected = [id === POISON_ID ? 'poison' : 'first', ...(id < RESUBMITTED ? ['again'] : []), ...(id < 20 ? ['third'] : [])];
        expect(bodies, `order of id ${id} in partition ${p}`).toEqual(expected);
      }
    });

    // One consumer holds all four partitions; every row lands once (the key makes redeliveries idempotent).
    const consumer = startConsumer();
    await consumer.waitUntilReady();
    expect(consumer.dlqs.map((dlq) => dlq.queue.name)).toEqual(schemaQueueNames(orders).map((q) => `${q}.dlq`));
    expect(await waitFor(async () => (await pgCount(table)) === ROWS - 1, 60_000, 100)).toBe(true);
    const poisonPartition = partitionOfId(POISON_ID);
    const poisonDlq = consumer.dlqs[poisonPartition];
    expect(await waitFor(async () => poisonDlq !== undefined && (await parkedCount(poisonDlq)) === 1, 20_000, 100)).toBe(true);
    const dlqSizes = await Promise.all(consumer.dlqs.map((dlq) => dlq.count()));
    console.log(`DLQ entries per partition: ${dlqSizes.join(', ')} (poison id ${POISON_ID} is in partition ${poisonPartition})`);
    expect(dlqSizes).toEqual([0, 1, 2, 3].map((p) => (p === poisonPartition ? 1 : 0)));
    const [entry] = (await consumer.dlqs[poisonPartition]?.list()) ?? [];
    expect(entry?.entry).toMatchObject({ schema: orders.name, errorCode: '23514', request: { id: { $int64: String(POISON_ID) }, body: 'poison' } });
    const [{ body: firstBody } = { body: '' }] = await pgQuery<{ body: string }>(`SELECT body FROM ${table} WHERE id = 5`);
    expect(firstBody).toBe('first 5'); // ignore: the first submit of a key won, its later ones were no-ops
    const view = openView();
    const settled = (dlq: number) => JSON.stringify({ waiting: 0, active: 0, delayed: 0, failed: 0, dlq });
    // Jobs complete just after their rows commit: wait for the last ones to leave `active`.
    expect(await waitFor(async () => JSON.stringify(await view.counts()) === settled(1), 10_000, 100)).toBe(true);

    // The CLI sees the schema's DLQs together (`orders`) or one partition's (`orders#p`). The worker is closed first:
    // on PostgreSQL each BullMQ Queue and Worker has a pool of its own, and this worker (4 partitions, their DLQs), the
    // view and a CLI process together reached the shared server's 100 connections.
    await consumer.close();
    assertCliBuilt();
    const dir = mkdtempSync(path.join(tmpdir(), 'bf-parts-cli-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const configPath = path.join(dir, 'batchflow.json');
    const schemaEntry = { sink: 'pg', table, conflict: 'ignore', columns: { id: 'int64', body: 'string' }, partitions: PARTITIONS };
    writeFileSync(configPath, JSON.stringify({ ...at.configFields(), sinks: { pg: { type: 'postgres', url: PG_URL } }, schemas: [schemaEntry] }));
    const listed = async (name: string) => {
      const run = await runCli(['--config', configPath, 'dlq', 'list', name, '--json']);
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as Array<{ entry: { request: { id: { $int64: string } } } }>).map((r) => r.entry.request.id.$int64);
    };
    expect(await listed(table)).toEqual([String(POISON_ID)]);
    expect(await listed(`${table}#${poisonPartition}`)).toEqual([String(POISON_ID)]);
    expect(await listed(`${table}#${(poisonPartition + 1) % PARTITIONS}`)).toEqual([]);

    // Replay (CLI, over every partition) with no worker running: the entry goes back to its own partition's queue, nowhere else.
    await pgQuery(`ALTER TABLE ${table} DROP CONSTRAINT no_poison`);
    const replay = await runCli(['--config', configPath, 'dlq', 'replay', table]);
    expect(replay.code, replay.stderr).toBe(0);
    console.log(`batchflow dlq replay ${table}:\n${replay.stdout.trim()}`);
    expect(replay.stdout).toContain(`replayed 1 of 1 selected entries of ${table}#${poisonPartition}`);
    const afterReplay = await waitingRows(view);
    expect(afterReplay.map((rows) => rows.length)).toEqual([0, 1, 2, 3].map((p) => (p === poisonPartition ? 1 : 0)));
    expect(afterReplay[poisonPartition]).toEqual([[POISON_ID, 'poison']]);

    const again = startConsumer();
    await again.waitUntilReady();
    expect(await waitFor(async () => (await pgCount(table)) === ROWS, 30_000, 100)).toBe(true);
    const [dups] = await pgQuery<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE body = 'poison'`);
    expect(dups?.n).toBe('1');
    expect(await waitFor(async () => JSON.stringify(await view.counts()) === settled(0), 10_000, 100)).toBe(true);
  }, 120_000);
});
