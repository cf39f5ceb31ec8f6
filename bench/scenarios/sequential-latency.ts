import { Producer } from '../../src/index.js';
import type { BenchContext } from '../context.js';
import { makeRow } from '../rows.js';
import type { ScenarioResult, SequentialLatency } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import { percentile } from '../stats.js';
import { runQueueScenario } from './queue-run.js';

/**
 * Sequential latency: one `submit()` in flight at a time (await each), into a default
 * BatchConsumer, with the Producer's packing at its default and off. Phases alternate
 * (default, off, default, off) so both modes see the same machine; each phase is its own queue
 * and consumer. Measured per row: submit→commit (the row carries its submit time; the consumer
 * child takes the time its driver's `execute()` returned) and submit→stored (the `submit()` promise).
 */
export async function runSequentialLatency(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const rowsPerPhase = ctx.options.quick ? 200 : Math.min(ctx.options.rows, 4000);
  const modes = ['default', 'off', 'default', 'off'] as const;
  const commit: Record<'default' | 'off', number[]> = { default: [], off: [] };
  const stored: Record<'default' | 'off', number[]> = { default: [], off: [] };
  let last: ScenarioResult | undefined;
  let seconds = 0;
  let verified = 0;
  for (const mode of modes) {
    const { result, stats } = await runQueueScenario(ctx, {
      kind: 'latency-sequential',
      sink,
      description: '',
      rows: rowsPerPhase,
      consumer: { kind: 'batchflow', concurrency: undefined, recordLatency: true, defaults: true },
      producer: (target, prefix) => {
        const schema = sink.schema(target);
        const producer = new Producer({ connection: ctx.urls.redisUrl, schemas: [schema], prefix, ...(mode === 'off' && { packing: false }) });
        return {
          async run() {
            for (let i = 0; i < rowsPerPhase; i++) {
              const started = performance.now();
              await producer.submit(schema, sink.toRequestRow(makeRow(i), target));
              stored[mode].push(performance.now() - started);
            }
          },
          close: () => producer.close(),
        };
      },
    });
    commit[mode].push(...stats.latenciesMs);
    seconds += result.seconds;
    verified += result.rowsVerified;
    last = result;
  }
  const summary = (mode: 'default' | 'off') => ({
    p50Ms: percentile(commit[mode], 50),
    p99Ms: percentile(commit[mode], 99),
    storedP50Ms: percentile(stored[mode], 50),
    storedP99Ms: percentile(stored[mode], 99),
    samples: commit[mode].length,
  });
  const sequential: SequentialLatency = { packingDefault: summary('default'), packingOff: summary('off') };
  const total = rowsPerPhase * modes.length;
  return {
    ...(last as ScenarioResult),
    description: `sequential submit() (one in flight), ${rowsPerPhase} rows per phase, phases default/off/default/off; default BatchConsumer; rows/s is the sequential submit rate`,
    rowsSubmitted: total,
    rowsVerified: verified,
    seconds,
    rowsPerSecond: total / seconds,
    consumer: undefined,
    producerCpuSeconds: undefined,
    redisCpuSeconds: undefined,
    redisMemory: undefined,
    sequential,
  };
}
