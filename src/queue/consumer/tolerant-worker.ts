import { Worker, type Job, type JobJson, type Processor, type WorkerOptions } from 'bullmq';
import { DEFAULT_PREFIX, queueKeyPrefix } from '../queue-names.js';

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
 * ({@link queueKeyPrefix}), as every BatchFlow queue object does.
 */
export class TolerantWorker<T = unknown> extends Worker<T> {
  constructor(name: string, processor: Processor<T>, opts: WorkerOptions) {
    super(name, processor, { ...opts, prefix: queueKeyPrefix(opts.prefix ?? DEFAULT_PREFIX, name) });
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
