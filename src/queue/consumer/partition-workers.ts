import type { Processor, Worker } from 'bullmq';
import { TolerantWorker, type QueueWorkerOptions } from './tolerant-worker.js';

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
  readonly #byQueue = new Map<string, TolerantWorker>();
  readonly #processor: Processor;
  readonly #options: QueueWorkerOptions;
  readonly #listeners: Array<(err: Error) => void> = [];
  #total: number | undefined;
  #paused = false;

  constructor(queues: readonly string[], processor: Processor, options: QueueWorkerOptions) {
    this.#processor = processor;
    this.#options = options;
    this.#total = options.concurrency;
    const split = { ...options, ...(options.concurrency !== undefined && { concurrency: this.#share(options.concurrency, queues.length) }) };
    for (const queue of queues) this.#byQueue.set(queue, new TolerantWorker(queue, processor, split));
  }

  /** The workers, one per queue held (the schema's layout first, then queues of other layouts while they are drained). */
  get workers(): readonly TolerantWorker[] {
    return [...this.#byQueue.values()];
  }

  /** The queues held. */
  get queues(): readonly string[] {
    return [...this.#byQueue.keys()];
  }

  /**
   * Starts a worker on one more queue (a queue of another layout that holds work), feeding the
   * same processor; the total concurrency is split again over every queue. It starts paused
   * when the others are (a sick sink). Returns the new worker (undefined if the queue is already held).
   */
  add(queue: string): TolerantWorker | undefined {
    if (this.#byQueue.has(queue)) return undefined;
    const worker = new TolerantWorker(queue, this.#processor, { ...this.#options, concurrency: this.#share(this.#total ?? this.#options.concurrency ?? 1, this.#byQueue.size + 1) });
    for (const listener of this.#listeners) worker.on('error', listener);
    this.#byQueue.set(queue, worker);
    if (this.#paused) void worker.pause(true).catch((err: unknown) => this.#listeners.forEach((l) => l(err as Error)));
    if (this.#total !== undefined) this.concurrency = this.#total;
    return worker;
  }

  /** Closes the worker of `queue` (waiting for its active jobs) and stops holding it. */
  async remove(queue: string): Promise<void> {
    const worker = this.#byQueue.get(queue);
    if (!worker) return;
    this.#byQueue.delete(queue);
    if (this.#total !== undefined) this.concurrency = this.#total;
    await worker.close();
  }

  /** The total concurrency: the workers' shares summed. */
  get concurrency(): number {
    return this.workers.reduce((sum, worker) => sum + worker.concurrency, 0);
  }

  /** Sets the total concurrency: each worker takes an even share (at least 1). */
  set concurrency(total: number) {
    this.#total = total;
    const share = this.#share(total, this.workers.length);
    for (const worker of this.workers) worker.concurrency = share;
  }

  /** Listens on every worker. */
  on(event: 'error', listener: (err: Error) => void): this {
    this.#listeners.push(listener);
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
    this.#paused = true;
    await Promise.all(this.workers.map((worker) => worker.pause(doNotWaitActive)));
  }

  async resume(): Promise<void> {
    this.#paused = false;
    await Promise.all(this.workers.map((worker) => worker.resume()));
  }

  /** Closes every worker (waiting for their active jobs unless `force`). */
  async close(force?: boolean): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close(force)));
  }

  /** Cuts every worker's connections (shutdown after the grace period); see {@link cutWorkerConnections}. */
  async disconnect(sharesClient: boolean): Promise<void> {
    await Promise.all(this.workers.map((worker) => cutWorkerConnections(worker, sharesClient)));
  }

  #share(total: number, parts: number): number {
    return Math.max(1, Math.ceil(total / Math.max(1, parts)));
  }
}

/**
 * Cuts a Worker's connections at shutdown, once its grace period is over. A Worker on a client
 * the process shares (Redis: every consumer's Queues and Workers run on one client) loses only its
 * blocking connection, and the client goes when its last holder releases it; a Worker with
 * connections of its own (BullMQ's PostgreSQL backend builds a pool per Worker) loses them all.
 */
export async function cutWorkerConnections(worker: Pick<Worker, 'disconnect' | 'getBackend'>, sharesClient: boolean): Promise<void> {
  if (sharesClient) await worker.getBackend().disconnectBlocking(false);
  else await worker.disconnect();
}
