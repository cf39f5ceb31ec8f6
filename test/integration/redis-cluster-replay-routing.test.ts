// Issue 19, class 4 on Redis Cluster: a replay whose edit moves a row's key to another partition
// enqueues it there although that partition's queue hashes to another slot (no MULTI spans two
// slots), then marks and removes the entry; a second replay enqueues nothing more.
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../src/core/partition-of.js';
import { SQLSchema } from '../../src/core/schema.js';
import { createRedis, type RedisClient } from '../../src/queue/connection.js';
import type { DeadLetterEntry } from '../../src/queue/dead-letter-entry.js';
import { DeadLetterQueue } from '../../src/queue/dead-letter/dead-letter-queue.js';
import { keySlot } from '../../src/queue/key-slot.js';
import { partitionQueueName, queueKeyPrefix } from '../../src/queue/queue-names.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { uniquePrefix, waitFor } from '../helpers/redis.js';

const N = 4;
const schema = SQLSchema('orders', 'update', { id: 'int64', name: 'string' }, { partitions: N });
const partition = (id: number) => partitionOf(['id'], { id: { $int64: String(id) } }, N);
let cluster: RedisCluster;
let redis: RedisClient;

beforeAll(async () => {
  cluster = await RedisCluster.start();
  redis = createRedis({ cluster: { nodes: cluster.seeds } }, 'worker');
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

describe('replay routing on Redis Cluster', () => {
  it('an edit that moves the key to a partition in another slot is enqueued there, once', async () => {
    const prefix = uniquePrefix('clroute');
    const from = 1;
    const to = [2, 3, 4, 5, 6, 7, 8, 9].find((id) => partition(id) !== partition(from)) as number;
    const source = partitionQueueName('orders', partition(from), N);
    const dest = partitionQueueName('orders', partition(to), N);
    expect(keySlot(queueKeyPrefix(prefix, source))).not.toBe(keySlot(queueKeyPrefix(prefix, dest)));
    const dlq = new DeadLetterQueue('orders', redis, prefix, { schema, queue: source });
    const queue = new Queue(dest, { connection: redis, prefix: queueKeyPrefix(prefix, dest) });
    try {
      const at = new Date().toISOString();
      const entry: DeadLetterEntry = { schema: 'orders', request: { id: { $int64: String(from) }, name: 'bad' }, class: 'non_retryable', reason: 'non_retryable', errorCode: '23514', message: 'check', attempts: 1, firstFailedAt: at, lastFailedAt: at, sourceJobId: 'a', replays: 0 };
      await dlq.add([{ key: 'a_0', entry }]);
      expect(await dlq.replay({ transform: (row) => ({ ...row, id: BigInt(to), name: 'fixed' }) })).toMatchObject({ selected: 1, done: 1 });
      expect(await waitFor(async () => (await queue.getJob('r_d_a_0')) !== undefined, 10_000, 50)).toBe(true);
      expect(await dlq.count()).toBe(0);
      expect(await dlq.replay()).toMatchObject({ selected: 0, done: 0 });
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    } finally {
      await dlq.close();
      await queue.close();
    }
  }, 60_000);
});
