import type { BenchContext } from '../context.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import { batchflowProducer, submitAll } from './batchflow-producer.js';
import { runQueueScenario } from './queue-run.js';

/** Row counts at which the worker's memory is sampled: the target compares the first and the last, the others show the shape. */
export const RSS_MARKS = Object.freeze([100_000, 250_000, 500_000, 750_000, 1_000_000]);

/**
 * `--rss`: worker RSS after 100,000 and after 1,000,000 rows through one BatchConsumer, to show
 * whether memory grows with the rows processed. Runs with producer packing so that a million
 * rows take seconds and never pile up as a million jobs in the shared Redis; the consumer still
 * decodes, batches and writes every row.
 */
export async function runRssGrowth(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rows = RSS_MARKS[RSS_MARKS.length - 1] as number;
  const { packing, flushSize, flushIntervalMs } = ctx.options;
  const { result, stats } = await runQueueScenario(ctx, {
    kind: 'rss',
    sink,
    description: `BatchFlow, producer packing ${packing} per job, ${rows} rows; RSS and heap sampled at ${RSS_MARKS.join(', ')} rows; flushSize ${flushSize}, flushIntervalMs ${flushIntervalMs}`,
    rows,
    consumer: { kind: 'batchflow', concurrency: undefined, recordLatency: false, rssMarks: RSS_MARKS },
    producer: (target, prefix) => batchflowProducer(ctx, sink, target, prefix, packing, submitAll(sink, rows)),
  });
  return { ...result, rssAtMarks: stats.rssAtMarks };
}
