import type { Job } from 'bullmq';
import type { QueueClient } from '../connection.js';
import { WORKER_DRAIN_DELAY_SECONDS } from '../open-queue.js';
import type { ResolvedBatchConsumerOptions } from './batch-consumer-options.js';
import type { CompletedRetention } from './completed-retention.js';
import { handJobBack } from './consumer-shutdown.js';
import type { JobConcurrency } from './job-concurrency.js';
import { PartitionWorkers } from './partition-workers.js';

/** What the processor of a consumer's Workers does around each job. */
export interface JobProcessorParts {
  /** Sizes the Worker's concurrency by the requests and bytes its jobs carry, unless the user fixed it. */
  readonly concurrency: JobConcurrency | undefined;
  /** On the PostgreSQL queue backend: the completed-job count applied by the upkeep, not at each completion. */
  readonly retention: CompletedRetention | undefined;
  /** Aborted at shutdown: a job whose batch gave up then is handed back, not failed. */
  readonly signal: AbortSignal;
  /** Hands the job's requests to the accumulator; resolves once their batch committed. */
  readonly consume: (job: Job) => Promise<void>;
}

/** The processor every Worker of a consumer runs: one job's requests into batches, resolved once they committed. */
export function jobProcessor(p: JobProcessorParts): (job: Job, token: string | undefined) => Promise<void> {
  return async (job, token) => {
    // Synchronously, before any await: the Worker reads its concurrency again before its next fetch.
    const release = p.concurrency?.hold(job.data);
    p.retention?.adopt(job);
    try {
      await p.consume(job);
    } catch (err) {
      if (!p.signal.aborted) throw err;
      // Shutdown: hand the job back to `wait` unpenalised.
      await handJobBack(job, token);
    } finally {
      release?.();
    }
  };
}

/**
 * Starts a consumer's BullMQ Workers, one per queue of its schema, on the consumer's client and
 * with its lock, stall and concurrency options; `concurrency` is the fixed or initial total.
 */
export function startConsumerWorkers(
  o: ResolvedBatchConsumerOptions,
  queues: readonly string[],
  redis: QueueClient,
  concurrency: number | undefined,
  processor: (job: Job, token: string | undefined) => Promise<void>,
): PartitionWorkers {
  return new PartitionWorkers(queues, processor, {
    connection: redis,
    prefix: o.prefix,
    concurrency,
    lockDuration: o.lockDurationMs,
    stalledInterval: o.stalledIntervalMs,
    maxStalledCount: o.maxStalledCount,
    drainDelay: WORKER_DRAIN_DELAY_SECONDS,
    ...(o.telemetry && { telemetry: o.telemetry }),
    ...(o.metricsMaxDataPoints > 0 && { metrics: { maxDataPoints: o.metricsMaxDataPoints } }),
  });
}
