import type { JobsOptions } from 'bullmq';

/** Defaults of the options every job of a schema queue carries (producer submits and DLQ replays alike). */
export const SCHEMA_JOB_DEFAULTS = Object.freeze({
  /**
   * How many times BullMQ runs a job whose processing failed for a reason outside the sink
   * (e.g. Redis unavailable while dead-lettering). Sink failures never consume these.
   */
  jobAttempts: 25,
  /** First delay of BullMQ's exponential backoff between those attempts. */
  backoffDelayMs: 1000,
});

/**
 * The BullMQ options of a job in a schema's queue, in one place so a DLQ replay enqueues its job
 * exactly as the producer would have: removed on completion (the commit is the record), kept on
 * failure (the failed-job sweeper moves it into the DLQ), `jobAttempts` attempts with exponential
 * backoff.
 *
 * @example
 * ```ts
 * await queue.add(schema.name, schemaJobData(schema.name, rows), { ...schemaJobOptions(5), jobId });
 * ```
 */
export function schemaJobOptions(jobAttempts: number = SCHEMA_JOB_DEFAULTS.jobAttempts): JobsOptions {
  return {
    removeOnComplete: true,
    removeOnFail: false,
    attempts: jobAttempts,
    backoff: { type: 'exponential', delay: SCHEMA_JOB_DEFAULTS.backoffDelayMs },
  };
}
