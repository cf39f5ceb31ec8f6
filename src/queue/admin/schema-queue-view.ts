import type { Queue } from 'bullmq';
import type { QueueClient } from '../connection.js';
import { DeadLetterQueue } from '../dead-letter/index.js';
import { DEFAULT_PREFIX, schemaQueueNames } from '../queue-names.js';
import { openQueue } from '../open-queue.js';
import { otherLayoutQueues } from '../schema-layouts.js';
import { stateOf } from '../state/state-of.js';

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
  /** False for a queue of another `partitions` layout that still holds work or dead letters (docs/guides/partitions-and-cluster.md). */
  readonly current: boolean;
}

/**
 * A read-mostly handle on one schema's queue and DLQ (every partition's, for a partitioned schema, and
 * those another `partitions` left holding anything, once found by {@link SchemaQueueView.refresh}), for tools outside a consumer: the CLI's
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
  /** Every queue of the schema's layout, partition order. */
  readonly partitionQueues: readonly Queue[];
  /** Their DLQs, in the same order. */
  readonly partitionDlqs: readonly DeadLetterQueue[];
  /** Queues of other `partitions` layouts that held work or dead letters at the last {@link refresh}, with their DLQs. */
  #others = new Map<string, { queue: Queue; dlq: DeadLetterQueue }>();
  readonly #connection: QueueClient;
  readonly #prefix: string;

  /**
   * `partitions`: the schema's (`schema.partitions`); 1 for an unpartitioned schema. The view
   * covers that layout only until {@link refresh} (or {@link SchemaQueueView.open}) finds the
   * queues other layouts left behind.
   */
  constructor(readonly schema: string, connection: QueueClient, prefix: string = DEFAULT_PREFIX, readonly partitions = 1) {
    this.#connection = connection;
    this.#prefix = prefix;
    const names = schemaQueueNames({ name: schema, partitions });
    this.partitionQueues = names.map((name) => openQueue(name, connection, prefix));
    this.partitionDlqs = names.map((queue) => new DeadLetterQueue(schema, connection, prefix, { queue }));
    this.queue = this.partitionQueues[0] as Queue;
    this.dlq = this.partitionDlqs[0] as DeadLetterQueue;
  }

  /** A view over the schema's layout and every queue another layout left holding work or dead letters (probed once). */
  static async open(schema: string, connection: QueueClient, prefix: string = DEFAULT_PREFIX, partitions = 1): Promise<SchemaQueueView> {
    const view = new SchemaQueueView(schema, connection, prefix, partitions);
    try {
      await view.refresh(true);
    } catch (err) {
      await view.close();
      throw err;
    }
    return view;
  }

  /**
   * Looks again for queues of other layouts that hold anything: those in the schema's layout
   * registry, and with `probeAll` every possible queue name (257 `EXISTS`). Opens the new ones and
   * closes those that are empty now.
   */
  async refresh(probeAll = false): Promise<void> {
    const own = this.partitionQueues.map((queue) => queue.name);
    const found = await otherLayoutQueues(stateOf(this.#connection), this.#prefix, this.schema, own, probeAll);
    const next = new Map<string, { queue: Queue; dlq: DeadLetterQueue }>();
    for (const name of found) next.set(name, this.#others.get(name) ?? { queue: openQueue(name, this.#connection, this.#prefix), dlq: new DeadLetterQueue(this.schema, this.#connection, this.#prefix, { queue: name }) });
    const gone = [...this.#others].filter(([name]) => !next.has(name));
    this.#others = next;
    await Promise.all(gone.flatMap(([, { queue, dlq }]) => [queue.close(), dlq.close()]));
  }

  /** Names of the queues of other layouts found at the last {@link refresh}. */
  get otherQueues(): readonly string[] {
    return [...this.#others.keys()];
  }

  /**
   * Each queue followed by its DLQ (`orders`, `orders.dlq`, or `orders#0`, `orders#0.dlq`, `orders#1` …), in the order Bull Board should list them;
   * then those of other layouts found by the last {@link refresh}.
   */
  get queues(): Queue[] {
    return [
      ...this.partitionQueues.flatMap((queue, i) => [queue, (this.partitionDlqs[i] as DeadLetterQueue).queue]),
      ...[...this.#others.values()].flatMap(({ queue, dlq }) => [queue, dlq.queue]),
    ];
  }

  /** Current depths, summed over the partitions; `waiting` includes prioritized jobs. */
  async counts(): Promise<SchemaQueueCounts> {
    const parts = await this.partitionCounts();
    const sum = (field: keyof SchemaQueueCounts) => parts.reduce((total, part) => total + part[field], 0);
    return { waiting: sum('waiting'), active: sum('active'), delayed: sum('delayed'), failed: sum('failed'), dlq: sum('dlq') };
  }

  /** Current depths of each queue (one, or one per partition; then other layouts' found by the last {@link refresh}). */
  partitionCounts(): Promise<PartitionQueueCounts[]> {
    const queues = [
      ...this.partitionQueues.map((queue, i) => ({ queue, dlq: this.partitionDlqs[i] as DeadLetterQueue, current: true })),
      ...[...this.#others.values()].map((other) => ({ ...other, current: false })),
    ];
    return Promise.all(
      queues.map(async ({ queue, dlq: dlqOf, current }) => {
        const [counts, dlq] = await Promise.all([queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'), dlqOf.count()]);
        return {
          queue: queue.name,
          current,
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
    const others = [...this.#others.values()].flatMap(({ queue, dlq }) => [queue.close(), dlq.close()]);
    await Promise.all([...this.partitionQueues.map((queue) => queue.close()), ...this.partitionDlqs.map((dlq) => dlq.close()), ...others]);
  }
}
