import type { Job } from 'bullmq';
import { encodeRequest } from '../core/codec.js';
import type { WriteFailure } from '../core/batch-writer.js';
import { isRetryableReason } from '../core/failure-reason.js';
import type { Request } from '../core/request.js';
import type { DeadLetterClass, DeadLetterEntry, ReplayHistory } from './dead-letter-entry.js';

/** DLQ entry for a request the sink rejected (after bisection or exhausted retries). */
export function deadLetterFromFailure(
  schema: string,
  request: Request,
  job: Job,
  rowIndex: number,
  failure: WriteFailure,
  history: ReplayHistory | undefined,
): { entry: DeadLetterEntry; key: string } {
  const now = new Date().toISOString();
  return {
    key: `${job.id}_${rowIndex}`,
    entry: {
      schema,
      request: encodeRequest(request),
      class: isRetryableReason(failure.error.reason) ? 'retry_exhausted' : 'non_retryable',
      reason: failure.error.reason,
      errorCode: failure.error.sinkCode ?? null,
      message: failure.error.message,
      attempts: (history?.attempts ?? 0) + failure.attempts,
      firstFailedAt: history?.firstFailedAt ?? now,
      lastFailedAt: now,
      sourceJobId: job.id ?? null,
      replays: history?.replays ?? 0,
    },
  };
}

/** DLQ entry for a whole job that could not be read; keeps the raw job data for a later replay. */
export function deadLetterFromJob(schema: string, job: Job, cls: Extract<DeadLetterClass, 'undecodable' | 'unknown_schema'>, message: string): { entry: DeadLetterEntry; key: string } {
  const now = new Date().toISOString();
  const history = (job.data as { replay?: ReplayHistory } | null)?.replay;
  return {
    key: `${job.id}`,
    entry: {
      schema,
      request: job.data as unknown,
      class: cls,
      reason: cls === 'undecodable' ? 'decode' : 'unknown_schema',
      errorCode: null,
      message,
      attempts: (history?.attempts ?? 0) + 1,
      firstFailedAt: history?.firstFailedAt ?? now,
      lastFailedAt: now,
      sourceJobId: job.id ?? null,
      replays: history?.replays ?? 0,
    },
  };
}
