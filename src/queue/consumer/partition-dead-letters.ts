import type { Schema } from '../../core/schema.js';
import type { QueueClient } from '../connection.js';
import type { KeyedDeadLetter } from '../dead-letter/index.js';
import { DeadLetterQueue } from '../dead-letter/index.js';
import { DeadLetterWorker } from '../dead-letter/index.js';

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
  readonly #byQueue = new Map<string, { dlq: DeadLetterQueue; worker: DeadLetterWorker | undefined }>();
  readonly #schema: Schema;
  readonly #redis: QueueClient;
  readonly #prefix: string;
  readonly #withWorkers: boolean;

  constructor(schema: Schema, queues: readonly string[], redis: QueueClient, prefix: string, workers = false) {
    this.#schema = schema;
    this.#redis = redis;
    this.#prefix = prefix;
    this.#withWorkers = workers;
    for (const queue of queues) this.attach(queue);
  }

  /** The DLQs: the schema layout's in partition order, then those of other layouts attached. */
  get dlqs(): readonly DeadLetterQueue[] {
    return [...this.#byQueue.values()].map(({ dlq }) => dlq);
  }

  /** Their DLQ workers, when asked for. */
  get workers(): readonly DeadLetterWorker[] {
    return [...this.#byQueue.values()].flatMap(({ worker }) => (worker ? [worker] : []));
  }

  /** Opens the DLQ of one more queue (of another layout, while it is drained); returns it. */
  attach(queue: string): DeadLetterQueue {
    const held = this.#byQueue.get(queue);
    if (held) return held.dlq;
    const dlq = new DeadLetterQueue(this.#schema.name, this.#redis, this.#prefix, { schema: this.#schema, queue });
    this.#byQueue.set(queue, { dlq, worker: this.#withWorkers ? new DeadLetterWorker(dlq, this.#redis, this.#prefix) : undefined });
    return dlq;
  }

  /** Closes the DLQ of `queue` and its worker (their entries stay in Redis). */
  async detach(queue: string): Promise<void> {
    const held = this.#byQueue.get(queue);
    if (!held) return;
    this.#byQueue.delete(queue);
    await held.worker?.close();
    await held.dlq.close();
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
      const dlq = this.#byQueue.get(queueOf(i))?.dlq ?? (this.dlqs[0] as DeadLetterQueue);
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
