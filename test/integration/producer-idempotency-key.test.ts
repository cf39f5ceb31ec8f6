// Found by the chaos fuzz suite: an empty idempotencyKey was treated as "no key" (a truthiness
// check), so the request was enqueued without deduplication instead of being refused.
// Runs on both queue backends (Redis, and PostgreSQL through BullMQ's PostgreSQL backend).
import { describe, expect, it } from 'vitest';
import { Producer, SQLSchema, ValidationError } from '../../src/index.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { useCleanups } from '../helpers/cleanups.js';
import { QUEUE_BACKENDS } from '../helpers/queue-backends.js';

const users = SQLSchema('users', 'update', { id: 'int64', name: 'string' });
const defer = useCleanups();

describe.each(QUEUE_BACKENDS)('Producer idempotencyKey (queues on $name)', (backend) => {
  it.each([false, { maxRequestsPerJob: 10, lingerMs: 5 }] as const)('refuses an empty key before enqueueing anything (packing %o)', async (packing) => {
    const at = await backend.open('idem');
    defer(() => at.drop());
    const producer = new Producer({ connection: at.connection, schemas: [users], prefix: at.prefix, packing });
    const queue = openQueue('users', at.client(), at.prefix);
    defer(async () => {
      await producer.close();
      await queue.close();
    });
    const row = { id: 1n, name: 'Ada' };
    await expect(producer.submit(users, row, { idempotencyKey: '' })).rejects.toBeInstanceOf(ValidationError);
    await expect(producer.submitMany(users, [row], { idempotencyKey: '' })).rejects.toBeInstanceOf(ValidationError);
    expect(Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
