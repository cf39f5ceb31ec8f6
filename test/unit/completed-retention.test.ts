import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { CompletedRetention } from '../../src/queue/consumer/completed-retention.js';

/** Just what `adopt` reads and writes of a BullMQ Job. */
const jobWith = (removeOnComplete: unknown, queueName = 'orders') => ({ queueName, opts: { removeOnComplete } }) as unknown as Job;

describe('CompletedRetention (the PostgreSQL queue backend: the kept count applied by the upkeep)', () => {
  it('takes the count off a job before BullMQ completes it, keeps the age, and remembers the count per queue', () => {
    const retention = new CompletedRetention();
    const job = jobWith({ count: 1000, age: 3600 });
    retention.adopt(job);
    expect(job.opts.removeOnComplete).toEqual({ age: 3600 });
    expect(retention.countOf('orders')).toBe(1000);
  });

  it('a count alone (object or number) leaves BullMQ keeping every completed job until the trim', () => {
    const retention = new CompletedRetention();
    const object = jobWith({ count: 5 }, 'a');
    const number = jobWith(7, 'b');
    retention.adopt(object);
    retention.adopt(number);
    expect(object.opts.removeOnComplete).toBe(false);
    expect(number.opts.removeOnComplete).toBe(false);
    expect([retention.countOf('a'), retention.countOf('b')]).toEqual([5, 7]);
  });

  it('leaves remove-at-once, an age alone, keep-all and a count of zero to BullMQ', () => {
    const retention = new CompletedRetention();
    for (const keep of [true, false, undefined, { age: 60 }, 0, { count: 0 }]) {
      const job = jobWith(keep);
      retention.adopt(job);
      expect(job.opts.removeOnComplete).toEqual(keep);
    }
    expect(retention.countOf('orders')).toBeUndefined();
  });

  it('follows the latest count seen on a queue (a producer whose keepCompletedJobs changed)', () => {
    const retention = new CompletedRetention();
    retention.adopt(jobWith({ count: 1000, age: 3600 }));
    retention.adopt(jobWith({ count: 50, age: 3600 }));
    expect(retention.countOf('orders')).toBe(50);
  });
});
