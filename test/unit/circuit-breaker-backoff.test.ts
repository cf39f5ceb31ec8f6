import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fullJitterDelayMs } from '../../src/core/backoff.js';
import { CircuitBreaker } from '../../src/core/circuit-breaker.js';

describe('fullJitterDelayMs', () => {
  it('draws from [0, min(cap, base·2^attempt))', () => {
    expect(fullJitterDelayMs(0, 100, 5000, () => 0.999)).toBe(99);
    expect(fullJitterDelayMs(3, 100, 5000, () => 0.5)).toBe(400);
    expect(fullJitterDelayMs(20, 100, 5000, () => 0.999)).toBe(4995);
    expect(fullJitterDelayMs(5, 100, 5000, () => 0)).toBe(0);
  });
});

const cause = { reason: 'connection', code: 'ECONNREFUSED', message: 'refused' };

describe('CircuitBreaker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('opens on failure, lets exactly one probe through when half-open, closes on success', async () => {
    const states: string[] = [];
    const breaker = new CircuitBreaker({ threshold: 1, probeBaseMs: 100, probeMaxMs: 100, onStateChange: (s) => states.push(s) });
    breaker.failure(cause);
    expect(breaker.state).toBe('open');
    let a = false;
    let b = false;
    void breaker.acquire().then(() => (a = true));
    void breaker.acquire().then(() => (b = true));
    await vi.advanceTimersByTimeAsync(49);
    expect(a || b).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(breaker.state).toBe('half_open');
    expect([a, b].filter(Boolean)).toHaveLength(1); // one probe only
    breaker.success();
    await vi.advanceTimersByTimeAsync(0);
    expect(a && b).toBe(true);
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('re-opens when the probe fails and keeps probing however long the outage', async () => {
    const breaker = new CircuitBreaker({ threshold: 1, probeBaseMs: 10, probeMaxMs: 40 });
    breaker.failure(cause);
    for (let i = 0; i < 50; i++) {
      const probe = breaker.acquire();
      await vi.advanceTimersByTimeAsync(40);
      await probe;
      breaker.failure(cause);
      expect(breaker.state).toBe('open');
    }
    const probe = breaker.acquire();
    await vi.advanceTimersByTimeAsync(40);
    await probe;
    breaker.success();
    expect(breaker.state).toBe('closed');
  });

  it('rejects a waiting caller when its signal aborts', async () => {
    const breaker = new CircuitBreaker({ threshold: 1, probeBaseMs: 1000, probeMaxMs: 1000 });
    breaker.failure(cause);
    const controller = new AbortController();
    const waiting = breaker.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });

  it('opens only after `threshold` consecutive failures, keeps the cause until a success', () => {
    const states: string[] = [];
    const breaker = new CircuitBreaker({ threshold: 3, onStateChange: (s, c) => states.push(`${s}:${c?.code ?? '-'}`) });
    breaker.failure(cause);
    breaker.failure(cause);
    expect(breaker.state).toBe('closed');
    expect(breaker.streak).toBe(2);
    expect(breaker.cause).toEqual(cause);
    breaker.success();
    expect(breaker.streak).toBe(0);
    expect(breaker.cause).toBeUndefined();
    for (let i = 0; i < 3; i++) breaker.failure({ ...cause, code: '25006' });
    expect(breaker.state).toBe('open');
    expect(states).toEqual(['open:25006']);
  });

  it('re-opens when a half-open call that released the probe fails again (no busy loop)', async () => {
    const breaker = new CircuitBreaker({ threshold: 1, probeBaseMs: 10, probeMaxMs: 10 });
    breaker.failure(cause);
    const probe = breaker.acquire();
    await vi.advanceTimersByTimeAsync(20);
    await probe;
    breaker.release(); // the probe met a data error: it proved nothing
    expect(breaker.state).toBe('half_open');
    breaker.failure(cause);
    expect(breaker.state).toBe('open');
  });
});
