import type { JobsOptions } from 'bullmq';
import { ConfigError } from '../errors/config-error.js';

/**
 * How many completed jobs of a schema queue Redis keeps, so Bull Board's Completed tab shows what
 * happened recently; older ones are trimmed as new jobs complete. `false` removes every job as
 * soon as its batch commits.
 */
export type KeepCompletedJobs = false | {
  /**
   * Most completed jobs kept per queue. On the PostgreSQL queue backend the consumer applies it
   * every 5 s instead of BullMQ at each completion (which re-sorts the kept jobs for every job), so
   * a queue may hold more between two trims. @defaultValue 1000
   */
  readonly count?: number;
  /** Oldest completed job kept, in seconds since it completed. @defaultValue 3600 */
  readonly ageSeconds?: number;
};

/** Defaults of the options every job of a schema queue carries (producer submits and DLQ replays alike). */
export const SCHEMA_JOB_DEFAULTS = Object.freeze({
  /**
   * How many times BullMQ runs a job whose processing failed for a reason outside the sink
   * (e.g. Redis unavailable while dead-lettering). Sink failures never consume these.
   */
  jobAttempts: 25,
  /** First delay of BullMQ's exponential backoff between those attempts. */
  backoffDelayMs: 1000,
  /**
   * Completed jobs kept for Bull Board. Small on purpose: a kept job holds its rows in Redis
   * (with producer packing, 1,000 jobs of 100 rows each hold 100,000 rows).
   */
  keepCompletedJobs: Object.freeze({ count: 1000, ageSeconds: 3600 }),
});

/** Checks a {@link KeepCompletedJobs} value, naming `field` when it is wrong. */
export function validateKeepCompletedJobs(field: string, keep: KeepCompletedJobs | undefined): void {
  if (keep === undefined || keep === false) return;
  if (keep === null || typeof keep !== 'object') throw new ConfigError(field, `must be false or { count, ageSeconds }, got ${JSON.stringify(keep)}`);
  for (const key of ['count', 'ageSeconds'] as const) {
    const value = keep[key];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) throw new ConfigError(`${field}.${key}`, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
}

/**
 * The BullMQ options of a job in a schema's queue, in one place so a DLQ replay enqueues its job
 * exactly as the producer would have: on completion kept within `keepCompleted` (the commit is
 * the record; the kept ones are Bull Board's history), kept on failure (the failed-job sweeper
 * moves it into the DLQ), `jobAttempts` attempts with exponential backoff.
 *
 * @example
 * ```ts
 * await queue.add(schema.name, schemaJobData(schema.name, rows), schemaJobOptions(5));
 * ```
 */
export function schemaJobOptions(
  jobAttempts: number = SCHEMA_JOB_DEFAULTS.jobAttempts,
  keepCompleted: KeepCompletedJobs = SCHEMA_JOB_DEFAULTS.keepCompletedJobs,
): JobsOptions {
  const keep = keepCompleted === false ? undefined : { ...SCHEMA_JOB_DEFAULTS.keepCompletedJobs, ...keepCompleted };
  return {
    removeOnComplete: keep ? { count: keep.count, age: keep.ageSeconds } : true,
    removeOnFail: false,
    attempts: jobAttempts,
    backoff: { type: 'exponential', delay: SCHEMA_JOB_DEFAULTS.backoffDelayMs },
  };
}

/**
 * The options of a job with an id of its own (an `idempotencyKey` submit, a DLQ replay): removed
 * as soon as it completes, whatever `keepCompleted` says. BullMQ refuses a job whose id is still
 * in the queue, completed or not, so a kept job would keep its key taken: a resubmit after the
 * request failed into the DLQ would then be dropped instead of updating its entry.
 *
 * @example
 * ```ts
 * await queue.add(schema.name, data, keyedJobOptions(schemaJobOptions(5), jobId));
 * ```
 */
export function keyedJobOptions(options: JobsOptions, jobId: string): JobsOptions {
  return { ...options, jobId, removeOnComplete: true };
}
