import { Queue, type Telemetry } from 'bullmq';
import type { RedisClient } from './connection.js';
import { queueKeyPrefix } from './queue-names.js';

/**
 * Events kept in each queue's BullMQ events stream. BullMQ's default (10,000) leaves about half a
 * megabyte per queue in Redis after a drain; live `QueueEvents` listeners need far fewer.
 * Every Queue object of a queue must agree: BullMQ stores the value in the queue's meta key.
 */
export const EVENTS_STREAM_MAX_LEN = 1000;

/**
 * Opens a BullMQ Queue the way every BatchFlow component does: shared connection, the queue's
 * hash-tagged key prefix ({@link queueKeyPrefix}), bounded events stream, and a quiet `error`
 * listener (failures surface through the rejected call instead); `telemetry` is BullMQ's (`bullmq-otel`).
 */
export function openQueue<T = unknown>(name: string, connection: RedisClient, prefix: string, telemetry?: Telemetry): Queue<T> {
  const queue = new Queue<T>(name, { connection, prefix: queueKeyPrefix(prefix, name), streams: { events: { maxLen: EVENTS_STREAM_MAX_LEN } }, ...(telemetry && { telemetry }) });
  queue.on('error', () => {});
  return queue;
}
