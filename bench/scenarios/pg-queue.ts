import { createPostgresBackend, Queue } from 'bullmq';
import pg from 'pg';
import { migrateQueueSchema } from '../../src/index.js';
import { scenarioNames, type BenchContext } from '../context.js';
import { pump, PRODUCER_SHAPE } from '../pump.js';
import { makeRows } from '../rows.js';
import { NAIVE_MAX_ROWS } from '../options.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import { concurrentSubmits, DEFAULT_CONSUMER, DEFAULTS_SUBMITTERS, fullSpeed } from './defaults.js';
import { runQueueScenario } from './queue-run.js';

/** Worker concurrency of the naive baseline, as in `naive-worker.ts`. */
const NAIVE_CONCURRENCY = 50;

/**
 * The queues on PostgreSQL (BullMQ's PostgreSQL backend) in the same database as the target
 * table: the one-dependency deployment. Each scenario gets its own queue schema, migrated before
 * the clock starts (as `batchflow migrate` or a worker's start would) and dropped afterwards.
 */
async function withQueueSchema<T>(ctx: BenchContext, kind: 'pg-queue' | 'pg-queue-drain' | 'pg-queue-naive', run: (queue: { url: string; schema: string }) => Promise<T>): Promise<T> {
  const url = ctx.urls.sinkUrls.postgres;
  if (!url) throw new Error('the pg-queue scenarios need the postgres sink URL (--postgres-url)');
  const schema = `${scenarioNames(ctx, 'postgres', kind).target}_q`;
  await migrateQueueSchema({ postgres: url, schema });
  try {
    return await run({ url, schema });
  } finally {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
  }
}

/**
 * The defaults scenario (64 concurrent single `submit()` calls, nothing tuned on either side)
 * with `connection: { postgres, schema }` on both sides: the row beside the Redis-queue
 * `defaults` row of the same run.
 */
export async function runPgQueue(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rows = ctx.options.rows;
  return withQueueSchema(ctx, 'pg-queue', async (queue) => {
    const connection = { postgres: queue.url, schema: queue.schema };
    const { result } = await runQueueScenario(ctx, {
      kind: 'pg-queue',
      sink,
      description: `queues on PostgreSQL (BullMQ's PostgreSQL backend, schema in the target database), defaults: ${DEFAULTS_SUBMITTERS} concurrent single submit() calls into new Producer({ connection: { postgres }, schemas }), new BatchConsumer({ connection: { postgres }, schema, executor })`,
      rows,
      consumer: { ...DEFAULT_CONSUMER, queuePostgres: queue },
      producer: concurrentSubmits(ctx, sink, rows, connection),
    });
    return result;
  });
}

/**
 * The drain scenario with the queues on PostgreSQL: a default Producer fills the queue first
 * (`submitMany`, full speed), then a default consumer drains it alone; beside the Redis-queue
 * `drain` row of the same run.
 */
export async function runPgQueueDrain(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rows = ctx.options.rows;
  return withQueueSchema(ctx, 'pg-queue-drain', async (queue) => {
    const connection = { postgres: queue.url, schema: queue.schema };
    const { result } = await runQueueScenario(ctx, {
      kind: 'pg-queue-drain',
      sink,
      description: 'queues on PostgreSQL, drain: queue filled first by a default Producer (submitMany, full speed), then a default BatchConsumer alone; timed from its start to the last commit',
      rows,
      consumer: { ...DEFAULT_CONSUMER, queuePostgres: queue },
      producer: fullSpeed(ctx, sink, rows, connection),
      fillFirst: true,
    });
    return result;
  });
}

/** What people write first, on the same PostgreSQL queue: a BullMQ Worker doing one INSERT per job. */
export async function runPgQueueNaive(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rows = Math.min(ctx.options.rows, NAIVE_MAX_ROWS);
  return withQueueSchema(ctx, 'pg-queue-naive', async (pgQueue) => {
    const { result } = await runQueueScenario(ctx, {
      kind: 'pg-queue-naive',
      sink,
      description: `queues on PostgreSQL: BullMQ Worker (PostgreSQL backend), one INSERT per job, concurrency ${NAIVE_CONCURRENCY}`,
      rows,
      consumer: { kind: 'naive', concurrency: NAIVE_CONCURRENCY, recordLatency: false, queuePostgres: pgQueue },
      producer: (target) => {
        const queue = new Queue(target, { connection: { connectionString: pgQueue.url, schema: pgQueue.schema } }, createPostgresBackend);
        const opts = { removeOnComplete: true, removeOnFail: false };
        return {
          run: () => pump(rows, PRODUCER_SHAPE.chunkRows, PRODUCER_SHAPE.inFlight, async (first, count) => void (await queue.addBulk(makeRows(first, count).map((data) => ({ name: target, data, opts }))))),
          close: () => queue.close(),
        };
      },
    });
    return result;
  });
}
