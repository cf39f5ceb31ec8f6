import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pump, PRODUCER_SHAPE } from '../pump.js';
import { makeRows } from '../rows.js';
import type { ScenarioProducer } from './queue-run.js';

/**
 * A hand-written BullMQ producer for the baselines: `Queue.addBulk` of one plain JSON row per
 * job, in the same chunks as BatchFlow's producer, removed on completion like BatchFlow's jobs.
 */
export function plainQueueProducer(redisUrl: string, queueName: string, prefix: string, rows: number): ScenarioProducer {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection: redis, prefix });
  const opts = { removeOnComplete: true, removeOnFail: false };
  return {
    run: () =>
      pump(rows, PRODUCER_SHAPE.chunkRows, PRODUCER_SHAPE.inFlight, async (first, count) => {
        await queue.addBulk(makeRows(first, count).map((data) => ({ name: queueName, data, opts })));
      }),
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}
