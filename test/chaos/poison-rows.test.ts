// Scenario 4: 1% of the rows violate a CHECK constraint and 0.1% of the jobs are undecodable
// payloads written straight into the queue (as another producer version, or a bug, might).
// Bisection must isolate exactly the bad rows, the DLQ must say why, the workers must not crash,
// and once the table is fixed a replay must land the rows the constraint refused.
import { describe, expect, it } from 'vitest';
import { atScale, recordFigures, since } from '../helpers/chaos-figures.js';
import { pgScenario, scoreRows } from '../helpers/chaos-pg.js';
import { useCleanups } from '../helpers/cleanups.js';
import { pgQuery } from '../helpers/pg.js';
import { waitFor } from '../helpers/redis.js';

const defer = useCleanups();
const N = atScale(50_000, 10_000);
const CHUNK = 1000;
const isBad = (id: number) => id % 100 === 42; // 1% violate CHECK (score >= 0)
const UNDECODABLE = N / 1000; // 0.1%, on top of the N rows
const UNKNOWN_SCHEMA = 5;

/** Payloads no consumer can read; `marker` tells them apart in the DLQ. */
const undecodable = (marker: number): Record<string, unknown> => {
  switch (marker % 4) {
    case 0:
      return { v: 99, rows: [{ id: { $int64: '1' } }], marker }; // a future format version
    case 1:
      return { v: 1, rows: [{ id: { $int64: 'zz' }, name: 'x', score: 1 }], marker }; // malformed int64
    case 2:
      return { v: 1, rows: [], marker }; // no rows
    default:
      return { v: 1, rows: [{ id: { $int64: '7' }, name: 'x', score: 1, dropped: true }], marker }; // unknown column
  }
};

describe('chaos: poison rows', () => {
  it('dead-letters exactly the bad rows and payloads with their class, and replay lands the fixed ones', async () => {
    const s = await pgScenario('poison', defer, { tableExtra: ', CONSTRAINT score_ok CHECK (score >= 0)' });
    const workers = [s.worker(), s.worker()];
    await Promise.all(workers.map((w) => w.waitForLine(/"ready"/)));

    const started = performance.now();
    const badIds: number[] = [];
    let marker = 0;
    for (let from = 0; from < N; from += CHUNK) {
      const rows = scoreRows(CHUNK, from).map((r) => (isBad(Number(r.id)) ? (badIds.push(Number(r.id)), { ...r, score: -1 }) : r));
      await s.producer.submitMany(s.schema, rows);
      // Interleave the undecodable jobs with the good ones, written with BullMQ directly.
      for (const end = Math.round(((from + CHUNK) / N) * UNDECODABLE); marker < end; marker++) await s.queue.add(s.schema.name, undecodable(marker));
    }
    for (let k = 0; k < UNKNOWN_SCHEMA; k++) await s.queue.add(s.schema.name, { v: 1, s: 'some_other_schema', rows: [{ id: { $int64: String(k) } }], marker: -1 - k });
    const expectedDead = badIds.length + UNDECODABLE + UNKNOWN_SCHEMA;

    const settled = await waitFor(async () => (await s.landed()) === N - badIds.length && (await s.dlq.count()) === expectedDead, atScale(300_000, 120_000), 250);
    const durationMs = since(started);
    const records = await s.dlq.list();
    const byClass = (cls: string) => records.filter((r) => r.entry.class === cls);
    const constraintIds = byClass('non_retryable').map((r) => Number((r.entry.request as { id: { $int64: string } }).id.$int64)).sort((a, b) => a - b);
    const markers = (cls: string) => byClass(cls).map((r) => (r.entry.request as { marker: number }).marker).sort((a, b) => a - b);

    // The fix: drop the constraint, then replay only what the constraint refused.
    await pgQuery(`ALTER TABLE ${s.table} DROP CONSTRAINT score_ok`);
    const replay = await s.dlq.replay({ filter: { class: 'non_retryable' } });
    const replayed = await waitFor(async () => (await s.landed()) === N, 60_000, 250);
    const [negative] = await pgQuery<{ n: string }>(`SELECT count(*)::text AS n FROM ${s.table} WHERE score = -1`);
    const landed = await s.landed();
    recordFigures({
      scenario: '4 poison rows (1% CHECK violations, 0.1% undecodable)',
      submitted: N + UNDECODABLE + UNKNOWN_SCHEMA,
      landed,
      duplicates: await s.duplicates(),
      deadLettered: records.length,
      faults: expectedDead,
      durationMs,
      notes: `${constraintIds.length} non_retryable (23514), ${markers('undecodable').length} undecodable, ${markers('unknown_schema').length} unknown_schema; replay landed ${replay.done} after the fix`,
    });

    expect(settled).toBe(true);
    expect(constraintIds).toEqual(badIds);
    for (const { entry } of byClass('non_retryable')) expect(entry).toMatchObject({ reason: 'non_retryable', errorCode: '23514', schema: s.schema.name });
    expect(markers('undecodable')).toEqual(Array.from({ length: UNDECODABLE }, (_, k) => k));
    for (const { entry } of byClass('undecodable')) expect(entry).toMatchObject({ reason: 'decode', errorCode: null });
    expect(markers('unknown_schema')).toEqual(Array.from({ length: UNKNOWN_SCHEMA }, (_, k) => -UNKNOWN_SCHEMA + k));
    expect(records).toHaveLength(expectedDead);

    expect(replay).toMatchObject({ selected: badIds.length, done: badIds.length, skipped: 0 });
    expect(replayed).toBe(true);
    expect(landed).toBe(N);
    expect(Number(negative?.n)).toBe(badIds.length);
    expect(await s.dlq.count()).toBe(UNDECODABLE + UNKNOWN_SCHEMA); // unreadable payloads stay until a consumer can read them
    expect(await s.duplicates()).toBe(0);
    for (const w of workers) {
      expect(w.child.exitCode).toBeNull(); // no worker crashed
      // and none printed a stack trace: besides its JSON, only the library's own one-line notices
      // (`logger` default: dead-lettering, once per cause).
      expect(w.lines.filter((l) => !l.startsWith('{') && !l.startsWith('[batchflow] '))).toEqual([]);
    }
  });
});
