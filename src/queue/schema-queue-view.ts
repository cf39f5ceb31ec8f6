import type { Queue } from 'bullmq';
import type { RedisClient } from './connection.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { DEFAULT_PREFIX, queueName } from './queue-names.js';
import { openQueue } from './open-queue.js';

/** Depth of a schema's queue by job state, and the size of its DLQ. */
export interface SchemaQueueCounts {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  /** Jobs BullMQ gave up on (a non-sink failure outlasted the producer's `jobAttempts`). */
  readonly failed: number;
  /** Entries in the schema's dead-letter queue. */
  readonly dlq: number;
}

/**
 * A read-mostly handle on one schema's queue and DLQ, for tools outside a consumer: the CLI's
 * `stats`, and Bull Board (which takes the BullMQ queues in {@link SchemaQueueView.queues}).
 * It never processes jobs.
 *
 * @example
 * ```ts
 * const view = new SchemaQueueView('events', redis, 'batchflow');
 * console.log(await view.counts()); // { waiting: 12, active: 500, delayed: 0, failed: 0, dlq: 3 }
 * await view.close();
 * ```
 */
export class SchemaQueueView {
  readonly queue: Queue;
  readonly dlq: DeadLetterQueue;

  constructor(readonly schema: string, connection: RedisClient, prefix: string = DEFAULT_PREFIX) {
    this.queue = openQueue(queueName(schema), connection, prefix);
    this.dlq = new DeadLetterQueue(schema, connection, prefix);
  }

  /** The schema queue and its DLQ queue, in the order Bull Board should list them. */
  get queues(): [Queue, Queue] {
    return [this.queue, this.dlq.queue];
  }

  /** Current depths; `waiting` includes prioritized jobs. */
  async counts(): Promise<SchemaQueueCounts> {
    const [counts, dlq] = await Promise.all([this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'), this.dlq.count()]);
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      dlq,
    };
  }

  /** Closes the queue objects; the Redis connection stays the caller's. */
  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.dlq.close()]);
  }
}
