import type { BenchContext } from '../context.js';
import type { ScenarioResult } from '../result.js';
import { plainQueueProducer } from './plain-queue-producer.js';
import { runQueueScenario } from './queue-run.js';

/** Worker concurrency of the BullMQ ceiling (the design notes found 50–200 all alike). */
const CONCURRENCY = 100;

/**
 * (b) The queue's own ceiling: a standard BullMQ Worker whose processor does nothing, fed the
 * same number of jobs the same way as every other queue scenario. Sink-independent: run once.
 */
export async function runBullmqCeiling(ctx: BenchContext): Promise<ScenarioResult> {
  const rows = ctx.options.rows;
  const { result } = await runQueueScenario(ctx, {
    kind: 'bullmq-noop',
    sink: null,
    description: `BullMQ Worker, no-op processor, concurrency ${CONCURRENCY}`,
    rows,
    consumer: { kind: 'noop', concurrency: CONCURRENCY, recordLatency: false },
    producer: (target, prefix) => plainQueueProducer(ctx.urls.redisUrl, target, prefix, rows),
  });
  return result;
}
