import { afterEach, describe, expect, it, vi } from 'vitest';
import { PackingBuffer, type PackingLimits } from '../../src/queue/producer/packing-buffer.js';

/** A send whose calls stay pending until the test settles them; each call is one addBulk of jobs. */
function controlledSend() {
  const calls: Array<{ jobs: unknown[][]; resolve: () => void; reject: (err: unknown) => void }> = [];
  const send = (jobs: unknown[][]) => new Promise<void>((resolve, reject) => calls.push({ jobs, resolve, reject }));
  const sizes = () => calls.map((c) => c.jobs.map((j) => j.length));
  return { calls, send, sizes };
}

/** Follows a promise's state; read it after `settle()`. */
function track(promise: Promise<unknown>) {
  const t = { state: 'pending' as 'pending' | 'resolved' | 'rejected' };
  promise.then(
    () => (t.state = 'resolved'),
    () => (t.state = 'rejected'),
  );
  return t;
}
const settle = () => new Promise((r) => setImmediate(r));
const limits = (l: Partial<PackingLimits> = {}): PackingLimits => ({ maxRequestsPerJob: 100, maxBytesPerJob: 1 << 20, lingerMs: 0, ...l });

afterEach(() => vi.useRealTimers());

describe('PackingBuffer (adaptive, Nagle-like)', () => {
  it('sends a lone row at once, as its own job, and resolves once it is stored', async () => {
    const { calls, send, sizes } = controlledSend();
    const buffer = new PackingBuffer(limits(), send);
    const a = track(buffer.add({ id: 1 }));
    await Promise.resolve(); // a microtask, no timer: nothing waits
    expect(sizes()).toEqual([[1]]);
    expect(a.state).toBe('pending');
    calls[0]?.resolve();
    await settle();
    expect(a.state).toBe('resolved');
  });

  it('packs rows that arrive while a send is in flight into the next job', async () => {
    const { calls, send, sizes } = controlledSend();
    const buffer = new PackingBuffer(limits(), send);
    const first = track(buffer.add({ id: 0 }));
    await settle();
    const later = Array.from({ length: 37 }, (_, i) => track(buffer.add({ id: i + 1 })));
    await settle();
    expect(sizes()).toEqual([[1]]); // the 37 wait for the send in flight
    calls[0]?.resolve();
    await settle();
    expect(first.state).toBe('resolved');
    expect(sizes()).toEqual([[1], [37]]);
    expect(later.every((t) => t.state === 'pending')).toBe(true);
    calls[1]?.resolve();
    await settle();
    expect(later.every((t) => t.state === 'resolved')).toBe(true);
  });

  it('sends a synchronous burst as one job', async () => {
    const { send, sizes } = controlledSend();
    const buffer = new PackingBuffer(limits(), send);
    for (let i = 0; i < 64; i++) void buffer.add({ id: i });
    await settle();
    expect(sizes()).toEqual([[64]]);
  });

  it('sends full jobs at once even while a send is in flight, and keeps the partial rest', async () => {
    const { calls, send, sizes } = controlledSend();
    const buffer = new PackingBuffer(limits({ maxRequestsPerJob: 2 }), send);
    void buffer.add({ id: 0 });
    await settle();
    const many = track(buffer.addMany([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }, { id: 5 }]));
    await settle();
    expect(sizes()).toEqual([[1], [2, 2]]); // the fifth row waits: partial, and sends are in flight
    calls[0]?.resolve();
    calls[1]?.resolve();
    await settle();
    expect(sizes()).toEqual([[1], [2, 2], [1]]);
    expect(many.state).toBe('pending');
    calls[2]?.resolve();
    await settle();
    expect(many.state).toBe('resolved');
  });

  it('caps a job by estimated bytes; a row over the cap travels alone', async () => {
    const { send, calls } = controlledSend();
    const buffer = new PackingBuffer(limits({ maxBytesPerJob: 100 }), send);
    void buffer.addMany([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }], [40, 40, 40, 500]);
    await settle();
    expect(calls[0]?.jobs).toEqual([[{ id: 1 }, { id: 2 }], [{ id: 3 }], [{ id: 4 }]]);
  });

  it('with lingerMs, waits that long for more rows even when nothing is in flight', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { send, sizes } = controlledSend();
    const buffer = new PackingBuffer(limits({ lingerMs: 5 }), send);
    void buffer.add({ id: 1 });
    await settle();
    void buffer.add({ id: 2 });
    await settle();
    expect(sizes()).toEqual([]);
    vi.advanceTimersByTime(5);
    expect(sizes()).toEqual([[2]]);
  });

  it('rejects every call whose rows were in a failed send, and goes on with the next', async () => {
    const { calls, send } = controlledSend();
    const buffer = new PackingBuffer(limits(), send);
    const a = buffer.add({ id: 1 });
    await settle();
    const b = buffer.add({ id: 2 });
    const c = buffer.add({ id: 3 });
    calls[0]?.reject(new Error('redis down'));
    await expect(a).rejects.toThrow('redis down');
    await settle();
    calls[1]?.resolve();
    await expect(Promise.all([b, c])).resolves.toBeDefined();
  });

  it('resolves an empty call at once without sending', async () => {
    const { calls, send } = controlledSend();
    await new PackingBuffer(limits(), send).addMany([]);
    expect(calls).toHaveLength(0);
  });

  it('close() sends what waits and resolves once every send is stored', async () => {
    const { calls, send, sizes } = controlledSend();
    const buffer = new PackingBuffer(limits({ lingerMs: 60_000 }), send);
    const a = track(buffer.addMany([{ id: 1 }, { id: 2 }]));
    const closed = track(buffer.close());
    expect(sizes()).toEqual([[2]]);
    await settle();
    expect(closed.state).toBe('pending');
    calls[0]?.resolve();
    await settle();
    expect([a.state, closed.state]).toEqual(['resolved', 'resolved']);
  });
});
