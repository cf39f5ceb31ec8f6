import { describe, expect, it } from 'vitest';
import { AUTO_FLUSH_START, FlushSizeController, FLUSH_SIZE_CONTROLLER_DEFAULTS } from '../../src/core/flush-size-controller.js';

/** A sink whose commit takes `fixedMs + perRowMs × rows`: per-row cost falls with size, towards `perRowMs`. */
function sink(fixedMs: number, perRowMs: number) {
  return (rows: number) => fixedMs + perRowMs * rows;
}

/**
 * Drives a controller like a drain: every batch is full at the current size and pressured
 * (work waits), and commits as `commitMs(size)` says. Returns the sizes after each commit.
 */
function drain(controller: FlushSizeController, commitMs: (rows: number) => number, batches: number, startMs = 0): number[] {
  const sizes: number[] = [];
  let now = startMs;
  for (let i = 0; i < batches; i++) {
    const size = controller.size;
    controller.sealed({ reason: 'size', items: size, pressured: true });
    now += commitMs(size);
    controller.committed({ size, commitMs: commitMs(size), atMs: now });
    sizes.push(controller.size);
  }
  return sizes;
}

describe('FlushSizeController (flushSize: auto)', () => {
  it('starts at the fixed default, within its bounds, with documented defaults', () => {
    expect(FLUSH_SIZE_CONTROLLER_DEFAULTS).toEqual({ minFlushSize: 100, maxFlushSize: 5000, targetCommitMs: 250 });
    expect(new FlushSizeController().size).toBe(AUTO_FLUSH_START);
    expect(new FlushSizeController({ maxFlushSize: 200 }).size).toBe(200);
    expect(new FlushSizeController({ minFlushSize: 800 }).size).toBe(800);
  });

  it('grows to maxFlushSize under pressure while a larger batch commits each row cheaper, within the target', () => {
    const changes: number[] = [];
    const controller = new FlushSizeController({}, (size) => changes.push(size));
    // 20 ms per statement + 0.005 ms per row: 5,000 rows commit in 45 ms, far under 250 ms.
    const sizes = drain(controller, sink(20, 0.005), 40);
    expect(sizes.at(-1)).toBe(5000);
    expect(changes).toEqual([1000, 2000, 4000, 5000]);
    // Three commits at each size decide each step.
    expect(sizes.indexOf(1000)).toBe(2);
  });

  it('stops growing where the next size would commit slower than targetCommitMs', () => {
    const controller = new FlushSizeController({ targetCommitMs: 120 });
    // 10 ms + 0.04 ms per row: 2,000 rows commit in 90 ms, 4,000 rows would take about 180 ms.
    drain(controller, sink(10, 0.04), 60);
    expect(controller.size).toBe(2000);
  });

  it('holds its size when growing no longer lowers the per-row cost, and steps back when it raises it', () => {
    // Per-row cost independent of size (no fixed cost): the first step is tried, then held.
    const flat = new FlushSizeController();
    drain(flat, sink(0, 0.01), 12);
    expect(flat.size).toBe(1000);
    // A sink that gets slower per row past 1,200 rows (say, a lock or a cache limit): back to 1,000.
    const knee = new FlushSizeController();
    drain(knee, (rows) => (rows <= 1200 ? 20 + 0.005 * rows : 0.1 * rows), 20);
    expect(knee.size).toBe(1000);
  });

  it('probes again after a plateau of 20 commits', () => {
    const controller = new FlushSizeController();
    // Three commits at 500, three at 1,000 that cost as much per row: the plateau starts.
    drain(controller, sink(0, 0.01), 6);
    expect(controller.size).toBe(1000);
    // The sink now pays a fixed cost per statement: once the plateau is over, larger batches pay again.
    const cost = sink(30, 0.002);
    drain(controller, cost, 20);
    expect(controller.size).toBe(1000);
    drain(controller, cost, 30);
    expect(controller.size).toBeGreaterThan(1000);
  });

  it('keeps its size without pressure: full batches with free flush slots and a worker below its budget', () => {
    const controller = new FlushSizeController();
    for (let i = 0; i < 100; i++) {
      controller.sealed({ reason: 'size', items: controller.size, pressured: false });
      controller.committed({ size: controller.size, commitMs: 5, atMs: i * 100 });
    }
    expect(controller.size).toBe(AUTO_FLUSH_START);
  });

  it('halves on two consecutive commits slower than targetCommitMs, once per commit time, down to minFlushSize', () => {
    const changes: number[] = [];
    const controller = new FlushSizeController({}, (size) => changes.push(size));
    drain(controller, sink(20, 0.005), 40);
    expect(controller.size).toBe(5000);
    // One slow commit among fast ones is a busy host's outlier: no shrink.
    controller.committed({ size: 5000, commitMs: 400, atMs: 9000 });
    controller.committed({ size: 5000, commitMs: 45, atMs: 9050 });
    controller.committed({ size: 5000, commitMs: 400, atMs: 9500 });
    expect(controller.size).toBe(5000);
    // Commits now take 600 ms whatever their size (a trigger that sleeps): the second slow one in a row halves.
    controller.committed({ size: 5000, commitMs: 600, atMs: 10_000 });
    expect(controller.size).toBe(2500);
    // A batch sized before the shrink reports within its commit time: no second halving for it.
    controller.committed({ size: 5000, commitMs: 600, atMs: 10_010 });
    controller.committed({ size: 5000, commitMs: 600, atMs: 10_020 });
    expect(controller.size).toBe(2500);
    let at = 10_600;
    for (let i = 0; i < 20; i++, at += 600) controller.committed({ size: controller.size, commitMs: 600, atMs: at });
    expect(controller.size).toBe(100);
    expect(changes.slice(-6)).toEqual([2500, 1250, 625, 313, 157, 100]);
  });

  it('halves on timeouts, retries and held failures (setback), rate-limited like slow commits', () => {
    const controller = new FlushSizeController();
    controller.setback(1000);
    expect(controller.size).toBe(250);
    controller.setback(1100); // within targetCommitMs of the last shrink
    expect(controller.size).toBe(250);
    controller.setback(1300);
    expect(controller.size).toBe(125);
  });

  it('grows again after a shrink once commits are fast again', () => {
    const controller = new FlushSizeController();
    controller.setback(0);
    expect(controller.size).toBe(250);
    // 250 → 500 → 1,000 → 2,000 → 4,000 → 5,000
    drain(controller, sink(20, 0.005), 40, 1000);
    expect(controller.size).toBe(5000);
  });

  it('ignores commits of bisection halves and of batches sized before a growth step', () => {
    const controller = new FlushSizeController();
    for (let i = 0; i < 10; i++) {
      controller.sealed({ reason: 'size', items: 500, pressured: true });
      controller.committed({ size: 250, commitMs: 2, atMs: i });
    }
    expect(controller.size).toBe(AUTO_FLUSH_START);
  });

  it('keeps its size when batches are sealed by their timer or by flushNow()', () => {
    const controller = new FlushSizeController();
    drain(controller, sink(20, 0.005), 40);
    for (let i = 0; i < 20; i++) controller.sealed({ reason: 'timer', items: 10, pressured: false });
    controller.sealed({ reason: 'now', items: 1, pressured: false });
    expect(controller.size).toBe(5000);
    // Nor does a timer-sealed batch count as pressure for growth.
    const small = new FlushSizeController();
    for (let i = 0; i < 10; i++) {
      small.sealed({ reason: 'timer', items: 500, pressured: true });
      small.committed({ size: 500, commitMs: 5, atMs: i });
    }
    expect(small.size).toBe(AUTO_FLUSH_START);
  });
});
