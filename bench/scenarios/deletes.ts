import { Producer, Request, SQLSchema } from '../../src/index.js';
import { spawnConsumer, type ConsumerHandle } from '../child/spawn-consumer.js';
import type { Attempt, BenchContext } from '../context.js';
import { findSink } from '../../src/drivers/registry.js';
import { scenarioProgress } from '../progress.js';
import { pump, PRODUCER_SHAPE } from '../pump.js';
import { BENCH_COLUMNS, makeRow } from '../rows.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import type { SinkName } from '../options.js';

/**
 * Deletes (issue 22): a default `BatchConsumer` drains a queue filled beforehand, twice on each SQL
 * sink with the same request count: upserts only (the baseline of the same run), then upserts
 * mixed with deletes of keys upserted just before (every {@link DELETES.every}-th request), so
 * most batches hold both kinds and some keys both an upsert and its delete.
 */
export const DELETES = Object.freeze({ requests: 50_000, every: 4 });

/** What a deletes run measured besides rows per second. */
export interface DeleteMeasurements {
  readonly mix: 'upserts only' | 'upserts and deletes';
  readonly deletes: number;
  /** This run's requests/s over the upsert-only run's (undefined for that run itself). */
  readonly ratioToUpserts?: number;
}

/** Runs the upsert-only baseline, then the mixed run, on a SQL sink. */
export async function runDeletes(ctx: BenchContext, sink: BenchSink, attempt: Attempt): Promise<void> {
  if (findSink(sink.name)?.schemas !== 'table') return;
  const baseline = await attempt('deletes', sink.name as SinkName, () => runDeleteRun(ctx, sink, false, undefined));
  await attempt('deletes', sink.name as SinkName, () => runDeleteRun(ctx, sink, true, baseline?.rowsPerSecond));
}

/** Request `i`: with deletes, every `every`-th one deletes the key upserted two requests before. */
function requestAt(schema: SQLSchema, i: number, mixed: boolean): Request {
  if (mixed && i % DELETES.every === DELETES.every - 1) return Request.deleteOf(schema, { id: i - 2 });
  return Request.fromRow(schema, makeRow(i) as never);
}

async function runDeleteRun(ctx: BenchContext, sink: BenchSink, mixed: boolean, upsertRate: number | undefined): Promise<ScenarioResult> {
  const requests = Math.min(DELETES.requests, ctx.options.rows);
  const target = `bfbench_${ctx.runId}_${sink.name}_del_${mixed ? 'mixed' : 'upserts'}`;
  const prefix = target;
  const schema = SQLSchema(target, 'update', BENCH_COLUMNS);
  const producer = new Producer({ connection: ctx.urls.redisUrl, schemas: [schema], prefix });
  let worker: ConsumerHandle | undefined;
  const bar = scenarioProgress(`${sink.name} deletes ${mixed ? 'mixed' : 'upserts'}`, requests);
  try {
    await sink.create(target);
    // Filled first: the clock covers the consumer alone.
    await pump(requests, PRODUCER_SHAPE.chunkRows, PRODUCER_SHAPE.inFlight, (first, count) =>
      producer.submitMany(Array.from({ length: count }, (_, i) => requestAt(schema, first + i, mixed))),
    );
    const started = Date.now();
    worker = await spawnConsumer(
      {
        kind: 'batchflow',
        sink: sink.name as SinkName,
        urls: ctx.urls,
        target,
        prefix,
        expected: requests,
        concurrency: undefined,
        flushSize: ctx.options.flushSize,
        flushIntervalMs: ctx.options.flushIntervalMs,
        recordLatency: false,
        defaults: true,
        conflict: 'update',
        rssMarks: [],
      },
      ctx.options.cpuProfDir,
    );
    const progress = setInterval(() => bar.update(worker?.done() ?? 0), 250);
    const doneMs = await worker.reached.finally(() => clearInterval(progress));
    const stats = await worker.stop();
    worker = undefined;
    const deletes = mixed ? Math.floor(requests / DELETES.every) : 0;
    const rowsVerified = await sink.count(target);
    const seconds = (doneMs - started) / 1000;
    const rowsPerSecond = requests / seconds;
    return {
      kind: 'deletes',
      sink: sink.name as SinkName,
      description: `deletes (${mixed ? `1 in ${DELETES.every} requests deletes a key upserted just before` : 'upserts only, the baseline'}): a default BatchConsumer drains ${requests} requests (conflict 'update'), queue filled first`,
      // Every delete removes one row an upsert wrote: the table holds the upserts minus the deletes.
      rowsSubmitted: requests - 2 * deletes,
      rowsVerified,
      verifiedBy: 'SELECT COUNT(*) = upserts − deletes',
      seconds,
      rowsPerSecond,
      consumer: { maxRssBytes: stats.maxRssBytes, cpuUserMs: stats.cpuUserMs, cpuSystemMs: stats.cpuSystemMs, deadLettered: stats.deadLettered, errors: stats.errors },
      deletes: { mix: mixed ? 'upserts and deletes' : 'upserts only', deletes, ...(upsertRate !== undefined && { ratioToUpserts: rowsPerSecond / upsertRate }) },
    };
  } finally {
    bar.stop();
    worker?.kill();
    await producer.close().catch(() => undefined);
    await sink.drop(target).catch(() => undefined);
    await ctx.admin.deletePrefix(prefix);
  }
}
