import { Producer, type Schema } from '../../src/index.js';
import type { QueueConnection } from '../../src/queue/connection.js';
import type { BenchContext } from '../context.js';
import { pump, PRODUCER_SHAPE } from '../pump.js';
import { makeRow, makeRows } from '../rows.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import { runQueueScenario, type ScenarioProducer } from './queue-run.js';

/** Concurrent single `submit()` calls of the defaults scenario: an app with that many request handlers. */
export const DEFAULTS_SUBMITTERS = 64;

/**
 * The Producer a new user writes: `new Producer({ connection, schemas })` (plus the run's prefix, for
 * isolation); `connection` is the run's Redis unless a scenario puts the queues elsewhere (PostgreSQL).
 */
function defaultProducer(ctx: BenchContext, sink: BenchSink, target: string, prefix: string, run: (producer: Producer, schema: Schema) => Promise<void>, connection: QueueConnection = ctx.urls.redisUrl): ScenarioProducer {
  const schema = sink.schema(target);
  const producer = new Producer({ connection, schemas: [schema], prefix });
  return { run: () => run(producer, schema), close: () => producer.close() };
}

/** The consumer child of the defaults scenarios: `new BatchConsumer({ connection, schema, executor })`, nothing tuned. */
export const DEFAULT_CONSUMER = { kind: 'batchflow', concurrency: undefined, recordLatency: false, defaults: true } as const;

/**
 * The headline: nothing tuned on either side. `DEFAULTS_SUBMITTERS` concurrent single `submit()`
 * calls into `new Producer({ connection, schemas })`, drained by
 * `new BatchConsumer({ connection, schema, executor })`, first submit to last commit.
 */
export async function runDefaults(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rows = ctx.options.rows;
  const { result } = await runQueueScenario(ctx, {
    kind: 'defaults',
    sink,
    description: `defaults, nothing tuned: ${DEFAULTS_SUBMITTERS} concurrent single submit() calls into new Producer({ connection, schemas }), new BatchConsumer({ connection, schema, executor })`,
    rows,
    consumer: DEFAULT_CONSUMER,
    producer: concurrentSubmits(ctx, sink, rows),
  });
  return result;
}

/** `DEFAULTS_SUBMITTERS` concurrent single `submit()` calls through a default Producer on `connection`. */
export function concurrentSubmits(ctx: BenchContext, sink: BenchSink, rows: number, connection?: QueueConnection) {
  return (target: string, prefix: string) =>
    defaultProducer(ctx, sink, target, prefix, (producer, schema) => pump(rows, 1, DEFAULTS_SUBMITTERS, (first) => producer.submit(schema, sink.toRequestRow(makeRow(first), target))), connection);
}

/** `submitMany` at full speed (1,000-row chunks, 4 in flight) through a default Producer on `connection`. */
export function fullSpeed(ctx: BenchContext, sink: BenchSink, rows: number, connection?: QueueConnection) {
  return (target: string, prefix: string) =>
    defaultProducer(
      ctx,
      sink,
      target,
      prefix,
      (producer, schema) =>
        pump(rows, PRODUCER_SHAPE.chunkRows, PRODUCER_SHAPE.inFlight, (first, count) =>
          producer.submitMany(schema, makeRows(first, count).map((row) => sink.toRequestRow(row, target))),
        ),
      connection,
    );
}

/** Drain: the queue is filled first (default Producer, full speed), then a default consumer drains it alone; timed from its start. */
export async function runDrain(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rows = ctx.options.rows;
  const { result } = await runQueueScenario(ctx, {
    kind: 'drain',
    sink,
    description: 'drain: queue filled first by a default Producer (submitMany, full speed), then a default BatchConsumer alone; timed from its start to the last commit',
    rows,
    consumer: DEFAULT_CONSUMER,
    producer: fullSpeed(ctx, sink, rows),
    fillFirst: true,
  });
  return result;
}

/**
 * Flood: a default Producer submits at full speed while a default consumer drains. The consumer's
 * rate *during* the flood (rows committed by the time the last submit was stored, over that time)
 * is what the target compares with its drain-alone rate.
 */
export async function runFlood(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rows = ctx.options.rows;
  const { result, doneWhenEnqueued } = await runQueueScenario(ctx, {
    kind: 'flood',
    sink,
    description: 'flood: a default Producer submits at full speed (submitMany) while a default BatchConsumer drains',
    rows,
    consumer: DEFAULT_CONSUMER,
    producer: fullSpeed(ctx, sink, rows),
  });
  const enqueueSeconds = result.enqueueSeconds ?? NaN;
  return { ...result, flood: { rowsDuringFlood: doneWhenEnqueued, consumerRowsPerSecondDuringFlood: doneWhenEnqueued / enqueueSeconds } };
}
