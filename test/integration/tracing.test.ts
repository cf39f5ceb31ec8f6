// Traces from submit to commit with the real OpenTelemetry SDK (in-memory exporter), real Redis
// and real PostgreSQL: a request submitted inside an HTTP handler's span is linked from the
// `batchflow.batch` span that committed it, and a bisected batch shows its poison row's failure.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, trace, type SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BullMQOtel } from 'bullmq-otel';
import { describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver, Producer, SQLSchema } from '../../src/index.js';
import { useCleanups } from '../helpers/cleanups.js';
import { dumpTrace, startTestTracing } from '../helpers/otel.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const defer = useCleanups();

async function pipeline(label: string, extra: { telemetry?: BullMQOtel } = {}) {
  const tracing = startTestTracing();
  defer(() => tracing.stop());
  const table = uniqueTable(label);
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, score int CHECK (score >= 0))`);
  defer(() => pgQuery(`DROP TABLE IF EXISTS ${table}`));
  const schema = SQLSchema(table, 'update', { id: 'int64', score: 'int32' });
  const prefix = uniquePrefix(label);
  const driver = new PostgresDriver({ connectionString: PG_URL });
  const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix, tracing: true, ...extra });
  const consumer = new BatchConsumer({ connection: REDIS_URL, schema, executor: driver, prefix, flushSize: 100, flushIntervalMs: 200, tracing: true, ...extra });
  defer(async () => {
    await producer.close();
    await consumer.close();
    await driver.close();
    await deletePrefix(prefix);
  });
  return { tracing, table, schema, producer, consumer };
}

const linksTo = (batch: ReadableSpan, target: SpanContext) => batch.links.some((l) => l.context.traceId === target.traceId && l.context.spanId === target.spanId);

describe('tracing (real OpenTelemetry SDK, Redis, PostgreSQL)', () => {
  it('links the batch span that committed a request to the HTTP handler span that submitted it', async () => {
    const { tracing, table, schema, producer } = await pipeline('trace_http');
    const tracer = trace.getTracer('test-app');
    const handled: SpanContext[] = [];
    const server: Server = createServer((req, res) => {
      // A manual server span, as the HTTP instrumentation would open: the submit runs inside it.
      void tracer.startActiveSpan(`POST ${req.url}`, { kind: SpanKind.SERVER }, async (span) => {
        const id = BigInt(req.url?.slice(1) ?? '0');
        await producer.submit(schema, { id, score: 1 });
        handled.push(span.spanContext());
        span.end();
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    for (const id of [1, 2, 3]) expect(await (await fetch(`http://127.0.0.1:${port}/${id}`, { method: 'POST' })).text()).toBe('ok');
    expect(await waitFor(async () => (await pgCount(table)) === 3)).toBe(true);

    const batches = () => tracing.spans().filter((s) => s.name === 'batchflow.batch');
    expect(await waitFor(() => handled.every((h) => batches().some((b) => linksTo(b, h))))).toBe(true);
    for (const server of handled) {
      const batch = batches().find((b) => linksTo(b, server)) as ReadableSpan;
      // A batch has many parents: it starts its own trace and links to each request's span.
      expect(batch.parentSpanContext).toBeUndefined();
      expect(batch.kind).toBe(SpanKind.CONSUMER);
      expect(batch.attributes).toMatchObject({ 'batchflow.schema': table, 'batchflow.sink': 'postgres', 'batchflow.attempt': 1, 'batchflow.outcome': 'committed' });
      expect(batch.attributes['batchflow.batch.size']).toBeGreaterThanOrEqual(1);
      const execute = tracing.spans().find((s) => s.name === 'batchflow.execute' && s.parentSpanContext?.spanId === batch.spanContext().spanId);
      expect(execute?.attributes).toMatchObject({ 'batchflow.execute.status': 'ok' });
    }
  });

  it('shows a bisected batch: the poison row fails alone with its code, the dead-letter write is a child span', async () => {
    const { tracing, table, schema, producer, consumer } = await pipeline('trace_bisect');
    const tracer = trace.getTracer('test-app');
    let request: SpanContext | undefined;
    await tracer.startActiveSpan('import', async (span) => {
      request = span.spanContext();
      // One packed job of 16 rows, the 11th violating the CHECK (SQLSTATE 23514).
      await producer.submitMany(schema, Array.from({ length: 16 }, (_, i) => ({ id: BigInt(i), score: i === 10 ? -1 : i })));
      span.end();
    });
    expect(await waitFor(async () => (await pgCount(table)) === 15 && (await consumer.dlq.count()) === 1, 30_000)).toBe(true);
    const batchOf = () => tracing.spans().find((s) => s.name === 'batchflow.batch' && s.attributes['batchflow.outcome'] === 'partial');
    expect(await waitFor(() => batchOf() !== undefined)).toBe(true);
    const batch = batchOf() as ReadableSpan;
    const all = tracing.spans();
    expect(batch.links).toHaveLength(1); // 16 requests from one submitMany(): one context, one link
    expect(linksTo(batch, request as SpanContext)).toBe(true);
    expect(batch.attributes).toMatchObject({ 'batchflow.batch.size': 16, 'batchflow.failed_requests': 1, 'batchflow.failure.reason': 'non_retryable', 'batchflow.failure.code': '23514' });
    const failed = batch.events.filter((e) => e.name === 'batchflow.request_failed');
    expect(failed.map((e) => e.attributes)).toEqual([expect.objectContaining({ 'batchflow.request.index': 10, 'batchflow.failure.code': '23514' })]);
    const calls = all.filter((s) => s.name === 'batchflow.execute' && s.parentSpanContext?.spanId === batch.spanContext().spanId);
    // Bisection: the whole batch fails, then halves, until the poison row fails alone.
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.some((c) => c.attributes['batchflow.execute.size'] === 16 && c.attributes['batchflow.failure.code'] === '23514')).toBe(true);
    expect(calls.some((c) => c.attributes['batchflow.execute.size'] === 1 && c.attributes['batchflow.failure.code'] === '23514')).toBe(true);
    expect(all.some((s) => s.name === 'batchflow.dead_letter' && s.parentSpanContext?.spanId === batch.spanContext().spanId && s.attributes['batchflow.dead_letter.count'] === 1)).toBe(true);
    if (process.env.TRACE_DUMP) console.log(dumpTrace(batch, all));

    // Replay: once the constraint is gone, the DLQ entry's replay commits in a batch that says so.
    await pgQuery(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_score_check`);
    expect((await consumer.dlq.replay()).done).toBe(1);
    expect(await waitFor(async () => (await pgCount(table)) === 16, 30_000)).toBe(true);
    const replayBatch = () => tracing.spans().find((s) => s.name === 'batchflow.batch' && s.attributes['batchflow.replayed_requests'] === 1);
    expect(await waitFor(() => replayBatch() !== undefined)).toBe(true);
    expect(replayBatch()?.attributes).toMatchObject({ 'batchflow.outcome': 'committed', 'batchflow.replay.max': 1, 'batchflow.batch.size': 1 });
    // The DLQ entry kept the request's trace context: the replay's batch links to the original caller.
    expect(linksTo(replayBatch() as ReadableSpan, request as SpanContext)).toBe(true);
  });

  it('passes BullMQ telemetry (bullmq-otel) to its queues and workers: the enqueue is a child of the caller, the job is processed in a span', async () => {
    const { tracing, table, schema, producer } = await pipeline('trace_bullmq', { telemetry: new BullMQOtel({ tracerName: 'bullmq-e2e' }) });
    const tracer = trace.getTracer('test-app');
    let request: SpanContext | undefined;
    await tracer.startActiveSpan('request', async (span) => {
      request = span.spanContext();
      await producer.submit(schema, { id: 1n, score: 1 });
      span.end();
    });
    expect(await waitFor(async () => (await pgCount(table)) === 1)).toBe(true);
    const bullmq = () => tracing.spans().filter((s) => s.instrumentationScope.name === 'bullmq-e2e');
    expect(await waitFor(() => bullmq().some((s) => s.kind === SpanKind.CONSUMER))).toBe(true);
    const names = bullmq().map((s) => `${s.name} kind=${s.kind}`).join(', ');
    // The enqueue runs in the caller's trace, as its child (BullMQ's PRODUCER span).
    expect(bullmq().some((s) => s.kind === SpanKind.PRODUCER && s.spanContext().traceId === request?.traceId), names).toBe(true);
  });
});
