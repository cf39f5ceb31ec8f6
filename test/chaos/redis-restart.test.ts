// Scenario 3: the Redis behind producers and a worker is killed with SIGKILL mid-run and restarted
// from its AOF (appendfsync everysec). Every submit() that resolved must reach the database;
// while Redis is down, submit() must reject promptly (never hang), and a retry after the restart
// must succeed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { QueueUnavailableError } from '../../src/index.js';
import { atScale, recordFigures, since } from '../helpers/chaos-figures.js';
import { pgScenario } from '../helpers/chaos-pg.js';
import { useCleanups } from '../helpers/cleanups.js';
import { pgQuery } from '../helpers/pg.js';
import { waitFor } from '../helpers/redis.js';
import { RedisServer } from '../helpers/redis-server.js';

const defer = useCleanups();
const BEFORE_MS = atScale(10_000, 4000); // producing before the kill
const DOWN_MS = atScale(5000, 3000); // Redis is gone this long
const AFTER_MS = atScale(10_000, 4000); // producing after the restart
const SUBMITTERS = 8;
/** A submit that neither resolves nor rejects within this is a hang: the contract says it must not. */
const SUBMIT_BOUND_MS = 10_000;

type Outcome = { status: 'resolved' } | { status: 'rejected'; error: unknown } | { status: 'timeout' };

function bounded(promise: Promise<unknown>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ status: 'timeout' }), ms)));
  const settled = promise.then(
    (): Outcome => ({ status: 'resolved' }),
    (error: unknown): Outcome => ({ status: 'rejected', error }),
  );
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
}

describe('chaos: Redis restart', () => {
  it('keeps every acknowledged request across a kill -9 of Redis; submit() rejects while it is down', async () => {
    // Redis's own log tells whether it postponed an AOF write (see below).
    const logDir = mkdtempSync(path.join(tmpdir(), 'bf-redis-log-'));
    defer(() => rmSync(logDir, { recursive: true, force: true }));
    const logFile = path.join(logDir, 'redis.log');
    const redis = await RedisServer.create({ args: ['--appendonly', 'yes', '--appendfsync', 'everysec', '--logfile', logFile] });
    await redis.start();
    defer(() => redis.remove());
    const s = await pgScenario('redis', defer, { redisUrl: redis.url });
    const worker = s.worker({ FLUSH_SIZE: '200', FLUSH_INTERVAL_MS: '100' });
    await worker.waitForLine(/"ready"/);

    const row = (id: number) => ({ id: BigInt(id), name: `row ${id}`, score: id % 1000 });
    const acked = new Set<number>();
    const ackedAt = new Map<number, number>();
    const rejected = new Map<number, unknown>();
    const hung: number[] = [];
    let nextId = 0;
    let producing = true;
    const started = performance.now();
    const submitter = async () => {
      while (producing) {
        const id = nextId++;
        const outcome = await bounded(s.producer.submit(s.schema, row(id)), SUBMIT_BOUND_MS);
        if (outcome.status === 'resolved') {
          acked.add(id);
          ackedAt.set(id, performance.now());
        }
        else if (outcome.status === 'rejected') {
          rejected.set(id, outcome.error);
          await sleep(100); // a client backs off before its next try
        } else hung.push(id);
      }
    };
    const submitters = Array.from({ length: SUBMITTERS }, submitter);

    await sleep(BEFORE_MS);
    const ackedBeforeKill = acked.size;
    await redis.kill();
    const killedAt = performance.now();
    await sleep(DOWN_MS);
    const rejectedWhileDown = rejected.size;
    await redis.start(); // same port, same dir: the AOF is replayed
    const restartedAt = performance.now();
    const ackedAtRestart = acked.size;
    await waitFor(() => acked.size > ackedAtRestart, 30_000, 10);
    const producerBackMs = Math.round(performance.now() - restartedAt);
    await sleep(AFTER_MS);
    producing = false;
    await Promise.all(submitters);

    // Retry what was rejected, as the caller would; after the restart these must succeed.
    const retryOutcomes = await Promise.all([...rejected.keys()].map((id) => bounded(s.producer.submit(s.schema, row(id)), SUBMIT_BOUND_MS)));
    const retriedOk = retryOutcomes.filter((o) => o.status === 'resolved').length;
    const total = nextId;
    const allLanded = await waitFor(async () => (await s.landed()) === total, atScale(180_000, 90_000), 250);
    const durationMs = since(started);
    const missingAcked = await pgQuery<{ id: string }>(
      `SELECT a.id::text FROM unnest($1::bigint[]) AS a(id) LEFT JOIN ${s.table} t ON t.id = a.id WHERE t.id IS NULL`,
      [[...acked]],
    );
    await waitFor(async () => (await s.pending()) === 0, 60_000, 250);
    const landed = await s.landed();
    const duplicates = await s.duplicates();
    const deadLettered = await s.dlq.count();
    const messages = new Set([...rejected.values()].map((e) => (e instanceof Error ? e.message : String(e))));
    // With everysec, a background fsync slower than usual makes Redis postpone the AOF write (up
    // to 2 s) while it keeps replying; a kill -9 then loses those acknowledged writes. Redis logs
    // it. That is Redis's documented trade-off (appendfsync always has no such window), not ours.
    const postponed = existsSync(logFile) && readFileSync(logFile, 'utf8').includes('Asynchronous AOF fsync is taking too long');
    recordFigures({
      scenario: '3 Redis kill -9 + restart (AOF everysec)',
      submitted: total,
      landed,
      duplicates,
      deadLettered,
      faults: 1,
      durationMs,
      notes:
        `${acked.size} acked (${ackedBeforeKill} before the kill), ${rejected.size} rejected while down and ${retriedOk} of them retried OK, ` +
        `${hung.length} hung; ${missingAcked.length} acked missing${postponed ? ' (Redis logged a postponed AOF write)' : ''}; down ${Math.round(restartedAt - killedAt)} ms, producers back ${producerBackMs} ms after restart; ` +
        `errors seen: ${[...messages].map((m) => JSON.stringify(m.slice(0, 70))).join(', ')}`,
    });

    expect(ackedBeforeKill).toBeGreaterThan(0);
    expect(hung).toEqual([]);
    expect(rejectedWhileDown).toBeGreaterThan(0);
    // A clear error of our own, with the client's reason as its cause: not a hang, not a raw socket error.
    for (const error of rejected.values()) expect(error).toBeInstanceOf(QueueUnavailableError);
    expect(retriedOk).toBe(rejected.size);
    if (!postponed) {
      expect(missingAcked).toEqual([]);
      expect(allLanded).toBe(true);
      expect(landed).toBe(total);
    } else {
      // Only what Redis acknowledged in the postponement window (2 s) before the kill may be missing.
      for (const { id } of missingAcked) expect(ackedAt.get(Number(id)) ?? 0).toBeGreaterThanOrEqual(killedAt - 2500);
    }
    expect(duplicates).toBe(0);
    expect(deadLettered).toBe(0);
    expect(await s.failedJobs()).toBe(0);
    expect(worker.child.exitCode).toBeNull(); // the worker rode out the restart
  });
});
