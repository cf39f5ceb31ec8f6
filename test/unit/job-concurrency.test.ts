import { describe, expect, it } from 'vitest';
import { JobConcurrency, estimateRowsBytes } from '../../src/queue/consumer/job-concurrency.js';

const MiB = 1024 * 1024;
const job = (requests: number, valueChars = 10) => ({ rows: Array.from({ length: requests }, () => ({ v: 'x'.repeat(valueChars) })) });

/** A consumer that processes (holds) each job it is given until the test releases it. */
function sizing(requests: number, bytes = 32 * MiB) {
  const applied: number[] = [];
  const concurrency = new JobConcurrency({ requests, bytes }, (n) => applied.push(n));
  return { concurrency, applied, last: () => applied[applied.length - 1] };
}

describe('JobConcurrency (default Worker concurrency, by what jobs carry)', () => {
  it('starts at one job, so the first job is seen before more are fetched', () => {
    expect(sizing(3000).concurrency.initial).toBe(1);
  });

  it('holds the request budget in jobs of one request each', () => {
    const { concurrency, last } = sizing(3000);
    for (let i = 0; i < 10; i++) concurrency.hold(job(1));
    expect(last()).toBe(3000);
  });

  it('holds proportionally fewer jobs when the producer packs requests', () => {
    const { concurrency, last } = sizing(3000);
    const releases = Array.from({ length: 30 }, () => concurrency.hold(job(100)));
    expect(last()).toBe(30);
    releases[0]?.();
    expect(last()).toBe(30); // 29 held, room for one more
  });

  it('counts what is held exactly: a burst of large jobs stops further fetches at once', () => {
    const { concurrency, last } = sizing(3000);
    for (let i = 0; i < 200; i++) concurrency.hold(job(1))(); // small jobs seen and released
    const releases = Array.from({ length: 30 }, () => concurrency.hold(job(100)));
    // 3,000 requests held by 30 jobs: the average still says "small", but nothing more fits
    expect(concurrency.held.requests).toBe(3000);
    expect(last()).toBeLessThanOrEqual(30);
    for (const release of releases) release();
    expect(concurrency.held).toEqual({ jobs: 0, requests: 0, bytes: 0 });
  });

  it('holds jobs near the byte cap by their bytes, not their count', () => {
    const { concurrency, last } = sizing(1500, 32 * MiB);
    const big = job(1, MiB - 100); // one request of ~1 MiB per job
    for (let i = 0; i < 31; i++) concurrency.hold(big);
    expect(last()).toBeLessThanOrEqual(32); // not 1,500 jobs: 32 MiB / 1 MiB
    expect(concurrency.held.bytes).toBeLessThanOrEqual(32 * MiB);
  });

  it('never goes below one job, even for a job larger than the budget', () => {
    const { concurrency, last } = sizing(10, 100);
    concurrency.hold(job(5000));
    expect(last()).toBe(1);
  });

  it('release is idempotent', () => {
    const { concurrency } = sizing(100);
    const release = concurrency.hold(job(10));
    release();
    release();
    expect(concurrency.held.jobs).toBe(0);
  });

  it('estimates bytes from string lengths without serialising', () => {
    const rows = [{ id: { $int64: '12345' }, name: 'Ada', n: 7, ok: null }];
    const estimate = estimateRowsBytes(rows);
    const exact = JSON.stringify(rows).length;
    expect(estimate).toBeGreaterThanOrEqual(exact * 0.8);
    expect(estimate).toBeLessThanOrEqual(exact * 1.6);
  });

  it('is saturated once the held jobs use three quarters of the budget, and follows a budget that changes (flushSize: auto)', () => {
    let requests = 400;
    const concurrency = new JobConcurrency({ get requests() { return requests; }, bytes: 32 * MiB });
    const releases = Array.from({ length: 2 }, () => concurrency.hold(job(100)));
    expect(concurrency.saturated).toBe(false);
    releases.push(concurrency.hold(job(100)));
    expect(concurrency.saturated).toBe(true);
    requests = 800; // the size grew
    expect(concurrency.saturated).toBe(false);
    expect(concurrency.concurrency).toBe(8);
    for (const release of releases) release();
  });
});
