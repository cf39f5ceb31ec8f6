import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Events kept in each queue's BullMQ events stream. BullMQ's default (10,000) leaves about half a
 * megabyte per queue in Redis after a drain; live `QueueEvents` listeners need far fewer.
 * Every Queue object of a queue must agree: BullMQ stores the value in the queue's meta key.
 */
export const EVENTS_STREAM_MAX_LEN = 1000;

/**
 * Opens a BullMQ Queue the way every BatchFlow component does: shared connection, prefix, bounded
 * events stream, and a quiet `error` listener (failures surface through the rejected call instead).
 */
export function openQueue<T = unknown>(name: string, connection: Redis, prefix: string): Queue<T> {
  const queue = new Queue<T>(name, { connection, prefix, streams: { events: { maxLen: EVENTS_STREAM_MAX_LEN } } });
  queue.on('error', () => {});
  return queue;
}
