import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Schema, SQLSchema } from '../../src/core/schema.js';
import { discoverSchemas } from '../../src/queue/state/discover-schemas.js';
import { Producer } from '../../src/queue/producer/producer.js';
import { useCleanups } from '../helpers/cleanups.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/redis.js';

const defer = useCleanups();

describe('discoverSchemas(): the schemas an app made, found in Redis', () => {
  it('finds plain and partitioned schemas by their queues, ignores other prefixes and foreign queues', async () => {
    const prefix = uniquePrefix('disc');
    const other = uniquePrefix('disc_other');
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const orders = SQLSchema('orders', 'ignore', { id: 'int64', body: 'string' }, { partitions: 3 });
    const events = Schema('events', { id: 'int64' });
    const producer = new Producer({ connection: REDIS_URL, schemas: [orders, events], prefix });
    const elsewhere = new Producer({ connection: REDIS_URL, schemas: [events], prefix: other });
    // A BullMQ queue of the same prefix without BatchFlow's hash-tag layout is not a schema.
    const foreign = new Queue('mail', { connection: redis, prefix });
    defer(async () => {
      await producer.close();
      await elsewhere.close();
      await foreign.close();
      redis.disconnect();
      await deletePrefix(prefix);
      await deletePrefix(other);
    });
    // Every partition gets a row (ids spread by key hash), and the foreign queue a job.
    await producer.submitMany(orders, Array.from({ length: 60 }, (_, i) => ({ id: BigInt(i), body: 'b' })));
    await producer.submit(events, { id: 1n });
    await elsewhere.submit(events, { id: 2n });
    await foreign.add('send', {});
    expect(await discoverSchemas(redis, prefix)).toEqual([
      { name: 'events', partitions: 1 },
      { name: 'orders', partitions: 3 },
    ]);
    expect(await discoverSchemas(redis, `${prefix}_none`)).toEqual([]);
  });
});
