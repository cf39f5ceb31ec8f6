import { LEDGER_SUFFIX } from '../../src/core/delivery.js';
import { scenarioNames, type BenchContext } from '../context.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import { batchflowProducer, submitAll } from './batchflow-producer.js';
import { runQueueScenario } from './queue-run.js';

/**
 * The ledger's cost: `batchflow-packing` again, with `delivery: 'exactly-once'` (each batch
 * records its request ids in the ledger table in its own transaction, and the consumer deletes
 * them as soon as the jobs complete, inside the timed window). Its rows/s over
 * `batchflow-packing`'s in the same run is the price of exactly-once on that sink.
 */
export async function runExactlyOnce(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const { rows, flushSize, flushIntervalMs, packing } = ctx.options;
  try {
    const { result } = await runQueueScenario(ctx, {
      kind: 'exactly-once',
      sink,
      description: `BatchFlow producer packing, ${packing} requests per job, delivery 'exactly-once' (ledger written and pruned); flushSize ${flushSize}, flushIntervalMs ${flushIntervalMs}`,
      rows,
      consumer: { kind: 'batchflow', concurrency: undefined, recordLatency: false, exactlyOnce: true },
      producer: (target, prefix) => batchflowProducer(ctx, sink, target, prefix, packing, submitAll(sink, rows)),
    });
    return result;
  } finally {
    await sink.drop(scenarioNames(ctx, sink.name, 'exactly-once').target + LEDGER_SUFFIX).catch(() => undefined);
  }
}
