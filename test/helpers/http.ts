import { Queue } from 'bullmq';
import { BatchConsumer, type BatchConsumerOptions } from '../../src/index.js';
import { REDIS_URL } from './redis.js';
import { DEFAULT_PREFIX, queueKeyPrefix } from '../../src/queue/queue-names.js';

/** `Authorization` header value for HTTP Basic auth. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * A consumer plus the two BullMQ queues Bull Board shows for its schema (the schema queue and
 * the DLQ), as the worker service hands them to `createHttpServer`.
 */
export function consumerWithBoardQueues(options: Omit<BatchConsumerOptions, 'connection'>): { consumer: BatchConsumer; queues: Queue[]; close(): Promise<void> } {
  const consumer = new BatchConsumer({ connection: REDIS_URL, flushSize: 50, flushIntervalMs: 100, queueDepthIntervalMs: 0, ...options });
  const schemaQueue = new Queue(options.schema.name, { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(options.prefix ?? DEFAULT_PREFIX, options.schema.name) });
  return {
    consumer,
    queues: [schemaQueue, consumer.dlq.queue],
    close: async () => {
      await schemaQueue.close();
      await consumer.close();
    },
  };
}
