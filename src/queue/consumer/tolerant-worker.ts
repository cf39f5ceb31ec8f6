import { Worker, type Job, type JobJson, type Processor, type WorkerOptions } from 'bullmq';
import { DEFAULT_PREFIX } from '../queue-names.js';
import type { QueueClient } from '../connection.js';
import { disableBlockingClusterRecovery, queueBackend } from '../open-queue.js';

/** BullMQ's Worker options with BatchFlow's connection: a Redis client or a PostgreSQL queue database, and the BatchFlow prefix. */
export type QueueWorkerOptions = Omit<WorkerOptions, 'connection' | 'prefix'> & { connection: QueueClient; prefix?: string };

/** Job data standing in for stored data that is not JSON: the raw text, for the DLQ entry. */
export interface UnreadableJobData {
  readonly $unreadable: string;
}

/** True when a job's data is the stand-in for stored data that could not be parsed. */
export function isUnreadableJobData(data: unknown): data is UnreadableJobData {
  return typeof (data as Partial<UnreadableJobData> | null)?.$unreadable === 'string';
}

/**
 * A BullMQ Worker that survives job data which is not JSON (written by another client, or
 * corrupted). BullMQ parses the data while fetching, outside any processor, so such a job
 * would cycle between active and wait for ever and never reach the DLQ. Here it is handed to
 * the processor with {@link UnreadableJobData}, which dead-letters it as `undecodable`.
 *
 * `opts.prefix` is the BatchFlow prefix: the worker reads the queue's hash-tagged keys
 * (`queueKeyPrefix`), as every BatchFlow queue object does (on Redis; see `queueBackend`).
 */
export class TolerantWorker<T = unknown> extends Worker<T> {
  constructor(name: string, processor: Processor<T>, opts: QueueWorkerOptions) {
    const { factory, ...backend } = queueBackend(name, opts.connection, opts.prefix ?? DEFAULT_PREFIX, 'worker');
    super(name, processor, { ...opts, ...backend }, factory as never);
  }

  /** BullMQ's close, with the blocking Cluster client's reconnect turned off first (see {@link disableBlockingClusterRecovery}). */
  override close(force = false): Promise<void> {
    disableBlockingClusterRecovery(this);
    return super.close(force);
  }

  protected override createJob(data: JobJson, jobId: string): Job<T> {
    try {
      return super.createJob(data, jobId);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      const raw = typeof data.data === 'string' ? data.data : String(data.data);
      return super.createJob({ ...data, data: JSON.stringify({ $unreadable: raw } satisfies UnreadableJobData) }, jobId);
    }
  }
}
