import { describe, expect, it } from 'vitest';
import { JobConcurrency } from '../../src/queue/job-concurrency.js';

describe('JobConcurrency (default Worker concurrency)', () => {
  it('starts at one job, so the first job is seen before more are fetched', () => {
    expect(new JobConcurrency(3000).initial).toBe(1);
  });

  it('holds targetRequests jobs of one request each', () => {
    const sizing = new JobConcurrency(3000);
    for (let i = 0; i < 10; i++) expect(sizing.observe(1)).toBe(3000);
  });

  it('holds proportionally fewer jobs when the producer packs requests', () => {
    const sizing = new JobConcurrency(3000);
    expect(sizing.observe(100)).toBe(30);
    for (let i = 0; i < 50; i++) sizing.observe(100);
    expect(sizing.observe(100)).toBe(30);
  });

  it('follows a change of packing without jumping on one odd job', () => {
    const sizing = new JobConcurrency(3000);
    for (let i = 0; i < 200; i++) sizing.observe(100);
    expect(sizing.observe(1)).toBeLessThan(40); // one small job barely moves it
    let concurrency = 0;
    for (let i = 0; i < 1000; i++) concurrency = sizing.observe(1);
    expect(concurrency).toBeGreaterThanOrEqual(2970); // a moving average approaches 1 request per job, within 1%
  });

  it('never goes below one job, even for jobs larger than the target', () => {
    expect(new JobConcurrency(10).observe(5000)).toBe(1);
  });
});
