import type { Schema } from '../core/schema.js';
import type { RedisClient } from './connection.js';
import type { KeyedDeadLetter } from './dead-letter-factory.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { DeadLetterWorker } from './dead-letter-worker.js';

/**
 * The DLQs of one consumer's schema: one per queue (one, or one per partition), each beside its
 * queue in the same hash slot, so a replay is one MULTI and returns an entry to the partition it
 * came from. An entry goes to the DLQ of the queue its job was read from. With `workers`, each
 * DLQ gets its {@link DeadLetterWorker} (parking entries, replaying Bull Board's Retry).
 *
 * @example
 * ```ts
 * const dlqs = new PartitionDeadLetters(orders, ['orders#0', 'orders#1'], redis, 'batchflow');
 * await dlqs.add(entries, () => job.queueName);
 * ```
 */
export class PartitionDeadLetters {
  /** The DLQs, in the order of the queues given. */
  readonly dlqs: readonly DeadLetterQueue[];
  /** Their DLQ workers, when asked for. */
  readonly workers: readonly DeadLetterWorker[];
  readonly #byQueue = new Map<string, DeadLetterQueue>();

  constructor(schema: Schema, queues: readonly string[], redis: RedisClient, prefix: string, workers = false) {
    this.dlqs = queues.map((queue) => {
      const dlq = new DeadLetterQueue(schema.name, redis, prefix, { schema, queue });
      this.#byQueue.set(queue, dlq);
      return dlq;
    });
    this.workers = workers ? this.dlqs.map((dlq) => new DeadLetterWorker(dlq, redis, prefix)) : [];
  }

  /**
   * Stores each entry in the DLQ of `queueOf(index)`, the queue its job came from. A queue this
   * consumer does not hold (not expected) falls back to the first DLQ rather than losing the entry.
   */
  async add(entries: readonly KeyedDeadLetter[], queueOf: (index: number) => string): Promise<void> {
    if (this.dlqs.length === 1) {
      await this.dlqs[0]?.add(entries);
      return;
    }
    const groups = new Map<DeadLetterQueue, KeyedDeadLetter[]>();
    entries.forEach((entry, i) => {
      const dlq = this.#byQueue.get(queueOf(i)) ?? (this.dlqs[0] as DeadLetterQueue);
      let group = groups.get(dlq);
      if (!group) groups.set(dlq, (group = []));
      group.push(entry);
    });
    await Promise.all([...groups].map(([dlq, group]) => dlq.add(group)));
  }

  /** Closes the DLQ workers (waiting for their jobs unless `force`); first, before {@link close}. */
  async closeWorkers(force = false): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close(force)));
  }

  /** Closes the DLQ queue objects; the connection stays the caller's. */
  async close(): Promise<void> {
    await Promise.all(this.dlqs.map((dlq) => dlq.close()));
  }
}
