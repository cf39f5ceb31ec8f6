import { describe, expect, it } from 'vitest';
import { closeOnSignals } from '../../src/runtime/shutdown-signals.js';

describe('closeOnSignals', () => {
  it('closes gracefully on the first signal and exits 0', async () => {
    const exits: number[] = [];
    let closed = false;
    const remove = closeOnSignals(async () => void (closed = true), { exit: (code) => exits.push(code), signals: ['SIGUSR2'] });
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setImmediate(r));
    remove();
    expect(closed).toBe(true);
    expect(exits).toEqual([0]);
  });

  it('exits 1 at once on a second signal while close() is still running, and 1 if close() fails', async () => {
    const exits: number[] = [];
    const seen: boolean[] = [];
    const remove = closeOnSignals(() => new Promise<void>(() => {}), { exit: (code) => exits.push(code), signals: ['SIGUSR2'], onSignal: (_s, forced) => seen.push(forced) });
    process.emit('SIGUSR2', 'SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2');
    remove();
    expect(seen).toEqual([false, true]);
    expect(exits).toEqual([1]);

    const errors: unknown[] = [];
    const removeFailing = closeOnSignals(() => Promise.reject(new Error('sink would not close')), {
      exit: (code) => exits.push(code),
      signals: ['SIGUSR2'],
      onError: (err) => errors.push(err),
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setImmediate(r));
    removeFailing();
    expect(exits).toEqual([1, 1]);
    expect(errors).toHaveLength(1);
  });
});
