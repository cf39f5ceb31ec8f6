import type { Processor, WorkerOptions } from 'bullmq';
import { TolerantWorker } from './tolerant-worker.js';

/**
 * The BullMQ Workers of one consumer: one per queue of its schema (one queue, or one per
 * partition), all feeding the same processor, so the consumer's one accumulator fills batches
 * from every partition it holds and its one breaker pauses them all. Any process may run them
 * for any partition: BullMQ hands each job to one worker, so N processes share N partitions.
 *
 * Concurrency is the consumer's total: it is split evenly across the partitions (at least one
 * job each), which keeps the held-job budget per process, not per partition. With keys hashed
 * evenly the partitions fill alike; a partition that gets most keys holds only its share.
 *
 * @example
 * ```ts
 * const workers = new PartitionWorkers(['orders#0', 'orders#1'], processor, { connection, prefix: 'batchflow', concurrency: 1000 });
 * workers.concurrency = 500; // 250 per partition
 * ```
 */
export class PartitionWorkers {
  readonly workers: readonly TolerantWorker[];

  constructor(queues: readonly string[], processor: Processor, options: WorkerOptions) {
    const split = { ...options, ...(options.concurrency !== undefined && { concurrency: this.#share(options.concurrency, queues.length) }) };
    this.workers = queues.map((queue) => new TolerantWorker(queue, processor, split));
  }

  /** The total concurrency: the workers' shares summed. */
  get concurrency(): number {
    return this.workers.reduce((sum, worker) => sum + worker.concurrency, 0);
  }

  /** Sets the total concurrency: each worker takes an even share (at least 1). */
  set concurrency(total: number) {
    const share = this.#share(total, this.workers.length);
    for (const worker of this.workers) worker.concurrency = share;
  }

  /** Listens on every worker. */
  on(event: 'error', listener: (err: Error) => void): this {
    for (const worker of this.workers) worker.on(event, listener);
    return this;
  }

  /** Resolves once every worker is connected. */
  async waitUntilReady(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
  }

  /** True when the workers are paused (they pause and resume together). */
  isPaused(): boolean {
    return this.workers.every((worker) => worker.isPaused());
  }

  /** Pauses every worker; `doNotWaitActive` as BullMQ's. */
  async pause(doNotWaitActive?: boolean): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.pause(doNotWaitActive)));
  }

  async resume(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.resume()));
  }

  /** Closes every worker (waiting for their active jobs unless `force`). */
  async close(force?: boolean): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close(force)));
  }

  /** Cuts every worker's connections (shutdown after the grace period). */
  async disconnect(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.disconnect()));
  }

  #share(total: number, parts: number): number {
    return Math.max(1, Math.ceil(total / Math.max(1, parts)));
  }
}
