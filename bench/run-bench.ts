import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Attempt, BenchContext } from './context.js';
import { resolveBenchOptions, type BenchOptions, type BenchOptionsInput, type SinkName } from './options.js';
import { RedisAdmin } from './redis-admin.js';
import { writeReport } from './report.js';
import type { BenchResult, ScenarioKind, ScenarioResult } from './result.js';
import { runBatchflowE2E } from './scenarios/batchflow-e2e.js';
import { runBullmqCeiling } from './scenarios/bullmq-ceiling.js';
import { runClusterScenarios } from './scenarios/cluster.js';
import { runLatency } from './scenarios/latency.js';
import { runNaiveWorker } from './scenarios/naive-worker.js';
import { runRawCeiling } from './scenarios/raw-ceiling.js';
import { runRssGrowth } from './scenarios/rss-growth.js';
import { runDefaults, runDrain, runFlood } from './scenarios/defaults.js';
import { runPgQueue, runPgQueueDrain, runPgQueueNaive } from './scenarios/pg-queue.js';
import { runSequentialLatency } from './scenarios/sequential-latency.js';
import { runExactlyOnce } from './scenarios/exactly-once.js';
import { findSink } from '../src/drivers/registry.js';
import { runFlushSweep } from './scenarios/flush-sweep.js';
import { runHotKeys } from './scenarios/hot-keys.js';
import { runDeletes } from './scenarios/deletes.js';
import { runTracing } from './scenarios/tracing.js';
import { runSchemas } from './scenarios/schemas.js';
import { runNetwork } from './scenarios/network.js';
import { runWide } from './scenarios/wide.js';
import type { BenchSink } from './bench-sinks.js';
import { createSink } from './bench-sinks.js';
import { judgeTargets } from './targets.js';

/**
 * Runs every scenario on the local services, one after another, and writes the report
 * (`latest.json` / `latest.md`, or `quick.*` with `quick`) into `options.out`.
 * A failed scenario is recorded with its error and the run goes on; check `allVerified`.
 *
 * @example
 * ```ts
 * const result = await runBench({ quick: true, sinks: ['sqlite'] });
 * process.exitCode = result.allVerified ? 0 : 1;
 * ```
 */
export async function runBench(given: BenchOptionsInput = {}): Promise<BenchResult> {
  const options = resolveBenchOptions(given);
  const started = performance.now();
  const loadAverageBefore = loadavg();
  const sqliteDir = await mkdtemp(join(tmpdir(), 'bfbench-'));
  const urls = { redisUrl: options.redisUrl, sinkUrls: options.sinkUrls, dir: sqliteDir };
  const ctx: BenchContext = { options, runId: randomBytes(3).toString('hex'), urls, admin: new RedisAdmin(options.redisUrl) };
  const sinks = await Promise.all(options.sinks.map((name) => createSink(name, urls)));
  const scenarios: ScenarioResult[] = [];
  const servers: Record<string, string> = {};
  const attempt: Attempt = async (kind: ScenarioKind, sink: SinkName | null, run: () => Promise<ScenarioResult>) => {
    if (kind !== 'rss' && !(options.scenarios as readonly ScenarioKind[]).includes(kind)) return undefined;
    try {
      const result = await run();
      scenarios.push(result);
      return result;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${sink ?? 'bullmq'} ${kind} failed: ${error}\n`);
      scenarios.push({ kind, sink, description: 'failed', rowsSubmitted: options.rows, rowsVerified: 0, verifiedBy: '–', seconds: 0, rowsPerSecond: 0, error });
      return undefined;
    }
  };
  try {
    servers.redis = await redisVersion(sinks, options);
    for (const sink of sinks) servers[sink.name] = await sink.version().catch((err: unknown) => `unreachable (${String(err)})`);
    await attempt('bullmq-noop', null, () => runBullmqCeiling(ctx));
    for (const sink of sinks) await runSink(ctx, sink, attempt);
    // Sink-independent (its own SQLite file in each child): once per run.
    await attempt('tracing', 'sqlite', () => runTracing(ctx));
    // One worker process with many schemas: its idle cost does not depend on the sink; PostgreSQL when it runs.
    const schemasSink = sinks.find((s) => s.name === 'postgres') ?? sinks[0];
    if (schemasSink) await attempt('schemas', schemasSink.name, () => runSchemas(ctx, schemasSink));
    if (options.scenarios.includes('cluster')) for (const sink of sinks) await runClusterScenarios(ctx, sink, attempt);
    const rssSink = sinks.find((s) => s.name === 'postgres') ?? sinks[0];
    if (options.rss && rssSink) await attempt('rss', rssSink.name, () => runRssGrowth(ctx, rssSink));
  } finally {
    await Promise.allSettled(sinks.map((sink) => sink.close()));
    await ctx.admin.close();
    await rm(sqliteDir, { recursive: true, force: true });
  }
  const result: BenchResult = {
    options: { ...options },
    environment: {
      startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      memoryTotalBytes: totalmem(),
      loadAverageBefore,
      loadAverageAfter: loadavg(),
      servers,
    },
    scenarios,
    targets: judgeTargets(scenarios, options),
    allVerified: scenarios.every((s) => !s.error && s.rowsVerified === s.rowsSubmitted),
    totalSeconds: (performance.now() - started) / 1000,
  };
  const paths = await writeReport(result, options.out, options.quick ? 'quick' : 'latest');
  process.stderr.write(`\nwrote ${paths.json} and ${paths.markdown}\n`);
  return result;
}

/**
 * The per-sink scenarios: (c) raw, (a) naive, the defaults (headline), drain and flood, BatchFlow
 * without and with fixed packing, the latter again exactly-once (SQL sinks), latency at half the one-job rate, sequential latency,
 * hot keys, deletes, the database across a network and wide rows, then (opt-in) the flush sweep.
 */
async function runSink(ctx: BenchContext, sink: BenchSink, attempt: Attempt): Promise<void> {
  await attempt('raw', sink.name, () => runRawCeiling(ctx, sink));
  await attempt('naive', sink.name, () => runNaiveWorker(ctx, sink));
  await attempt('defaults', sink.name, () => runDefaults(ctx, sink));
  // The queues on PostgreSQL, beside the Redis-queue defaults row just measured (issue 23).
  if (sink.name === 'postgres') {
    await attempt('pg-queue', sink.name, () => runPgQueue(ctx, sink));
    await attempt('pg-queue-naive', sink.name, () => runPgQueueNaive(ctx, sink));
  }
  await attempt('drain', sink.name, () => runDrain(ctx, sink));
  if (sink.name === 'postgres') await attempt('pg-queue-drain', sink.name, () => runPgQueueDrain(ctx, sink));
  await attempt('flood', sink.name, () => runFlood(ctx, sink));
  const oneJob = await attempt('batchflow-one-job', sink.name, () => runBatchflowE2E(ctx, sink, false));
  await attempt('batchflow-packing', sink.name, () => runBatchflowE2E(ctx, sink, ctx.options.packing));
  if (findSink(sink.name)?.schemas === 'table') await attempt('exactly-once', sink.name, () => runExactlyOnce(ctx, sink));
  if (oneJob) await attempt('latency', sink.name, () => runLatency(ctx, sink, oneJob.rowsPerSecond));
  await attempt('latency-sequential', sink.name, () => runSequentialLatency(ctx, sink));
  // Opt-in (--scenarios flush-sweep): eight more runs per sink.
  if (ctx.options.scenarios.includes('hot-keys')) await runHotKeys(ctx, sink, attempt);
  if (ctx.options.scenarios.includes('deletes')) await runDeletes(ctx, sink, attempt);
  if (ctx.options.scenarios.includes('network')) await runNetwork(ctx, sink, attempt);
  if (ctx.options.scenarios.includes('wide')) await runWide(ctx, sink, attempt);
  if (ctx.options.scenarios.includes('flush-sweep')) await runFlushSweep(ctx, sink, (run) => attempt('flush-sweep', sink.name, run), oneJob?.rowsPerSecond);
}

/** The Redis server's version (the queue's server), whether or not the Redis sink runs. */
async function redisVersion(sinks: readonly BenchSink[], options: BenchOptions): Promise<string> {
  const sink = sinks.find((s) => s.name === 'redis') ?? (await createSink('redis', { ...options, dir: '' }));
  try {
    return await sink.version();
  } finally {
    if (!sinks.includes(sink)) await sink.close();
  }
}
