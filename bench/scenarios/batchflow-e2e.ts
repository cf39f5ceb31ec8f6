import type { BenchContext } from '../context.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import { batchflowProducer, submitAll } from './batchflow-producer.js';
import { runQueueScenario } from './queue-run.js';

/**
 * BatchFlow end to end: `Producer.submitMany` → queue → `BatchConsumer` (child process) → sink,
 * timed from the first submit to the commit of the last row, then verified by counting rows.
 * `packing` is false (one job per request, the default) or the requests per job.
 */
export async function runBatchflowE2E(ctx: BenchContext, sink: BenchSink, packing: number | false): Promise<ScenarioResult> {
  const { rows, flushSize, flushIntervalMs } = ctx.options;
  const mode = packing === false ? 'one job per request' : `producer packing, ${packing} requests per job`;
  const { result } = await runQueueScenario(ctx, {
    kind: packing === false ? 'batchflow-one-job' : 'batchflow-packing',
    sink,
    description: `BatchFlow ${mode}; flushSize ${flushSize}, flushIntervalMs ${flushIntervalMs}, default concurrency`,
    rows,
    consumer: { kind: 'batchflow', concurrency: undefined, recordLatency: false },
    producer: (target, prefix) => batchflowProducer(ctx, sink, target, prefix, packing, submitAll(sink, rows)),
  });
  return result;
}
