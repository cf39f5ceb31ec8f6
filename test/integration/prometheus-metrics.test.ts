import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, PrometheusReporter } from '../../src/index.js';
import { exerciseEveryMetric } from '../helpers/exercise-metrics.js';

const run = promisify(execFile);

describe('PrometheusReporter', () => {
  let dir: string;
  let reporter: PrometheusReporter;
  let text: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batchflow-metrics-'));
    reporter = new PrometheusReporter();
    exerciseEveryMetric(reporter);
    text = await reporter.metrics();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes `promtool check metrics` without a single lint problem', async () => {
    const file = join(dir, 'metrics.prom');
    await writeFile(file, text);
    // promtool reads the exposition from stdin; any output at all is a lint finding.
    const { stdout, stderr } = await run('sh', ['-c', 'promtool check metrics < "$1"', 'sh', file]);
    expect(stdout + stderr).toBe('');
  });

  it('exports counters, split error labels, histograms and gauges with their values', () => {
    expect(reporter.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const sample of [
      'batchflow_requests_enqueued_total{schema="events"} 300',
      'batchflow_rows_committed_total{schema="events",sink="postgres"} 299',
      'batchflow_rows_executed_total{schema="events",sink="postgres",status="ok"} 299',
      'batchflow_rows_dead_lettered_total{schema="events",sink="postgres",reason="non_retryable"} 1',
      'batchflow_errors_total{schema="events",sink="postgres",status="retry",reason="deadlock"} 1',
      'batchflow_errors_total{schema="events",sink="postgres",status="final",reason="non_retryable"} 1',
      'batchflow_batch_size_bucket{le="250",schema="events"} 0',
      'batchflow_batch_size_bucket{le="500",schema="events"} 1',
      'batchflow_batch_size_bucket{le="10000",schema="events"} 1',
      'batchflow_batch_execute_duration_seconds_count{schema="events",sink="postgres",status="retry"} 1',
      'batchflow_request_latency_seconds_bucket{le="0.5",schema="events"} 1',
      'batchflow_breaker_state{schema="events",sink="postgres"} 2',
      'batchflow_queue_depth{schema="events",state="dlq"} 3',
      'batchflow_in_flight_batches{schema="events"} 1',
    ]) {
      expect(text).toContain(sample);
    }
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('never throws on bad values and drops them instead', async () => {
    const quiet = new PrometheusReporter({ collectDefaultMetrics: false });
    expect(() => {
      quiet.rowsCommitted('s', 'k', -1);
      quiet.rowsCommitted('s', 'k', Number.NaN);
      quiet.requestLatency('s', Number.POSITIVE_INFINITY);
      quiet.queueDepth('s', 'waiting', Number.NaN);
      quiet.requestsEnqueued('s', 0, -0.5);
    }).not.toThrow();
    const quietText = await quiet.metrics();
    expect(quietText).not.toMatch(/^batchflow_\w+\{[^}]*\} /m);
    expect(quietText).not.toContain('process_resident_memory_bytes');
  });

  it('lets several reporters share one registry', async () => {
    const registry = new Registry();
    const producerSide = new PrometheusReporter({ registry });
    const consumerSide = new PrometheusReporter({ registry });
    producerSide.requestsEnqueued('shared', 2, 0.001);
    consumerSide.requestsEnqueued('shared', 3, 0.001);
    expect(await registry.metrics()).toContain('batchflow_requests_enqueued_total{schema="shared"} 5');
    expect(() => new PrometheusReporter({ collectDefaultMetrics: 'yes' as never })).toThrow(ConfigError);
  });
});
