// Scenario 1: three worker processes drain N requests while, every 2 s, one of them is killed
// with SIGKILL and restarted. A killed worker's jobs stay locked until their lock lapses, then
// BullMQ's stalled-job check hands them to a survivor; the upsert makes the redelivery harmless.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { atScale, recordFigures, since } from '../helpers/chaos-figures.js';
import { committedRows, pgScenario, scoreRows } from '../helpers/chaos-pg.js';
import type { Spawned } from '../helpers/child-process.js';
import { useCleanups } from '../helpers/cleanups.js';
import { pgQuery } from '../helpers/pg.js';
import { waitFor } from '../helpers/redis.js';

const defer = useCleanups();
const N = atScale(100_000, 20_000);
const WORKERS = 3;
const KILL_EVERY_MS = 2000;
const DEADLINE_MS = atScale(10 * 60_000, 3 * 60_000);

describe('chaos: worker crashes', () => {
  it(`lands ${N} requests exactly once while a worker is SIGKILLed every 2 s`, async () => {
    // One job per request, as in the figures: packed jobs would land 20,000 rows before the third kill,
    // and one job per request is the most redelivery per crash.
    const s = await pgScenario('crash', defer, { producer: { packing: false } });
    const spawnWorker = () => s.worker({ FLUSH_SIZE: '500', FLUSH_INTERVAL_MS: '200' });
    const slots: Spawned[] = Array.from({ length: WORKERS }, spawnWorker);
    await Promise.all(slots.map((w) => w.waitForLine(/"ready"/)));

    const started = performance.now();
    const submitting = (async () => {
      for (let from = 0; from < N; from += 5000) await s.producer.submitMany(s.schema, scoreRows(Math.min(5000, N - from), from));
    })();

    // Kill one worker every 2 s, round robin, until every row has landed.
    let kills = 0;
    const deadline = Date.now() + DEADLINE_MS;
    while ((await s.landed()) < N && Date.now() < deadline) {
      await sleep(KILL_EVERY_MS);
      const slot = kills % WORKERS;
      const victim = slots[slot] as Spawned;
      victim.child.kill('SIGKILL');
      await victim.exited;
      kills++;
      slots[slot] = spawnWorker(); // restarted at once; it boots while the others keep working
    }
    await submitting;
    const landedAt = since(started);
    // Jobs whose batch committed just before a kill are still locked; let them be redelivered
    // and completed, so the queue ends empty and any duplicate they could cause is visible.
    const drained = await waitFor(async () => (await s.pending()) === 0, atScale(120_000, 60_000), 500);

    const landed = await s.landed();
    const duplicates = await s.duplicates();
    const deadLettered = await s.dlq.count();
    const written = committedRows(s.workers);
    recordFigures({
      scenario: '1 worker crashes (3 workers, SIGKILL every 2 s)',
      submitted: N,
      landed,
      duplicates,
      deadLettered,
      faults: kills,
      durationMs: landedAt,
      notes: `${kills} kills; ${written - N} rows redelivered and upserted again; ${Math.round((N / landedAt) * 1000)} rows/s`,
    });

    expect(kills).toBeGreaterThanOrEqual(3);
    expect(landed).toBe(N);
    expect(duplicates).toBe(0);
    const [range] = await pgQuery<{ lo: string; hi: string }>(`SELECT min(id)::text AS lo, max(id)::text AS hi FROM ${s.table}`);
    expect(range).toEqual({ lo: '0', hi: String(N - 1) });
    expect(deadLettered).toBe(0);
    expect(drained).toBe(true);
    expect(await s.failedJobs()).toBe(0);
  });
});
