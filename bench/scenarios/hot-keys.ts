import { loadavg } from 'node:os';
import { Producer, SQLSchema } from '../../src/index.js';
import { spawnConsumer, type ConsumerHandle } from '../child/spawn-consumer.js';
import type { ChildStats } from '../child/protocol.js';
import type { Attempt, BenchContext } from '../context.js';
import { scenarioProgress } from '../progress.js';
import { pump, PRODUCER_SHAPE } from '../pump.js';
import { BENCH_COLUMNS, makeRow } from '../rows.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import type { SinkName } from '../options.js';
import { prng } from '../seeded-random.js';

/**
 * Hot keys (issue 18): the traffic `update` exists for. Several worker processes with default
 * options upsert rows whose keys repeat, so concurrent batches share keys; before key order they
 * locked them in arrival order and deadlocked (PostgreSQL notices only after `deadlock_timeout`,
 * 1 s). Three runs per trial, each draining a queue filled beforehand: unique keys (the baseline),
 * keys drawn uniformly from {@link HOT_KEYS}.keys, and Zipf-distributed keys.
 *
 * One drain of 50,000 upserts takes 2–4 s, and on a shared 2-core machine a neighbour's burst
 * moves a single ratio by ±30 %. So the scenario runs `hotKeyTrials` trials, each with all three
 * distributions back to back in a rotated order (no distribution always runs first, or right after
 * a given other), takes each trial's ratio against the unique run *of the same trial*, and reports
 * the median ratio with the range of the trials beside it.
 */
export const HOT_KEYS = Object.freeze({ upserts: 50_000, keys: 2_000, workers: 3, zipfS: 1.1, seed: 18 });

/** How the keys of a run are drawn. */
export type KeyDistribution = 'unique' | 'uniform' | 'zipf';

/** The distributions of one trial, in the first trial's order (later trials rotate it). */
const DISTRIBUTIONS: readonly KeyDistribution[] = ['unique', 'uniform', 'zipf'];

/** What the hot-key runs of one distribution measured besides rows per second. */
export interface HotKeyMeasurements {
  readonly distribution: KeyDistribution;
  readonly keys: number;
  readonly workers: number;
  /** `batch:retry` events with reason `deadlock`, summed over the workers and trials. */
  readonly deadlockRetries: number;
  /** Trials that measured this distribution (the result's rows/s and seconds are their medians). */
  readonly trials: number;
  /** Rows/s of each trial, in trial order. */
  readonly rowsPerSecondByTrial: readonly number[];
  /** One-minute load average when each trial's run started. */
  readonly loadAverageByTrial: readonly number[];
  /** Each trial's rows/s over the unique-key run of the same trial (absent for the unique runs). */
  readonly ratiosToUnique?: readonly number[];
  /** The median of {@link ratiosToUnique}: the figure the target judges. */
  readonly ratioToUnique?: number;
}

/** The sinks the scenario runs on: the ones with row locks and upserts (SQLite has one writer). */
export const HOT_KEY_SINKS: readonly SinkName[] = Object.freeze(['postgres', 'mysql']);

/** One run's result and the load it ran under. */
interface HotKeyRun {
  readonly result: ScenarioResult;
  readonly loadAverage: number;
}

/**
 * Runs `hotKeyTrials` interleaved trials of the three distributions on one sink and records one
 * result per distribution: medians over the trials, each trial's ratio to its own unique run.
 */
export async function runHotKeys(ctx: BenchContext, sink: BenchSink, attempt: Attempt): Promise<void> {
  if (!HOT_KEY_SINKS.includes(sink.name as SinkName)) return;
  const runs = new Map<KeyDistribution, (HotKeyRun | undefined)[]>(DISTRIBUTIONS.map((d) => [d, []]));
  const failures = new Map<KeyDistribution, unknown>();
  for (let trial = 0; trial < ctx.options.hotKeyTrials; trial++) {
    for (let i = 0; i < DISTRIBUTIONS.length; i++) {
      const distribution = DISTRIBUTIONS[(i + trial) % DISTRIBUTIONS.length] as KeyDistribution;
      const loadAverage = loadavg()[0] as number;
      const run = await runHotKeyRun(ctx, sink, distribution, trial).then(
        (result) => ({ result, loadAverage }),
        (err: unknown) => void failures.set(distribution, err),
      );
      runs.get(distribution)?.push(run);
    }
  }
  const unique = runs.get('unique') ?? [];
  for (const distribution of DISTRIBUTIONS) {
    await attempt('hot-keys', sink.name as SinkName, async () => {
      const trials = runs.get(distribution) ?? [];
      const ratios = distribution === 'unique' ? undefined : trials.flatMap((run, t) => {
        const base = unique[t];
        return run && base ? [run.result.rowsPerSecond / base.result.rowsPerSecond] : [];
      });
      const measured = trials.filter((run): run is HotKeyRun => run !== undefined);
      if (measured.length === 0 || ratios?.length === 0) throw failures.get(distribution) ?? failures.get('unique') ?? new Error('hot keys: no trial measured');
      return summarise(distribution, measured, ratios);
    });
  }
}

/** The median of `values` (the mean of the middle two for an even count); NaN for none. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One result for a distribution: the median trial's figures, every trial's rate, ratio and load beside them. */
function summarise(distribution: KeyDistribution, runs: readonly HotKeyRun[], ratios: readonly number[] | undefined): ScenarioResult {
  const results = runs.map((run) => run.result);
  // The figures of the trial with the median rate (an odd count has one; an even one takes the lower middle).
  const byRate = [...results].sort((a, b) => a.rowsPerSecond - b.rowsPerSecond);
  const middle = byRate[(byRate.length - 1) >> 1] as ScenarioResult;
  const hotKeys: HotKeyMeasurements = {
    distribution,
    keys: middle.hotKeys?.keys ?? 0,
    workers: HOT_KEYS.workers,
    deadlockRetries: results.reduce((sum, r) => sum + (r.hotKeys?.deadlockRetries ?? 0), 0),
    trials: runs.length,
    rowsPerSecondByTrial: results.map((r) => r.rowsPerSecond),
    loadAverageByTrial: runs.map((run) => run.loadAverage),
    ...(ratios && { ratiosToUnique: ratios, ratioToUnique: median(ratios) }),
  };
  return {
    ...middle,
    description: `${middle.description}; ${runs.length} interleaved trial(s), median shown`,
    // Every trial must have stored one row per distinct key: the worst trial is the one shown.
    rowsVerified: Math.min(...results.map((r) => r.rowsVerified)),
    seconds: median(results.map((r) => r.seconds)),
    rowsPerSecond: median(results.map((r) => r.rowsPerSecond)),
    hotKeys,
  };
}

/** Key of every upsert, deterministic per distribution (a seeded generator, so runs compare). */
export function drawKeys(distribution: KeyDistribution, upserts: number, keys: number, s: number, seed: number): number[] {
  if (distribution === 'unique') return Array.from({ length: upserts }, (_, i) => i + 1);
  const random = prng(seed).next;
  if (distribution === 'uniform') return Array.from({ length: upserts }, () => 1 + Math.floor(random() * keys));
  const cdf: number[] = [];
  let total = 0;
  for (let k = 1; k <= keys; k++) cdf.push((total += 1 / k ** s));
  return Array.from({ length: upserts }, () => {
    const u = random() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  });
}

async function runHotKeyRun(ctx: BenchContext, sink: BenchSink, distribution: KeyDistribution, trial: number): Promise<ScenarioResult> {
  const upserts = Math.min(HOT_KEYS.upserts, ctx.options.rows);
  const target = `bfbench_${ctx.runId}_${sink.name}_hot_${distribution}_${trial}`;
  const prefix = target;
  const schema = SQLSchema(target, 'update', BENCH_COLUMNS);
  const keys = drawKeys(distribution, upserts, HOT_KEYS.keys, HOT_KEYS.zipfS, HOT_KEYS.seed);
  const producer = new Producer({ connection: ctx.urls.redisUrl, schemas: [schema], prefix });
  const workers: ConsumerHandle[] = [];
  const bar = scenarioProgress(`${sink.name} hot-keys ${distribution}`, upserts);
  try {
    await sink.create(target);
    // Filled first: the clock covers the workers alone, so producer speed cannot hide contention.
    await pump(upserts, PRODUCER_SHAPE.chunkRows, PRODUCER_SHAPE.inFlight, (first, count) =>
      producer.submitMany(schema, keys.slice(first, first + count).map((key, i) => ({ ...makeRow(key), amount: first + i }))),
    );
    const config = {
      kind: 'batchflow' as const,
      sink: sink.name as SinkName,
      urls: ctx.urls,
      target,
      prefix,
      expected: Number.MAX_SAFE_INTEGER, // each worker sees only its share: the parent sums them
      concurrency: undefined,
      flushSize: ctx.options.flushSize,
      flushIntervalMs: ctx.options.flushIntervalMs,
      recordLatency: false,
      defaults: true,
      conflict: 'update' as const,
      rssMarks: [],
    };
    // The clock starts when the first worker is connected (it consumes at once), not at the fork.
    const readyAt: number[] = [];
    const spawning = Array.from({ length: HOT_KEYS.workers }, () =>
      spawnConsumer(config, ctx.options.cpuProfDir).then((handle) => {
        readyAt.push(Date.now());
        workers.push(handle);
        return handle;
      }),
    );
    await Promise.all(spawning);
    const startedMs = Math.min(...readyAt);
    const doneMs = await waitForSum(workers, upserts, bar.update);
    const stats: ChildStats[] = [];
    for (const worker of workers.splice(0)) stats.push(await worker.stop());
    const rowsVerified = await sink.count(target);
    const distinct = new Set(keys).size;
    const seconds = (doneMs - startedMs) / 1000;
    const rowsPerSecond = upserts / seconds;
    const hotKeys: HotKeyMeasurements = {
      distribution,
      keys: distinct,
      workers: HOT_KEYS.workers,
      deadlockRetries: stats.reduce((sum, s) => sum + (s.deadlockRetries ?? 0), 0),
      trials: 1,
      rowsPerSecondByTrial: [rowsPerSecond],
      loadAverageByTrial: [],
    };
    return {
      kind: 'hot-keys',
      sink: sink.name as SinkName,
      description: `hot keys (${distribution}${distribution === 'zipf' ? `, s = ${HOT_KEYS.zipfS}` : ''}): ${HOT_KEYS.workers} default BatchConsumer processes drain ${upserts} upserts (conflict 'update') over ${distinct} keys, queue filled first`,
      // Every upsert committed once its key holds a row: the table has one row per distinct key.
      rowsSubmitted: distinct,
      rowsVerified,
      verifiedBy: 'SELECT COUNT(*) = distinct keys',
      seconds,
      rowsPerSecond,
      consumer: {
        maxRssBytes: Math.max(...stats.map((s) => s.maxRssBytes)),
        cpuUserMs: stats.reduce((sum, s) => sum + s.cpuUserMs, 0),
        cpuSystemMs: stats.reduce((sum, s) => sum + s.cpuSystemMs, 0),
        deadLettered: stats.reduce((sum, s) => sum + s.deadLettered, 0),
        errors: stats.flatMap((s) => s.errors),
      },
      hotKeys,
    };
  } finally {
    bar.stop();
    for (const worker of workers) worker.kill();
    await producer.close().catch(() => undefined);
    await sink.drop(target).catch(() => undefined);
    await ctx.admin.deletePrefix(prefix);
  }
}

/** Seconds without progress after which the run is declared stuck (a deadlock storm can be slow, not stuck). */
const STALL_SECONDS = 120;

/** Waits until the workers' committed rows add up to `total`; returns when (parent clock, ≤ 250 ms late). */
async function waitForSum(workers: readonly ConsumerHandle[], total: number, update: (done: number) => void): Promise<number> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const done = workers.reduce((sum, w) => sum + w.done(), 0);
    update(done);
    if (done >= total) return Date.now();
    if (done !== last) {
      last = done;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > STALL_SECONDS * 1000) {
      throw new Error(`hot keys: no progress for ${STALL_SECONDS} s at ${done} of ${total} upserts`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
