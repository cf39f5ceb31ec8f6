// Per-key order (issue 11, "last submit wins"): KEYS keys, each updated ROUNDS times in submit
// order, drained by two worker processes with several batches in flight each, while one worker
// is SIGKILLed mid-run (its jobs are redelivered after their lock lapses) and every FAIL_EVERY-th
// executor call reports a failure after its commit landed, then stalls, so the retry writes an
// older batch again after newer ones committed. With `versionColumn` every key must end at its
// last submit, on PostgreSQL, MariaDB and SQLite. The same run without it is the negative control:
// last commit wins, and how many keys end older is reported (not asserted: it depends on timing).
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { Producer, SQLSchema } from '../../src/index.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';
import { atScale, CHAOS_SCALE, recordFigures, since } from '../helpers/chaos-figures.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { useCleanups } from '../helpers/cleanups.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';
import { sequenceTable, type SequenceTable } from '../helpers/sequence-tables.js';
import { uniqueTable } from '../integration/sql-dialects.js';

const WORKER = new URL('../fixtures/versioned-worker.mjs', import.meta.url).pathname;
const KEYS = atScale(10_000, 2_000);
const ROUNDS = 20;
const LAST = ROUNDS - 1;
const DRAIN_MS = atScale(8 * 60_000, 90_000);
const defer = useCleanups();

const workerEnv = { MAX_IN_FLIGHT: '4', FLUSH_SIZE: '500', FAIL_EVERY: '4', STALL_MS: '1000' };

interface RunResult {
  readonly rows: number;
  readonly stale: number;
  readonly unversioned: number;
  readonly deadLettered: number;
  readonly injected: number;
  readonly pendingAtKill: number;
}

async function run(dialect: SequenceTable['dialect'], versioned: boolean): Promise<RunResult> {
  const started = performance.now();
  const prefix = uniquePrefix(`order_${dialect}`);
  const table = uniqueTable(`bf_order_${dialect}`);
  const sink = await sequenceTable(dialect, table);
  const schema = SQLSchema(table, 'update', { id: 'int64', seq: 'int32' }, versioned ? { versionColumn: 'v' } : {});
  const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
  const queue = new Queue(schema.name, { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(prefix, schema.name) });
  const dlq = new Queue(`${schema.name}.dlq`, { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(prefix, `${schema.name}.dlq`) });
  const workers: Spawned[] = [];
  defer(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await Promise.allSettled([producer.close(), queue.close(), dlq.close()]);
    await deletePrefix(prefix);
    await sink.dispose();
  });
  const spawnWorker = () => {
    const w = spawnNode([WORKER], { ...sink.workerEnv, ...workerEnv, REDIS_URL, PREFIX: prefix, TABLE: table, VERSIONED: versioned ? '1' : '0' });
    workers.push(w);
    return w;
  };
  const pending = async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0);

  const victim = spawnWorker();
  spawnWorker();
  await Promise.all(workers.map((w) => w.waitForLine(/"ready"/)));
  const submitting = (async () => {
    for (let seq = 0; seq < ROUNDS; seq++) {
      await producer.submitMany(schema, Array.from({ length: KEYS }, (_, id) => ({ id: BigInt(id), seq })));
    }
  })();
  // Kill one worker once it has committed a few batches, while most of the work is still queued.
  const committed = (w: Spawned) => w.lines.filter((l) => l.includes('"committed"')).length;
  expect(await waitFor(() => committed(victim) >= 4, 60_000, 20)).toBe(true);
  const pendingAtKill = await pending();
  victim.child.kill('SIGKILL');
  await victim.exited;
  await spawnWorker().waitForLine(/"ready"/);
  await submitting;
  // Drained: no job left waiting or active (the victim's jobs come back once their 3 s lock lapses).
  expect(await waitFor(async () => (await pending()) === 0, DRAIN_MS, 250)).toBe(true);

  const counts = await sink.counts(LAST);
  const deadLettered = Object.values(await dlq.getJobCounts()).reduce((a, b) => a + b, 0);
  const injected = workers.reduce((n, w) => n + w.lines.filter((l) => l.includes('"injected"')).length, 0);
  recordFigures({
    scenario: `per-key order, ${dialect}, ${versioned ? 'versionColumn' : 'no versionColumn (control)'}`,
    submitted: KEYS * ROUNDS,
    landed: counts.rows,
    duplicates: 0, // the primary key makes duplicates impossible; staleness is the figure here
    deadLettered,
    faults: injected + 1,
    durationMs: since(started),
    notes: `keys not at their last submit: ${counts.stale} of ${KEYS}; ${injected} commits reported failed after landing; 1 SIGKILL with ${pendingAtKill} jobs pending`,
  });
  return { ...counts, deadLettered, injected, pendingAtKill };
}

describe.each(['postgres', 'mysql', 'sqlite'] as const)('chaos: per-key order on %s', (dialect) => {
  it(`with versionColumn, every one of ${KEYS} keys ends at its last of ${ROUNDS} submits`, async () => {
    const result = await run(dialect, true);
    expect(result.pendingAtKill).toBeGreaterThan(0); // the kill hit a run in progress
    expect(result.injected).toBeGreaterThan(0); // retries of committed batches did happen
    expect(result.deadLettered).toBe(0);
    expect(result.rows).toBe(KEYS);
    expect(result.unversioned).toBe(0);
    expect(result.stale).toBe(0);
  });

  // The control shows the fault is real; at CI scale once (on PostgreSQL) is enough to keep the run bounded.
  it.skipIf(CHAOS_SCALE === 'ci' && dialect !== 'postgres')('without versionColumn (negative control), the same run lets the last commit win', async () => {
    const result = await run(dialect, false);
    console.log(`per-key order control on ${dialect}: ${result.stale} of ${KEYS} keys ended at an older submit (${result.injected} injected retries)`);
    expect(result.deadLettered).toBe(0);
    expect(result.rows).toBe(KEYS);
    expect(result.unversioned).toBe(KEYS); // nothing writes v
  });
});
