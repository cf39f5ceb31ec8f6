import { afterEach, describe, expect, it, vi } from 'vitest';
import { PackingBuffer } from '../../src/queue/packing-buffer.js';

/** A send whose calls stay pending until the test settles them. */
function controlledSend() {
  const calls: Array<{ rows: unknown[]; resolve: () => void; reject: (err: unknown) => void }> = [];
  const send = (rows: unknown[]) => new Promise<void>((resolve, reject) => calls.push({ rows, resolve, reject }));
  return { calls, send };
}

/** Follows a promise's state; read it after `flushMicrotasks()`. */
function track(promise: Promise<unknown>) {
  const t = { state: 'pending' as 'pending' | 'resolved' | 'rejected' };
  promise.then(
    () => (t.state = 'resolved'),
    () => (t.state = 'rejected'),
  );
  return t;
}
const flushMicrotasks = () => new Promise((r) => setImmediate(r));

afterEach(() => vi.useRealTimers());

describe('PackingBuffer.addMany', () => {
  it('resolves only once every send carrying its rows is stored', async () => {
    const { calls, send } = controlledSend();
    const buffer = new PackingBuffer({ maxRequestsPerJob: 2, lingerMs: 5 }, send);
    const added = track(buffer.addMany([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }, { id: 5 }]));
    expect(calls.map((c) => c.rows.length)).toEqual([2, 2]); // the fifth row lingers
    calls[0]?.resolve();
    calls[1]?.resolve();
    await flushMicrotasks();
    expect(added.state).toBe('pending');
    const closed = buffer.close();
    expect(calls.map((c) => c.rows.length)).toEqual([2, 2, 1]);
    calls[2]?.resolve();
    await closed;
    expect(added.state).toBe('resolved');
  });

  it('shares a send with the next call and resolves each when its own sends are stored', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { calls, send } = controlledSend();
    const buffer = new PackingBuffer({ maxRequestsPerJob: 3, lingerMs: 5 }, send);
    const a = track(buffer.addMany([{ id: 1 }, { id: 2 }]));
    const b = track(buffer.addMany([{ id: 3 }, { id: 4 }]));
    expect(calls.map((c) => c.rows)).toEqual([[{ id: 1 }, { id: 2 }, { id: 3 }]]);
    calls[0]?.resolve();
    await flushMicrotasks();
    expect([a.state, b.state]).toEqual(['resolved', 'pending']);
    vi.advanceTimersByTime(5); // linger ends: the fourth row is sent alone
    expect(calls[1]?.rows).toEqual([{ id: 4 }]);
    calls[1]?.resolve();
    await flushMicrotasks();
    expect(b.state).toBe('resolved');
  });

  it('rejects every call whose rows were in a failed send', async () => {
    const { calls, send } = controlledSend();
    const buffer = new PackingBuffer({ maxRequestsPerJob: 2, lingerMs: 5 }, send);
    const a = buffer.addMany([{ id: 1 }, { id: 2 }, { id: 3 }]);
    const b = buffer.add({ id: 4 });
    calls[0]?.resolve();
    calls[1]?.reject(new Error('redis down'));
    await expect(a).rejects.toThrow('redis down');
    await expect(b).rejects.toThrow('redis down');
  });

  it('resolves an empty call at once without sending', async () => {
    const { calls, send } = controlledSend();
    await new PackingBuffer({ maxRequestsPerJob: 2, lingerMs: 5 }, send).addMany([]);
    expect(calls).toHaveLength(0);
  });
});
