import type { BenchContext } from '../context.js';
import { NAIVE_MAX_ROWS } from '../options.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import { plainQueueProducer } from './plain-queue-producer.js';
import { runQueueScenario } from './queue-run.js';

/** Worker concurrency of the naive baseline. */
const CONCURRENCY = 50;

/** (a) What people write first: a BullMQ Worker whose processor does one INSERT (or one Redis command) per job. */
export async function runNaiveWorker(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rows = Math.min(ctx.options.rows, NAIVE_MAX_ROWS);
  const { result } = await runQueueScenario(ctx, {
    kind: 'naive',
    sink,
    description: `BullMQ Worker, one ${sink.name === 'redis' ? 'HSET' : 'INSERT'} per job, concurrency ${CONCURRENCY}`,
    rows,
    consumer: { kind: 'naive', concurrency: CONCURRENCY, recordLatency: false },
    producer: (target, prefix) => plainQueueProducer(ctx.urls.redisUrl, target, prefix, rows),
  });
  return result;
}
