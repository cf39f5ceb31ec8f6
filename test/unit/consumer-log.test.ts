import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logConsumerEvents } from '../../consumers/consumer-log.js';
import { REDACTED_LOG_PATHS } from '../../consumers/logger.js';
import type { BatchConsumer } from '../../src/queue/consumer/batch-consumer.js';

afterEach(() => vi.useRealTimers());

/** A logger writing JSON lines into an array, with the worker's redaction. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
  return { lines, logger: pino({ redact: { paths: [...REDACTED_LOG_PATHS], censor: '[redacted]' } }, stream) };
}

function fakeConsumer(): BatchConsumer {
  return Object.assign(new EventEmitter(), { schema: { name: 'events' } }) as unknown as BatchConsumer;
}

describe('logConsumerEvents', () => {
  it('logs committed batches, retries, dead letters and breaker changes with their batchId', () => {
    const { lines, logger } = capture();
    const consumer = fakeConsumer();
    logConsumerEvents(consumer, logger);
    consumer.emit('batch:committed', { batchId: 'b1', schema: 'events', size: 500, seconds: 0.01 });
    consumer.emit('batch:retry', { batchId: 'b2', schema: 'events', reason: 'deadlock', errorCode: '40P01', attempt: 1, delayMs: 80 });
    const entry = { class: 'non_retryable', reason: 'non_retryable', errorCode: '23514', request: { card: '4111 1111 1111 1111' } };
    consumer.emit('dead-lettered', { batchId: 'b3', schema: 'events', entries: [entry, entry] as never });
    consumer.emit('breaker', { schema: 'events', sink: 'postgres', state: 'open', reason: 'read_only', errorCode: '25006', message: 'cannot execute INSERT in a read-only transaction' });
    expect(lines.map(({ event, batchId, schema }) => ({ event, batchId, schema }))).toEqual([
      { event: 'batch:committed', batchId: 'b1', schema: 'events' },
      { event: 'batch:retry', batchId: 'b2', schema: 'events' },
      { event: 'dead-lettered', batchId: 'b3', schema: 'events' },
      { event: 'breaker', batchId: undefined, schema: 'events' },
    ]);
    expect(lines[0]).toMatchObject({ size: 500, seconds: 0.01, level: 30 });
    expect(lines[2]).toMatchObject({ count: 2, byCause: { 'non_retryable/non_retryable/23514': 2 }, level: 40 });
    expect(lines[3]).toMatchObject({ reason: 'read_only', errorCode: '25006', level: 40 });
    expect(lines[3]?.msg).toContain('read_only 25006');
    expect(JSON.stringify(lines)).not.toContain('4111'); // row data stays in the DLQ
  });

  it('logs a repeated error once per 10 s, then says how many were skipped', () => {
    vi.useFakeTimers();
    const { lines, logger } = capture();
    const consumer = fakeConsumer();
    logConsumerEvents(consumer, logger);
    for (let i = 0; i < 5; i++) consumer.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    consumer.emit('error', new Error('another problem'));
    vi.advanceTimersByTime(10_000);
    consumer.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    expect(lines.map((l) => [(l.err as { message: string }).message, l.suppressed])).toEqual([
      ['connect ECONNREFUSED 127.0.0.1:6379', undefined],
      ['another problem', undefined],
      ['connect ECONNREFUSED 127.0.0.1:6379', 4],
    ]);
  });

  it('redacts credentials and URLs that reach a log line', () => {
    const { lines, logger } = capture();
    logger.info({ url: 'postgres://u:pw@h/db', sink: { connectionString: 'x', password: 'pw' }, auth: { token: 't' } }, 'x');
    expect(lines[0]).toMatchObject({ url: '[redacted]', sink: { connectionString: '[redacted]', password: '[redacted]' }, auth: '[redacted]' });
  });
});
