// Scenario 2: PostgreSQL becomes unreachable twice mid-run (a TCP proxy in front of it is cut),
// while producers keep submitting. The breaker must open (consumption pauses, nothing is
// dead-lettered), then close once a probe gets through, and throughput must be back quickly.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver } from '../../src/index.js';
import { atScale, recordFigures, since } from '../helpers/chaos-figures.js';
import { pgScenario, scoreRows } from '../helpers/chaos-pg.js';
import { useCleanups } from '../helpers/cleanups.js';
import { REDIS_URL, waitFor } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const defer = useCleanups();
const OUTAGE_MS = atScale(15_000, 5000);
const UP_MS = atScale(8000, 4000); // healthy time before, between and after the outages
const OUTAGES = 2;
const RUN_MS = UP_MS + OUTAGES * (OUTAGE_MS + UP_MS);
const N = atScale(60_000, 20_000);
const RECOVERY_LIMIT_MS = 5000;

describe('chaos: database outage', () => {
  it(`loses and dead-letters nothing through ${OUTAGES} outages of ${OUTAGE_MS / 1000} s, and recovers within 5 s`, async () => {
    const s = await pgScenario('outage', defer);
    const proxy = new TcpProxy(5432);
    const port = await proxy.start();
    defer(() => proxy.stop());
    const driver = new PostgresDriver({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, connectTimeoutMs: 1000 });
    // Default breaker timing: the recovery figure is what a user gets out of the box.
    const consumer = new BatchConsumer({ connection: REDIS_URL, schema: s.schema, executor: driver, prefix: s.prefix, flushSize: 500, flushIntervalMs: 200 });
    defer(async () => {
      await consumer.close();
      await driver.close();
    });
    const breaker: Array<{ state: string; at: number }> = [];
    const commits: number[] = [];
    consumer.on('breaker', ({ state }) => breaker.push({ state, at: performance.now() }));
    consumer.on('batch:committed', () => commits.push(performance.now()));
    consumer.on('error', () => {}); // Redis-side hiccups are not this scenario's subject
    await consumer.waitUntilReady();

    // Producers submit at a steady rate for the whole run, outages included.
    const started = performance.now();
    const chunk = Math.ceil(N / (RUN_MS / 100));
    const submitting = (async () => {
      for (let from = 0; from < N; from += chunk) {
        await s.producer.submitMany(s.schema, scoreRows(Math.min(chunk, N - from), from));
        await sleep(100);
      }
    })();

    const outages: Array<{ down: number; up: number; recoveryMs: number }> = [];
    for (let i = 0; i < OUTAGES; i++) {
      await sleep(UP_MS);
      await proxy.stop();
      const down = performance.now();
      expect(await s.landed()).toBeLessThan(N); // the outage really is mid-run
      await sleep(OUTAGE_MS);
      expect(await s.dlq.count()).toBe(0);
      await proxy.start();
      const up = performance.now();
      await waitFor(() => commits.some((t) => t > up), 30_000, 10);
      outages.push({ down, up, recoveryMs: Math.round((commits.find((t) => t > up) ?? Infinity) - up) });
    }
    await submitting;
    const allLanded = await waitFor(async () => (await s.landed()) === N, 120_000, 200);
    const durationMs = since(started);
    await waitFor(async () => (await s.pending()) === 0, 30_000, 200);

    const landed = await s.landed();
    const duplicates = await s.duplicates();
    const deadLettered = await s.dlq.count();
    const opened = breaker.filter((b) => b.state === 'open').length;
    recordFigures({
      scenario: `2 database outage (${OUTAGES} × ${OUTAGE_MS / 1000} s, TCP proxy cut)`,
      submitted: N,
      landed,
      duplicates,
      deadLettered,
      faults: OUTAGES,
      durationMs,
      notes: `first commit after recovery: ${outages.map((o) => `${o.recoveryMs} ms`).join(', ')}; breaker opened ${opened}× (re-opens on failed probes)`,
    });

    expect(allLanded).toBe(true);
    expect(landed).toBe(N);
    expect(duplicates).toBe(0);
    expect(deadLettered).toBe(0);
    for (const { down, up, recoveryMs } of outages) {
      // The breaker opened during the outage and closed after it, within the recovery limit.
      expect(breaker.some((b) => b.state === 'open' && b.at > down && b.at < up)).toBe(true);
      const closed = breaker.find((b) => b.state === 'closed' && b.at > up);
      expect(closed).toBeDefined();
      expect(recoveryMs).toBeLessThan(RECOVERY_LIMIT_MS);
    }
    expect(breaker.at(-1)?.state).toBe('closed');
    expect(await s.failedJobs()).toBe(0);
  });
});
