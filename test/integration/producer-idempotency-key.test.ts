// Found by the chaos fuzz suite: an empty idempotencyKey was treated as "no key" (a truthiness
// check), so the request was enqueued without deduplication instead of being refused.
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { Producer, SQLSchema, ValidationError } from '../../src/index.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/redis.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';

const users = SQLSchema('users', 'update', { id: 'int64', name: 'string' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('Producer idempotencyKey', () => {
  it.each([false, { maxRequestsPerJob: 10, lingerMs: 5 }] as const)('refuses an empty key before enqueueing anything (packing %o)', async (packing) => {
    const prefix = uniquePrefix('idem');
    const producer = new Producer({ connection: REDIS_URL, schemas: [users], prefix, packing });
    const queue = new Queue('users', { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(prefix, 'users') });
    cleanups.push(async () => {
      await producer.close();
      await queue.close();
      await deletePrefix(prefix);
    });
    const row = { id: 1n, name: 'Ada' };
    await expect(producer.submit(users, row, { idempotencyKey: '' })).rejects.toBeInstanceOf(ValidationError);
    await expect(producer.submitMany(users, [row], { idempotencyKey: '' })).rejects.toBeInstanceOf(ValidationError);
    expect(Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
