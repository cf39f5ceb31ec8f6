import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { ValidationError } from '../../errors/validation-error.js';
import type { QueueClient } from '../connection.js';
import type { DeadLetterEntry } from '../dead-letter-entry.js';
import type { DeadLetterQueue } from './dead-letter-queue.js';
import { disableBlockingClusterRecovery, queueBackend, WORKER_DRAIN_DELAY_SECONDS } from '../open-queue.js';

/**
 * Keeps a DLQ in the shape Bull Board understands:
 * - a new entry is *parked*: failed at once with its error message, so it shows under "Failed";
 * - an entry that failed before and is processed again was retried (Bull Board's "Retry" button,
 *   or `job.retry()`): it is replayed into the schema's queue and completes. Its data is read
 *   afresh, so a request edited first (Bull Board's "Update data", i.e. `job.updateData()`) is
 *   replayed as edited, once validated against the DLQ's schema; an edit that does not fit fails
 *   the job again with the column named, and nothing is enqueued.
 */
export class DeadLetterWorker {
  readonly worker: Worker<DeadLetterEntry>;

  constructor(dlq: DeadLetterQueue, connection: QueueClient, prefix: string) {
    const { factory, ...backend } = queueBackend(dlq.queue.name, connection, prefix, 'worker');
    this.worker = new Worker<DeadLetterEntry>(
      dlq.queue.name, // `<schema>.dlq`, or a partition's `<schema>#<p>.dlq`
      async (job: Job<DeadLetterEntry>) => {
        if (job.attemptsMade === 0) throw new UnrecoverableError(parkedReason(job.data));
        try {
          await dlq.requeue(job);
        } catch (err) {
          // An edit that does not fit the schema: back to failed (with the column named), data as edited, nothing enqueued.
          if (err instanceof ValidationError) throw new UnrecoverableError(err.message);
          throw err;
        }
      },
      { ...backend, concurrency: 10, drainDelay: WORKER_DRAIN_DELAY_SECONDS },
      factory as never,
    );
    this.worker.on('error', () => {});
  }

  /** Closes the worker (waiting for its jobs unless `force`); see {@link disableBlockingClusterRecovery}. */
  close(force = false): Promise<void> {
    disableBlockingClusterRecovery(this.worker);
    return this.worker.close(force);
  }
}

/**
 * The error Bull Board shows for a parked entry: the reason and the sink's code, then the
 * message (`non_retryable 23514: new row … violates check constraint "positive_amount"`), with
 * the class first when it differs from the reason (`retry_exhausted (deadlock 40P01): …`).
 */
export function parkedReason(entry: Pick<DeadLetterEntry, 'class' | 'reason' | 'errorCode' | 'message'>): string {
  const cause = `${entry.reason}${entry.errorCode ? ` ${entry.errorCode}` : ''}`;
  return `${entry.class === entry.reason ? cause : `${entry.class} (${cause})`}: ${entry.message}`;
}
