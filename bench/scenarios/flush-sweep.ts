import { BATCH_CONSUMER_DEFAULTS } from '../../src/index.js';
import type { BenchContext } from '../context.js';
import type { ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';
import { runBatchflowE2E } from './batchflow-e2e.js';
import { fullSpeed } from './defaults.js';
import { runLatency } from './latency.js';
import { runQueueScenario } from './queue-run.js';

/** The fixed sizes the sweep measures `flushSize: 'auto'` against. */
export const SWEEP_FLUSH_SIZES = [250, 500, 1000, 2000, 5000] as const;

/** Runs one measurement of the sweep and records it (or its failure); see `run-bench.ts`. */
export type SweepAttempt = (run: () => Promise<ScenarioResult>) => Promise<ScenarioResult | undefined>;

/**
 * The flush sweep, opt-in (`--scenarios flush-sweep`), for one sink, all in one run so the sizes
 * see the same machine:
 * - drain: the queue filled first by a default Producer (full speed, adaptive packing), then a
 *   consumer with a fixed `flushSize` (each of {@link SWEEP_FLUSH_SIZES}) or `'auto'` drains it
 *   alone (`rows + 1` rows, so that every size ends on one partial batch);
 * - latency at about half load (the one-job-per-request rate of this run, halved): `'auto'` against
 *   the default `flushSize`.
 */
export async function runFlushSweep(ctx: BenchContext, sink: BenchSink, attempt: SweepAttempt, oneJobRowsPerSecond: number | undefined): Promise<void> {
  for (const flushSize of [...SWEEP_FLUSH_SIZES, 'auto'] as const) await attempt(() => runSweepDrain(ctx, sink, flushSize));
  // The paced rate comes from this run's one-job throughput; measure it when that scenario did not run.
  const rate = oneJobRowsPerSecond ?? (await attempt(() => runBatchflowE2E(ctx, sink, false)))?.rowsPerSecond;
  if (rate === undefined) return;
  for (const flushSize of [BATCH_CONSUMER_DEFAULTS.flushSize, 'auto'] as const) {
    await attempt(() => runLatency(ctx, sink, rate, { kind: 'flush-sweep-latency', flushSize }));
  }
}

async function runSweepDrain(ctx: BenchContext, sink: BenchSink, flushSize: number | 'auto'): Promise<ScenarioResult> {
  // One row more than asked: the last batch of a drain is partial and waits flushIntervalMs. With
  // `rows` a multiple of every fixed size, only `'auto'` (whose sizes add up to anything) paid
  // that second, a third of a 100,000-row drain here; now every size pays it once.
  const rows = ctx.options.rows + 1;
  const { result } = await runQueueScenario(ctx, {
    kind: 'flush-sweep',
    sink,
    description: `flush sweep, flushSize ${flushSize}: queue filled first by a default Producer (submitMany, full speed), then a BatchConsumer with flushSize ${flushSize} alone; timed from its start to the last commit`,
    rows,
    consumer: { kind: 'batchflow', concurrency: undefined, recordLatency: false, flushSize },
    producer: fullSpeed(ctx, sink, rows),
    fillFirst: true,
  });
  return result;
}
