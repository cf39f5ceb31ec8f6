import { describe, expect, it } from 'vitest';
import { BatchWriter } from '../../src/core/batch-writer.js';
import { CircuitBreaker } from '../../src/core/circuit-breaker.js';
import { Request } from '../../src/core/request.js';
import { Schema } from '../../src/core/schema.js';
import { SinkError } from '../../src/errors/sink-error.js';
import { MockExecutor } from '../../src/testing/mock-executor.js';

const schema = Schema('t', { id: 'int32' });
const batch = (n: number) => Array.from({ length: n }, (_, i) => new Request(schema).setInt32('id', i));
const ids = (mock: MockExecutor) => mock.committedRequests().map((r) => r.getInt32('id'));
const fast = { retryBaseMs: 1, retryMaxMs: 2 };

describe('BatchWriter', () => {
  it('bisects so every good request commits and only bad ones fail', async () => {
    const bad = new Set([3, 17, 18]);
    const mock = new MockExecutor({
      behaviour: (_s, requests) => {
        if (requests.some((r) => bad.has(r.getInt32('id')))) throw new SinkError('non_retryable', 'constraint', { sinkCode: '23505' });
      },
    });
    const writer = new BatchWriter(mock, schema, new CircuitBreaker(), fast);
    const { failures } = await writer.write(batch(32));
    expect(failures.map((f) => f.index).sort((a, b) => a - b)).toEqual([3, 17, 18]);
    expect(failures[0]?.error.sinkCode).toBe('23505');
    expect(ids(mock).sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i).filter((i) => !bad.has(i)));
  });

  it('retries retryable reasons with backoff, then succeeds', async () => {
    const mock = new MockExecutor({
      behaviour: (_s, _r, call) => {
        if (call < 2) throw new SinkError('deadlock', 'deadlock', { sinkCode: '40P01' });
      },
    });
    const retries: number[] = [];
    const writer = new BatchWriter(mock, schema, new CircuitBreaker(), fast, { retrying: (_e, attempt) => retries.push(attempt) });
    const { failures } = await writer.write(batch(4));
    expect(failures).toEqual([]);
    expect(retries).toEqual([1, 2]);
    expect(mock.calls).toHaveLength(3);
  });

  it('fails a request after maxAttempts of a persistent retryable error', async () => {
    const mock = new MockExecutor({
      behaviour: () => {
        throw new SinkError('lock_timeout', 'lock wait timeout', { sinkCode: '1205' });
      },
    });
    const writer = new BatchWriter(mock, schema, new CircuitBreaker(), { ...fast, maxAttempts: 3 });
    const { failures } = await writer.write(batch(1));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ index: 0, attempts: 3 });
    expect(failures[0]?.error.reason).toBe('lock_timeout');
  });

  it('waits on the breaker for connection errors without using attempts', async () => {
    let calls = 0;
    const mock = new MockExecutor({
      behaviour: () => {
        if (++calls <= 6) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      },
    });
    const states: string[] = [];
    const breaker = new CircuitBreaker({ probeBaseMs: 2, probeMaxMs: 5, onStateChange: (s) => states.push(s) });
    const writer = new BatchWriter(mock, schema, breaker, { ...fast, maxAttempts: 2 });
    const { failures } = await writer.write(batch(5));
    expect(failures).toEqual([]);
    expect(ids(mock)).toHaveLength(5);
    expect(states[0]).toBe('open');
    expect(states.at(-1)).toBe('closed');
  });

  it('classifies a call cut off by batchTimeoutMs as a retryable timeout', async () => {
    const mock = new MockExecutor({
      behaviour: (_s, _r, call) =>
        call === 0 ? new Promise<void>((_, reject) => setTimeout(() => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), 50)) : undefined,
    });
    const retried: string[] = [];
    const writer = new BatchWriter(mock, schema, new CircuitBreaker(), { ...fast, batchTimeoutMs: 10 }, { retrying: (e) => retried.push(e.reason) });
    const { failures } = await writer.write(batch(2));
    expect(failures).toEqual([]);
    expect(retried).toEqual(['timeout']);
  });

  it('stops when the caller aborts and reports nothing as failed', async () => {
    const controller = new AbortController();
    const mock = new MockExecutor({
      behaviour: () => {
        controller.abort(new Error('shutdown'));
        throw new SinkError('deadlock', 'x');
      },
    });
    const writer = new BatchWriter(mock, schema, new CircuitBreaker(), fast);
    await expect(writer.write(batch(2), controller.signal)).rejects.toThrow('shutdown');
  });
});
