import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHORES_IN_FLIGHT, UpkeepClock } from '../../src/core/upkeep-clock.js';

describe('UpkeepClock', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('runs every chore of a period on one timer, and stops the timer with its last chore', async () => {
    const clock = new UpkeepClock();
    const runs = [0, 0, 0];
    const chores = runs.map((_, i) => clock.every(1000, () => void runs[i]!++, () => {}));
    const other = clock.every(250, () => {}, () => {});
    expect(clock.timers).toBe(2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(runs).toEqual([3, 3, 3]);
    chores[0]?.cancel();
    chores[0]?.cancel(); // idempotent
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toEqual([3, 4, 4]);
    for (const chore of chores) chore.cancel();
    expect(clock.timers).toBe(1);
    other.cancel();
    expect(clock.timers).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not start a chore again while it runs, and reports its errors without stopping the others', async () => {
    const clock = new UpkeepClock();
    let started = 0;
    let finish: () => void = () => {};
    const slow = clock.every(100, () => {
      started++;
      return new Promise<void>((resolve) => (finish = resolve));
    }, () => {});
    const errors: unknown[] = [];
    let after = 0;
    const failing = clock.every(100, () => {
      throw new Error('boom');
    }, (err) => errors.push(err));
    const next = clock.every(100, () => void after++, () => {});
    await vi.advanceTimersByTimeAsync(500);
    expect(started).toBe(1);
    // The hung chore holds the others of its tick back one period at most, then they keep their pace.
    expect(after).toBeGreaterThanOrEqual(3);
    expect(errors).toHaveLength(after);
    finish();
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toBe(2);
    for (const chore of [slow, failing, next]) chore.cancel();
  });

  it('runs the chores of a tick a few at a time (a burst of upkeep never piles up on a shared connection)', async () => {
    const clock = new UpkeepClock();
    let inFlight = 0;
    let most = 0;
    let runs = 0;
    const chores = Array.from({ length: 3 * CHORES_IN_FLIGHT }, () =>
      clock.every(1000, async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        runs++;
      }, () => {}),
    );
    await vi.advanceTimersByTimeAsync(1100);
    expect(runs).toBe(3 * CHORES_IN_FLIGHT);
    expect(most).toBe(CHORES_IN_FLIGHT);
    for (const chore of chores) chore.cancel();
  });

  it('schedules nothing for a period of 0 (the option that disables a chore)', () => {
    const clock = new UpkeepClock();
    clock.every(0, () => {}, () => {}).cancel();
    expect(clock.timers).toBe(0);
  });
});
