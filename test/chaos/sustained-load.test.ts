// Scenario 7: a sustained run at ~70% of the peak rate measured moments before in the same run.
// The worker's RSS and Redis's used_memory are sampled throughout: neither may trend upwards, the
// queue must drain completely afterwards (nothing stuck in active), and Redis must give its
// memory back once the queue is empty.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FIGURES_FILE, atScale, recordFigures, since } from '../helpers/chaos-figures.js';
import { pgScenario, scoreRows } from '../helpers/chaos-pg.js';
import { useCleanups } from '../helpers/cleanups.js';
import { waitFor } from '../helpers/redis.js';
import { RedisServer } from '../helpers/redis-server.js';

const defer = useCleanups();
const PEAK_ROWS = atScale(150_000, 50_000);
const SUSTAIN_MS = atScale(5 * 60_000, 30_000);
const SAMPLE_EVERY_MS = atScale(5000, 1000); // ci: more samples make the thirds of a 30 s run steadier
const LOAD_FACTOR = 0.7;
const GROWTH_LIMIT = 1.2; // mean of the last third over the first third
// The worker's RSS in a 30 s ci run is still settling after the warm-up (V8 sizing its heap): on
// one machine, the same build read 1.11 and 1.22 in two rehearsals. The 5-minute run keeps 1.2; at
// ci scale a leak of about 120 bytes per row (at ~54k rows/s) still exceeds this.
const RSS_GROWTH_LIMIT = atScale(GROWTH_LIMIT, 1.35);
const MB = 1024 * 1024;

/** Resident set size of a process, from /proc (Linux). */
function rssBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
/** Least-squares line y = a + k·x. */
function fitLine(xs: readonly number[], ys: readonly number[]): { a: number; k: number } {
  const [mx, my] = [mean(xs), mean(ys)];
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * ((ys[i] as number) - my);
    sxx += (x - mx) ** 2;
  });
  const k = sxx === 0 ? 0 : sxy / sxx;
  return { a: my - k * mx, k };
}
const thirds = (xs: readonly number[]) => [mean(xs.slice(0, Math.floor(xs.length / 3))), mean(xs.slice(Math.ceil((2 * xs.length) / 3)))] as const;

describe('chaos: sustained load', () => {
  it(`holds ${LOAD_FACTOR * 100}% of peak for ${SUSTAIN_MS / 1000} s without memory growth or stuck jobs`, async () => {
    const redis = await RedisServer.create();
    await redis.start();
    defer(() => redis.remove());
    // No completed jobs kept for Bull Board here: with packing their size follows the load, and this
    // scenario judges the memory the queue itself leaves behind (the kept history is bounded by count and age).
    const s = await pgScenario('load', defer, { redisUrl: redis.url, producer: { keepCompletedJobs: false } });
    const worker = s.worker();
    await worker.waitForLine(/"ready"/);
    const pid = worker.child.pid as number;
    const started = performance.now();
    let submitted = 0;
    const submit = async (n: number) => {
      const from = submitted;
      submitted += n;
      await s.producer.submitMany(s.schema, scoreRows(n, from));
    };

    // Peak: the end-to-end rate of a flood, from the first submit until the last row landed. A
    // worker's own drain rate would overstate it: while producers flood, Redis answers the worker's
    // one-job-per-round-trip fetches slowly, and on 2 cores everything shares the CPU.
    const peakStarted = performance.now();
    const flooding = Array.from({ length: 2 }, async () => {
      while (submitted < PEAK_ROWS) await submit(1000);
    });
    await Promise.all(flooding);
    expect(await waitFor(async () => (await s.landed()) === submitted && (await s.pending()) === 0, 120_000, 100)).toBe(true);
    const peakRate = submitted / ((performance.now() - peakStarted) / 1000);
    await sleep(1000);
    const redisBaseline = await redis.infoNumber('memory', 'used_memory');

    // Sustained: submit on an absolute schedule at LOAD_FACTOR × peak, sampling as we go.
    const rate = Math.max(100, Math.round(peakRate * LOAD_FACTOR));
    const samples: Array<{ at: number; rss: number; redis: number; jobs: number; backlog: number }> = [];
    const sustainFrom = submitted;
    const t0 = performance.now();
    let nextSample = t0 + SAMPLE_EVERY_MS;
    while (performance.now() - t0 < SUSTAIN_MS) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate) - (submitted - sustainFrom);
      if (due > 0) await submit(Math.min(due, 5000));
      if (performance.now() >= nextSample) {
        nextSample += SAMPLE_EVERY_MS;
        const { waiting = 0, active = 0 } = await s.queue.getJobCounts('waiting', 'active');
        samples.push({ at: Math.round(performance.now() - t0), rss: rssBytes(pid), redis: await redis.infoNumber('memory', 'used_memory'), jobs: waiting + active, backlog: submitted - (await s.landed()) });
      }
      await sleep(50);
    }
    const sustainedRate = (submitted - sustainFrom) / ((performance.now() - t0) / 1000);
    // Kept next to the figures, to plot or to check a trend by eye.
    mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
    writeFileSync(path.join(path.dirname(FIGURES_FILE), 'load-samples.json'), JSON.stringify(samples, null, 1));
    const drained = await waitFor(async () => (await s.landed()) === submitted && (await s.pending()) === 0, 120_000, 250);
    await sleep(2000);
    const redisAfter = await redis.infoNumber('memory', 'used_memory');
    const counts = await s.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    // RSS after a warm-up (the first quarter of the run): on Node 24 the worker's RSS climbs from
    // ~170 to ~280 MB in the first 8 s of a ci run (heap sizing, pools, JIT), which put the first
    // third far below the rest; growth is judged from there on.
    const [rssFirst, rssLast] = thirds(samples.slice(Math.floor(samples.length / 4)).map((x) => x.rss));
    // Redis holds the backlog (waiting and active jobs), which comes and goes with the load: judge
    // the memory the backlog does not explain, i.e. the residual of a linear fit on the job count.
    const fit = fitLine(samples.map((x) => x.jobs), samples.map((x) => x.redis));
    const [residualFirst, residualLast] = thirds(samples.map((x) => x.redis - (fit.a + fit.k * x.jobs)));
    const landed = await s.landed();
    recordFigures({
      scenario: `7 sustained load (${LOAD_FACTOR * 100}% of peak, ${SUSTAIN_MS / 1000} s)`,
      submitted,
      landed,
      duplicates: await s.duplicates(),
      deadLettered: await s.dlq.count(),
      faults: 0,
      durationMs: since(started),
      notes:
        `peak ${Math.round(peakRate)} rows/s, sustained ${Math.round(sustainedRate)} rows/s, max backlog ${Math.max(...samples.map((x) => x.backlog))}; ` +
        `worker RSS ${(rssFirst / MB).toFixed(0)} → ${(rssLast / MB).toFixed(0)} MB (first → last third); ` +
        `Redis used_memory ${(fit.a / MB).toFixed(1)} MB + ${(fit.k / 1024).toFixed(2)} KB per queued job, unexplained drift ${((residualLast - residualFirst) / MB).toFixed(2)} MB; ` +
        `${(redisBaseline / MB).toFixed(1)} MB before, ${(redisAfter / MB).toFixed(1)} MB after draining`,
    });

    expect(samples.length).toBeGreaterThanOrEqual(9);
    expect(drained).toBe(true);
    expect(landed).toBe(submitted);
    expect(Object.entries(counts).filter(([, n]) => n !== 0)).toEqual([]); // nothing waiting, stuck in active, delayed or failed
    expect(rssLast).toBeLessThanOrEqual(rssFirst * RSS_GROWTH_LIMIT);
    expect(residualLast - residualFirst).toBeLessThanOrEqual(fit.a * (GROWTH_LIMIT - 1));
    // Back near where it started once drained: the event stream is capped and no completed job is kept.
    expect(redisAfter).toBeLessThanOrEqual(Math.max(redisBaseline * GROWTH_LIMIT, redisBaseline + 2 * MB));
    expect(worker.child.exitCode).toBeNull();
  });
});
