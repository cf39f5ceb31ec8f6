// The metrics a real consumer reports, read as Prometheus text: not made-up values fed to the
// reporter, but what a flush, a dead letter and a sink outage produce.
import { describe, expect, it } from 'vitest';
import { BatchConsumer, MockExecutor, Producer, PrometheusReporter, Schema, SinkError } from '../../src/index.js';
import { useCleanups } from '../helpers/cleanups.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const events = Schema('metered', { id: 'int64', body: 'string' });
const defer = useCleanups();

/** One sample's value from the exposition text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics of a real consumer (real Redis)', () => {
  it('counts committed and dead-lettered rows, shows the breaker open during an outage and the in-flight gauge while a batch runs', async () => {
    let down = true;
    let release: (() => void) | undefined;
    let hold = false;
    const mock = new MockExecutor({
      behaviour: async (_s, requests) => {
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        if (hold) await new Promise<void>((resolve) => (release = resolve));
        if (requests.some((r) => r.getInt64('id') % 10n === 3n)) throw new SinkError('non_retryable', 'check', { sinkCode: '23514' });
      },
    });
    const metrics = new PrometheusReporter({ collectDefaultMetrics: false });
    const prefix = uniquePrefix('metrics');
    const producer = new Producer({ connection: REDIS_URL, schemas: [events], prefix });
    const consumer = new BatchConsumer({
      connection: REDIS_URL, schema: events, executor: mock, prefix, metrics,
      flushSize: 100, flushIntervalMs: 100, breakerThreshold: 1, breakerProbeMaxMs: 200, queueDepthIntervalMs: 100,
    });
    defer(async () => {
      await producer.close();
      await consumer.close();
      await deletePrefix(prefix);
    });
    const text = () => metrics.metrics();
    await producer.submitMany(events, Array.from({ length: 100 }, (_, i) => ({ id: BigInt(i), body: 'x' })));
    expect(await waitFor(async () => sample(await text(), 'batchflow_breaker_state{schema="metered",sink="mock"}') === 2)).toBe(true);
    expect(sample(await text(), 'batchflow_rows_dead_lettered_total{schema="metered",sink="mock",reason="non_retryable"}')).toBeUndefined();
    down = false;
    expect(await waitFor(async () => sample(await text(), 'batchflow_rows_committed_total{schema="metered",sink="mock"}') === 90)).toBe(true);
    const after = await text();
    expect(sample(after, 'batchflow_breaker_state{schema="metered",sink="mock"}')).toBe(0);
    expect(sample(after, 'batchflow_rows_dead_lettered_total{schema="metered",sink="mock",reason="non_retryable"}')).toBe(10);
    expect(sample(after, 'batchflow_in_flight_batches{schema="metered"}')).toBe(0);
    expect(await waitFor(async () => sample(await text(), 'batchflow_queue_depth{schema="metered",state="dlq"}') === 10)).toBe(true);
    // While a batch runs, the gauge counts it (it read one too low before).
    hold = true;
    await producer.submit(events, { id: 1000n, body: 'slow' });
    expect(await waitFor(() => release !== undefined)).toBe(true);
    expect(sample(await text(), 'batchflow_in_flight_batches{schema="metered"}')).toBe(1);
    hold = false;
    release?.();
    expect(await waitFor(async () => sample(await text(), 'batchflow_rows_committed_total{schema="metered",sink="mock"}') === 91)).toBe(true);
    expect(sample(await text(), 'batchflow_in_flight_batches{schema="metered"}')).toBe(0);
  });
});
