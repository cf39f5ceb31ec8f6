import { describe, expect, it } from 'vitest';
import { BatchWriter } from '../../src/core/batch-writer.js';
import { CircuitBreaker } from '../../src/core/circuit-breaker.js';
import { Request } from '../../src/core/request.js';
import { Schema } from '../../src/core/schema.js';
import { PartialWriteError } from '../../src/errors/partial-write-error.js';
import { SinkError } from '../../src/errors/sink-error.js';
import { MockExecutor } from '../../src/testing/mock-executor.js';

const schema = Schema('t', { id: 'int32' });
const batch = (n: number) => Array.from({ length: n }, (_, i) => new Request(schema).setInt32('id', i));
const ids = (mock: MockExecutor) => mock.committedRequests().map((r) => r.getInt32('id'));
const fast = { retryBaseMs: 1, retryMaxMs: 2 };
const quickBreaker = (states: string[] = []) => new CircuitBreaker({ threshold: 3, probeBaseMs: 2, probeMaxMs: 5, onStateChange: (s) => states.push(s) });
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

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
    expect(sorted(failures.map((f) => f.index))).toEqual([3, 17, 18]);
    expect(failures[0]?.error.sinkCode).toBe('23505');
    expect(sorted(ids(mock))).toEqual(Array.from({ length: 32 }, (_, i) => i).filter((i) => !bad.has(i)));
  });

  it('retries deadlocks with backoff, then succeeds', async () => {
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

  it.each([
    ['lock_timeout', '55P03'],
    ['timeout', '57014'],
    ['read_only', '25006'],
    ['io', '53100'],
    ['auth', '28P01'],
    ['schema', '42703'],
    ['unknown', 'XX000'],
    ['deadlock', '40P01'],
  ] as const)('holds a batch through a persistent %s (%s): nothing fails, the breaker opens, all commit once it clears', async (reason, code) => {
    let failing = true;
    const mock = new MockExecutor({
      behaviour: () => {
        if (failing) throw new SinkError(reason, 'sick', { sinkCode: code });
      },
    });
    const states: string[] = [];
    const writer = new BatchWriter(mock, schema, quickBreaker(states), { ...fast, maxAttempts: 2 });
    const written = writer.write(batch(8));
    await new Promise((r) => setTimeout(r, 150));
    expect(states).toContain('open');
    expect(mock.calls.length).toBeGreaterThan(3);
    // Never bisected: every call carried the whole batch.
    expect(mock.calls.every((c) => c.requests.length === 8)).toBe(true);
    failing = false;
    const { failures } = await written;
    expect(failures).toEqual([]);
    expect(sorted(ids(mock))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(states.at(-1)).toBe('closed');
  });

  it('holds unknown errors without a code, and errno codes on `cause` (fetch failed)', async () => {
    let calls = 0;
    const mock = new MockExecutor({
      behaviour: () => {
        calls++;
        if (calls === 1) throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
        if (calls === 2) throw new Error('something odd');
        if (calls === 3) throw Object.assign(new Error('tls'), { code: 'CERT_HAS_EXPIRED' });
      },
    });
    const reasons: string[] = [];
    const writer = new BatchWriter(mock, schema, quickBreaker(), fast, { retrying: (e) => reasons.push(`${e.reason}:${e.sinkCode ?? ''}`) });
    const { failures } = await writer.write(batch(3));
    expect(failures).toEqual([]);
    expect(reasons).toEqual(['connection:ECONNREFUSED', 'unknown:', 'auth:CERT_HAS_EXPIRED']);
  });

  it('a lone request with a data error is dead-lettered only when ping() shows the sink healthy', async () => {
    let healthy = false;
    let pings = 0;
    const mock = new MockExecutor({
      behaviour: () => {
        throw new SinkError('non_retryable', 'bad', { sinkCode: '23514' });
      },
    });
    const executor = Object.assign(mock, {
      ping: async () => {
        pings++;
        if (!healthy) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      },
    });
    const writer = new BatchWriter(executor, schema, quickBreaker(), fast);
    const written = writer.write(batch(1));
    await new Promise((r) => setTimeout(r, 60));
    expect(pings).toBeGreaterThan(1);
    healthy = true;
    const { failures } = await written;
    expect(failures.map((f) => f.error.sinkCode)).toEqual(['23514']);
  });

  it('the storm guard holds a wave where most rows fail with one data error, and lets it through once the table is fixed', async () => {
    let dropped = true; // e.g. a new NOT NULL column without default
    const mock = new MockExecutor({
      behaviour: (_s, requests) => {
        if (requests.some((r) => r.getInt32('id') === 7)) throw new SinkError('non_retryable', 'check', { sinkCode: '23514' });
        if (dropped) throw new SinkError('non_retryable', 'null value in column', { sinkCode: '23502' });
      },
    });
    const states: string[] = [];
    const writer = new BatchWriter(mock, schema, quickBreaker(states), { ...fast, stormMinRows: 10 });
    const written = writer.write(batch(40));
    await new Promise((r) => setTimeout(r, 150));
    expect(states).toContain('open');
    expect(mock.committed).toHaveLength(0);
    const callsWhileHeld = mock.calls.length;
    await new Promise((r) => setTimeout(r, 50));
    // Held sets are retried whole (the 39 rows failing with the storm's code), not bisected again on every probe.
    const heldCalls = mock.calls.slice(callsWhileHeld);
    expect(heldCalls.length).toBeGreaterThan(0);
    expect(heldCalls.every((c) => c.requests.length === 39)).toBe(true);
    dropped = false;
    const { failures } = await written;
    expect(failures.map((f) => f.index)).toEqual([7]); // the one truly bad row (another code than the storm's)
    expect(ids(mock)).toHaveLength(39);
  });

  it('a held storm set that fails whole once more after the wave is over is bisected again, never dead-lettered whole', async () => {
    // Two batches share the writer (maxInFlightBatches). A's 40 rows trip the storm guard and are
    // held; the table is fixed while A's held set is in flight, so that attempt still fails whole
    // with the storm's code, but by then B's 200 commits have turned the window: no storm any more.
    let dropped = true;
    let heldAttempts = 0;
    let bCommitted = false;
    const a = Array.from({ length: 40 }, (_, i) => new Request(schema).setInt32('id', i));
    const b = Array.from({ length: 200 }, (_, i) => new Request(schema).setInt32('id', 1000 + i));
    const mock = new MockExecutor({
      behaviour: (_s, requests) => {
        if (requests.some((r) => r.getInt32('id') >= 1000)) {
          bCommitted = true;
          return;
        }
        if (!dropped) return;
        // Attempts of all 40: the first, then the held set's; the first after B's commits is the one the fix lands during.
        if (requests.length === 40 && ++heldAttempts > 2 && bCommitted) dropped = false;
        throw new SinkError('non_retryable', 'null value in column', { sinkCode: '23502' });
      },
    });
    const writer = new BatchWriter(mock, schema, quickBreaker(), { ...fast, stormMinRows: 10 });
    const first = writer.write(a);
    await expect.poll(() => heldAttempts, { timeout: 5000 }).toBeGreaterThanOrEqual(2); // A is held as a storm
    expect((await writer.write(b)).failures).toEqual([]);
    const { failures } = await first;
    expect(failures).toEqual([]);
    expect(sorted(ids(mock).filter((id) => id < 1000))).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('a row that failed alone before a storm cleared (another batch\'s held rows then committed) is tried again, not dead-lettered', async () => {
    // A's 40 rows trip the storm guard and are held. C is bisected meanwhile: 30 of its rows fail
    // alone, then the table is fixed and A's held rows commit, turning the window before C decides.
    // C's 30 failures predate the fix: seen in CI, 75 such rows went to the DLQ. They must commit.
    let dropped = true;
    let cLoneFailures = 0;
    let aCommitted!: () => void;
    const aDone = new Promise<void>((resolve) => (aCommitted = resolve));
    const a = Array.from({ length: 40 }, (_, i) => new Request(schema).setInt32('id', i));
    const c = Array.from({ length: 40 }, (_, i) => new Request(schema).setInt32('id', 2000 + i));
    let heldAttempts = 0;
    const mock = new MockExecutor({
      behaviour: async (_s, requests) => {
        const isC = requests.some((r) => r.getInt32('id') >= 2000);
        if (!dropped) {
          if (isC) await aDone; // C goes on only once A's held rows have committed
          else aCommitted();
          return;
        }
        if (!isC && requests.length === 40) heldAttempts++;
        if (isC && requests.length === 1 && ++cLoneFailures === 30) dropped = false; // the fix lands mid-bisection
        throw new SinkError('non_retryable', 'null value in column', { sinkCode: '23502' });
      },
    });
    const writer = new BatchWriter(mock, schema, quickBreaker(), { ...fast, stormMinRows: 10 });
    const first = writer.write(a);
    await expect.poll(() => heldAttempts, { timeout: 5000 }).toBeGreaterThanOrEqual(2); // A is held as a storm
    const third = writer.write(c);
    expect((await third).failures).toEqual([]);
    expect((await first).failures).toEqual([]);
    expect(cLoneFailures).toBe(30);
    expect(sorted(ids(mock))).toEqual([...Array.from({ length: 40 }, (_, i) => i), ...Array.from({ length: 40 }, (_, i) => 2000 + i)]);
  });

  it('a partial write never resends the applied requests; data failures fail alone, the rest are held', async () => {
    const applied: number[] = [];
    let oom = true;
    const mock = new MockExecutor({
      behaviour: (_s, requests) => {
        const failures = [];
        for (const [i, r] of requests.entries()) {
          const id = r.getInt32('id');
          if (id === 5) failures.push({ index: i, error: new SinkError('non_retryable', 'WRONGTYPE', { sinkCode: 'WRONGTYPE' }) });
          else if (id === 9 && oom) failures.push({ index: i, error: new SinkError('io', 'OOM', { sinkCode: 'OOM' }) });
          else applied.push(id);
        }
        if (id9Seen(requests)) oom = false;
        if (failures.length) throw new PartialWriteError('io', 'partial', failures);
      },
    });
    let seen9 = 0;
    function id9Seen(requests: readonly Request[]) {
      if (requests.some((r) => r.getInt32('id') === 9)) seen9++;
      return seen9 >= 2;
    }
    const writer = new BatchWriter(mock, schema, quickBreaker(), fast);
    const { failures } = await writer.write(batch(12));
    expect(failures.map((f) => [f.index, f.error.sinkCode])).toEqual([[5, 'WRONGTYPE']]);
    expect(sorted(applied)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]); // each exactly once
  });

  it('classifies a call cut off by batchTimeoutMs as a timeout and holds it', async () => {
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

  it('an abort while a batch is held rejects with the caller\'s reason', async () => {
    const controller = new AbortController();
    const mock = new MockExecutor({
      behaviour: () => {
        throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      },
    });
    const writer = new BatchWriter(mock, schema, quickBreaker(), fast);
    const written = writer.write(batch(2), controller.signal);
    setTimeout(() => controller.abort(new Error('deploy')), 30);
    await expect(written).rejects.toThrow('deploy');
  });
});
