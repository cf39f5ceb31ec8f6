import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from '../context.js';
import type { ScenarioResult } from '../result.js';
import { makeRow } from '../rows.js';
import type { BenchSink } from '../bench-sinks.js';
import { percentile } from '../stats.js';
import { batchflowProducer, type Submitter } from './batchflow-producer.js';
import { runQueueScenario } from './queue-run.js';

/**
 * Submit→commit latency at about half of peak load: a paced producer calls `submit()` once per
 * request (one job each, the default) at half the one-job-per-request throughput measured for
 * this sink in the same run. Every row carries its submit time; the consumer child takes the
 * time when the driver's `execute()` returned (the transaction committed) and keeps the difference.
 */
export async function runLatency(ctx: BenchContext, sink: BenchSink, oneJobRowsPerSecond: number, variant?: { kind: 'flush-sweep-latency'; flushSize: number | 'auto' }): Promise<ScenarioResult> {
  const { flushIntervalMs, latencySeconds } = ctx.options;
  const flushSize = variant?.flushSize ?? ctx.options.flushSize;
  const targetRate = Math.max(1, Math.round(oneJobRowsPerSecond / 2));
  const rows = Math.max(1, Math.round(targetRate * latencySeconds));
  const pacing = { submitSeconds: 0 };
  const { result, stats } = await runQueueScenario(ctx, {
    kind: variant?.kind ?? 'latency',
    sink,
    description: `BatchFlow one job per request, paced submit() at ${targetRate}/s for ${latencySeconds} s; flushSize ${flushSize}, flushIntervalMs ${flushIntervalMs}`,
    rows,
    consumer: { kind: 'batchflow', concurrency: undefined, recordLatency: true, ...(variant && { flushSize }) },
    producer: (target, prefix) => batchflowProducer(ctx, sink, target, prefix, false, submitPaced(sink, rows, targetRate, pacing)),
  });
  const samples = stats.latenciesMs;
  return {
    ...result,
    latency: {
      targetRate,
      achievedRate: rows / pacing.submitSeconds,
      samples: samples.length,
      p50Ms: percentile(samples, 50),
      p99Ms: percentile(samples, 99),
      maxMs: samples.reduce((a, b) => Math.max(a, b), 0),
    },
  };
}

/** Issues `submit()` calls on a schedule of `rate` per second (checked every few ms), without waiting for earlier ones. */
function submitPaced(sink: BenchSink, rows: number, rate: number, pacing: { submitSeconds: number }): Submitter {
  return async (producer, schema, target) => {
    const started = performance.now();
    const pending: Promise<void>[] = [];
    let sent = 0;
    while (sent < rows) {
      const due = Math.min(rows, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; sent < due; sent++) pending.push(producer.submit(schema, sink.toRequestRow(makeRow(sent), target)));
      await sleep(2);
    }
    pacing.submitSeconds = (performance.now() - started) / 1000;
    await Promise.all(pending);
  };
}
