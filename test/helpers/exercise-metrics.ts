import type { MetricsReporter } from '../../src/index.js';

/**
 * Calls every {@link MetricsReporter} method at least once, with the values a short run of
 * one schema on one sink would report, so every metric has samples in the exposition text.
 */
export function exerciseEveryMetric(reporter: MetricsReporter, schema = 'events', sink = 'postgres'): void {
  reporter.requestsEnqueued(schema, 250, 0.004);
  reporter.requestsEnqueued(schema, 50, 0.002);
  reporter.batchAssembled(schema, 0.2, 300);
  reporter.batchExecuted(schema, sink, 'retry', 0.03, 300);
  reporter.batchExecuted(schema, sink, 'ok', 0.012, 299);
  reporter.batchExecuted(schema, sink, 'error', 0.001, 1);
  reporter.rowsCommitted(schema, sink, 299);
  reporter.rowsDeadLettered(schema, sink, 'non_retryable', 1);
  reporter.error(schema, sink, 'retry:deadlock');
  reporter.error(schema, sink, 'final:non_retryable');
  reporter.inFlightBatches(schema, 1);
  reporter.breakerState(schema, sink, 2);
  reporter.requestLatency(schema, 0.35);
  reporter.flushSize?.(schema, 750);
  for (const state of ['waiting', 'active', 'delayed', 'failed', 'dlq'] as const) reporter.queueDepth(schema, state, 3);
}
