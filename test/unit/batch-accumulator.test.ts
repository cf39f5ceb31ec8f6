import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchAccumulator } from '../../src/core/batch-accumulator.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function recorder() {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const flush = (items: number[]) => {
    batches.push(items);
    return new Promise<void>((resolve) => releases.push(resolve));
  };
  return { batches, releases, flush };
}

describe('BatchAccumulator', () => {
  it('flushes at flushSize without waiting for the timer', () => {
    const { batches, flush } = recorder();
    const acc = new BatchAccumulator(flush, { flushSize: 3, flushIntervalMs: 1000 });
    expect(acc.state).toBe('idle');
    acc.add(1);
    acc.add(2);
    expect(acc.state).toBe('filling');
    acc.add(3);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(acc.state).toBe('flushing');
  });

  it('flushes a partial batch flushIntervalMs after its first item', () => {
    const { batches, flush } = recorder();
    const acc = new BatchAccumulator(flush, { flushSize: 10, flushIntervalMs: 1000 });
    acc.add(1);
    vi.advanceTimersByTime(600);
    acc.add(2); // does not restart the timer
    vi.advanceTimersByTime(399);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([[1, 2]]);
  });

  it('runs at most maxInFlightBatches flushes; full batches wait their turn', async () => {
    const { batches, releases, flush } = recorder();
    const acc = new BatchAccumulator(flush, { flushSize: 2, flushIntervalMs: 1000, maxInFlightBatches: 1 });
    [1, 2, 3, 4, 5].forEach((n) => acc.add(n));
    expect(batches).toEqual([[1, 2]]);
    expect(acc.pending).toBe(3);
    releases[0]?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2], [3, 4]]);
    // the filling batch [5] still waits for its own timer, not for the finished flush
    releases[1]?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('close() flushes what is buffered, waits for in-flight flushes, then refuses items', async () => {
    const { batches, releases, flush } = recorder();
    const acc = new BatchAccumulator(flush, { flushSize: 10, flushIntervalMs: 1000 });
    acc.add(1);
    let closed = false;
    const closing = acc.close().then(() => (closed = true));
    expect(batches).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    releases[0]?.();
    await closing;
    expect(acc.state).toBe('closed');
    expect(() => acc.add(2)).toThrow(/closed/);
  });

  it('reports a rejected flush to onError and keeps going', async () => {
    const errors: unknown[] = [];
    const acc = new BatchAccumulator<number>(() => Promise.reject(new Error('boom')), { flushSize: 1 }, (err) => errors.push(err));
    acc.add(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    expect(acc.state).toBe('idle');
  });

  it('flushes at a changing size (flushSize: auto) and tells the source how each batch was sealed', () => {
    const { batches, releases, flush } = recorder();
    const seals: Array<{ reason: string; items: number; pressured: boolean }> = [];
    const source = { size: 2, sealed: (seal: { reason: string; items: number; pressured: boolean }) => seals.push(seal) };
    const acc = new BatchAccumulator(flush, { flushSize: source, flushIntervalMs: 1000, maxInFlightBatches: 1 });
    acc.add(1);
    acc.add(2);
    source.size = 3; // read on every item: the next batch fills at 3
    acc.add(3);
    acc.add(4);
    expect(acc.flushSize).toBe(3);
    acc.add(5);
    expect(batches).toEqual([[1, 2]]); // [3, 4, 5] waits for the one flush slot
    vi.advanceTimersByTime(0);
    acc.add(6);
    vi.advanceTimersByTime(1000);
    expect(seals).toEqual([
      { reason: 'size', items: 2, pressured: false },
      { reason: 'size', items: 3, pressured: true },
      { reason: 'timer', items: 1, pressured: true },
    ]);
    releases[0]?.();
  });
});
