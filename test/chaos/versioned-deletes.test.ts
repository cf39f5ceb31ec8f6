// Versioned deletes under chaos: 10,000 keys, each with interleaved upserts and deletes carrying
// increasing versions, submitted in rounds while a worker is SIGKILLed every 2 s and once per round (its jobs are
// redelivered by BullMQ's stalled-job check), then injected redeliveries: older operations of
// every key submitted again after the newest ones committed. The table must equal the newest
// operation per key: 0 resurrected rows (a key whose newest operation is a delete, present) and
// 0 stale rows (a key whose newest operation is an upsert, missing or at another version).
// A control run with `tombstones: false` must show resurrections, so the test can fail.
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { Producer, Request, SQLSchema } from '../../src/index.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';
import { atScale, recordFigures, since } from '../helpers/chaos-figures.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { useCleanups } from '../helpers/cleanups.js';
import { PG_URL, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';
import { prng } from '../helpers/bad-inputs.js';

const defer = useCleanups();
const WORKER = new URL('../fixtures/delete-worker.mjs', import.meta.url).pathname;
const KEYS = 10_000;
/** Operations per key (the rounds); fewer in CI, the keys stay 10,000. */
const ROUNDS = atScale(4, 3);
const KILL_EVERY_MS = 2000;
const DEADLINE_MS = atScale(10 * 60_000, 4 * 60_000);

/** One operation of one key: an upsert of `val`, or a delete, at version `v`. */
interface Op {
  readonly id: number;
  readonly del: boolean;
  readonly val: number;
  readonly v: number;
}

/** A small deterministic PRNG (the fuzz helpers' mulberry32), so a failure can be replayed. */
const random = (seed: number): (() => number) => prng(seed).next;

/** Per key, `ROUNDS` operations at versions 1…ROUNDS; about half the keys end with a delete, and every such key has an older upsert. */
function plan(seed: number): Op[][] {
  const rnd = random(seed);
  return Array.from({ length: KEYS }, (_, id) => {
    const ops: Op[] = [];
    for (let r = 1; r <= ROUNDS; r++) ops.push({ id, del: r > 1 && rnd() < 0.5, val: Math.floor(rnd() * 1e6), v: r });
    return ops;
  });
}

async function run(label: string, tombstones: boolean, kills: boolean) {
  const seed = Number(process.env.CHAOS_SEED ?? 20261207);
  const prefix = uniquePrefix(label);
  const table = uniqueTable(label);
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, val int NOT NULL, v bigint)`);
  const schema = SQLSchema(table, 'update', { id: 'int64', val: 'int32', v: 'int64?' }, { versionColumn: 'v', versionSource: 'row', tombstones });
  // One job per request, as in worker-crashes: the most redelivery per kill.
  const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix, packing: false });
  const queue = new Queue(schema.name, { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(prefix, schema.name) });
  queue.on('error', () => {});
  const workers: Spawned[] = [];
  defer(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.allSettled([producer.close(), queue.close()]);
    await deletePrefix(prefix);
    await pgQuery(`DROP TABLE IF EXISTS ${table}`);
    await pgQuery(`DROP TABLE IF EXISTS ${table}_bf_tombstones`);
  });
  const spawn = () => {
    const w = spawnNode([WORKER], { REDIS_URL, PG_URL, TABLE: table, PREFIX: prefix, TOMBSTONES: tombstones ? '1' : '0', FLUSH_SIZE: '500' });
    workers.push(w);
    return w;
  };
  const pending = async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0);
  const toRequest = (op: Op) => (op.del ? Request.deleteOf(schema, { id: BigInt(op.id), v: BigInt(op.v) }) : Request.fromRow(schema, { id: BigInt(op.id), val: op.val, v: BigInt(op.v) }));
  const submit = async (ops: readonly Op[]) => {
    for (let i = 0; i < ops.length; i += 2000) await producer.submitMany(ops.slice(i, i + 2000).map(toRequest));
  };

  const ops = plan(seed);
  const slots = [spawn(), spawn()];
  await Promise.all(slots.map((w) => w.waitForLine(/"ready"/)));
  const started = performance.now();
  let killed = 0;
  let stop = false;
  const killOne = async () => {
    const slot = killed % slots.length;
    const victim = slots[slot] as Spawned;
    victim.child.kill('SIGKILL');
    await victim.exited;
    killed++;
    slots[slot] = spawn();
  };
  const killer = (async () => {
    while (kills && !stop) {
      await sleep(KILL_EVERY_MS);
      if (!stop) await killOne();
    }
  })();
  // Round by round: every key's r-th operation, keys shuffled, so upserts and deletes interleave in every batch.
  const rnd = random(seed + 1);
  for (let r = 0; r < ROUNDS; r++) {
    const round = ops.map((keyOps) => keyOps[r] as Op);
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [round[i], round[j]] = [round[j] as Op, round[i] as Op];
    }
    await submit(round);
    // And one kill while the round is in flight, so every round sees a crash however fast the machine is.
    if (kills) await killOne();
  }
  const drained = await waitFor(async () => (await pending()) === 0, DEADLINE_MS, 500);
  // Injected redeliveries: after the newest operations committed, an older operation of every key
  // again (its newest older upsert where it has one): the late copy a lost ack or a replay brings.
  const late = ops.map((keyOps) => [...keyOps.slice(0, -1)].reverse().find((op) => !op.del) ?? (keyOps[0] as Op));
  await submit(late);
  const redelivered = await waitFor(async () => (await pending()) === 0, DEADLINE_MS, 500);
  stop = true;
  await killer;

  const rows = await pgQuery<{ id: string; val: number; v: string }>(`SELECT id::text, val, v::text FROM ${table}`);
  const stored = new Map(rows.map((row) => [Number(row.id), row]));
  let resurrected = 0;
  let stale = 0;
  for (const keyOps of ops) {
    const newest = keyOps[keyOps.length - 1] as Op;
    const row = stored.get(newest.id);
    if (newest.del) {
      if (row) resurrected++;
    } else if (!row || Number(row.v) !== newest.v || row.val !== newest.val) {
      stale++;
    }
  }
  return { drained, redelivered, resurrected, stale, killed, submitted: KEYS * (ROUNDS + 1), deletes: ops.flat().filter((op) => op.del).length, durationMs: since(started) };
}

describe('chaos: versioned deletes', () => {
  it(`${KEYS} keys of interleaved upserts and deletes, workers SIGKILLed every 2 s, older operations redelivered: 0 resurrected, 0 stale`, async () => {
    const result = await run('deletes', true, true);
    recordFigures({
      scenario: 'versioned deletes (tombstones; SIGKILL every 2 s; late older writes)',
      submitted: result.submitted,
      landed: KEYS - result.resurrected - result.stale,
      duplicates: 0,
      deadLettered: 0,
      faults: result.killed,
      durationMs: result.durationMs,
      notes: `${result.deletes} deletes; ${result.resurrected} resurrected, ${result.stale} stale`,
    });
    expect(result.drained).toBe(true);
    expect(result.redelivered).toBe(true);
    expect(result.killed).toBeGreaterThanOrEqual(ROUNDS);
    expect({ resurrected: result.resurrected, stale: result.stale }).toEqual({ resurrected: 0, stale: 0 });
  }, DEADLINE_MS * 2 + 60_000);

  it('control: without tombstones the same late older writes resurrect deleted rows', async () => {
    const result = await run('deletes_ctl', false, false);
    recordFigures({
      scenario: 'versioned deletes, control without tombstones (late older writes)',
      submitted: result.submitted,
      landed: KEYS - result.resurrected - result.stale,
      duplicates: 0,
      deadLettered: 0,
      faults: 0,
      durationMs: result.durationMs,
      notes: `${result.deletes} deletes; ${result.resurrected} resurrected, ${result.stale} stale`,
    });
    expect(result.redelivered).toBe(true);
    expect(result.resurrected).toBeGreaterThan(0);
    expect(result.stale).toBe(0);
  }, DEADLINE_MS * 2 + 60_000);
});
