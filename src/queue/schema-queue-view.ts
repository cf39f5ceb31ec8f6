import type { Queue } from 'bullmq';
import type { RedisClient } from './connection.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { DEFAULT_PREFIX, schemaQueueNames } from './queue-names.js';
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

/** One queue of a schema (the schema's own, or one partition's) and its counts. */
export interface PartitionQueueCounts extends SchemaQueueCounts {
  /** The queue's name: the schema's, or `<schema>#<partition>`. */
  readonly queue: string;
}

/**
 * A read-mostly handle on one schema's queue and DLQ (every partition's, for a partitioned schema), for tools outside a consumer: the CLI's
 * `stats`, and Bull Board (which takes the BullMQ queues in {@link SchemaQueueView.queues}).
 * It never processes jobs.
 *
 * @example
 * ```ts
 * const view = new SchemaQueueView('events', redis, 'batchflow');
 * console.log(await view.counts()); // { waiting: 12, active: 500, delayed: 0, failed: 0, dlq: 3 }
 * const orders = new SchemaQueueView('orders', redis, 'batchflow', 4); // partitions orders#0 … orders#3, summed
 * await view.close();
 * ```
 */
export class SchemaQueueView {
  /** The schema's queue (partition 0's, for a partitioned schema). */
  readonly queue: Queue;
  /** The schema's DLQ (partition 0's, for a partitioned schema). */
  readonly dlq: DeadLetterQueue;
  /** Every queue of the schema, partition order. */
  readonly partitionQueues: readonly Queue[];
  /** Their DLQs, in the same order. */
  readonly partitionDlqs: readonly DeadLetterQueue[];

  /** `partitions`: the schema's (`schema.partitions`); 1 for an unpartitioned schema. */
  constructor(readonly schema: string, connection: RedisClient, prefix: string = DEFAULT_PREFIX, readonly partitions = 1) {
    const names = schemaQueueNames({ name: schema, partitions });
    this.partitionQueues = names.map((name) => openQueue(name, connection, prefix));
    this.partitionDlqs = names.map((queue) => new DeadLetterQueue(schema, connection, prefix, { queue }));
    this.queue = this.partitionQueues[0] as Queue;
    this.dlq = this.partitionDlqs[0] as DeadLetterQueue;
  }

  /** Each queue followed by its DLQ (`orders`, `orders.dlq`, or `orders#0`, `orders#0.dlq`, `orders#1` …), in the order Bull Board should list them. */
  get queues(): Queue[] {
    return this.partitionQueues.flatMap((queue, i) => [queue, (this.partitionDlqs[i] as DeadLetterQueue).queue]);
  }

  /** Current depths, summed over the partitions; `waiting` includes prioritized jobs. */
  async counts(): Promise<SchemaQueueCounts> {
    const parts = await this.partitionCounts();
    const sum = (field: keyof SchemaQueueCounts) => parts.reduce((total, part) => total + part[field], 0);
    return { waiting: sum('waiting'), active: sum('active'), delayed: sum('delayed'), failed: sum('failed'), dlq: sum('dlq') };
  }

  /** Current depths of each queue (one, or one per partition). */
  partitionCounts(): Promise<PartitionQueueCounts[]> {
    return Promise.all(
      this.partitionQueues.map(async (queue, i) => {
        const [counts, dlq] = await Promise.all([queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'), (this.partitionDlqs[i] as DeadLetterQueue).count()]);
        return {
          queue: queue.name,
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
          dlq,
        };
      }),
    );
  }

  /** Closes the queue objects; the Redis connection stays the caller's. */
  async close(): Promise<void> {
    await Promise.all([...this.partitionQueues.map((queue) => queue.close()), ...this.partitionDlqs.map((dlq) => dlq.close())]);
  }
}
