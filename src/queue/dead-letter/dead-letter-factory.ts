import type { Job } from 'bullmq';
import { traceOfRow } from '../job-data.js';
import { decodePayload, encodeRequest, type EncodedValue } from '../../core/codec.js';
import type { WriteFailure } from '../../core/batch-writer.js';
import { isRetryableReason } from '../../errors/failure-reason.js';
import type { Request } from '../../core/request.js';
import type { RowVersion } from '../../core/row-version.js';
import type { Schema } from '../../core/schema.js';
import type { DeadLetterClass, DeadLetterEntry, ReplayHistory } from '../dead-letter-entry.js';
import { jobDeliveryId } from '../delivery-id.js';

/** A DLQ entry with the key its DLQ job id derives from (`d_<key>`). */
export interface KeyedDeadLetter {
  readonly entry: DeadLetterEntry;
  readonly key: string;
}

/** DLQ entry for a request the sink rejected (after bisection or exhausted retries). */
export function deadLetterFromFailure(
  schema: string,
  request: Request,
  job: Job,
  rowIndex: number,
  failure: WriteFailure,
  history: ReplayHistory | undefined,
): KeyedDeadLetter {
  const now = new Date().toISOString();
  const encoded = encodeRequest(request);
  return {
    key: `${job.id}_${rowIndex}`,
    entry: {
      schema,
      request: encoded,
      class: isRetryableReason(failure.error.reason) ? 'retry_exhausted' : 'non_retryable',
      reason: failure.error.reason,
      errorCode: failure.error.sinkCode ?? null,
      message: failure.error.message,
      attempts: (history?.attempts ?? 0) + failure.attempts,
      firstFailedAt: history?.firstFailedAt ?? now,
      lastFailedAt: now,
      replays: history?.replays ?? 0,
      ...source(job),
      origin: jobDeliveryId(job, rowIndex),
      ...versionOf(request, encoded),
      ...traced(job, rowIndex),
    },
  };
}

/** DLQ entry for a whole job that could not be read; keeps the raw job data for a later replay. */
export function deadLetterFromJob(schema: string, job: Job, cls: Extract<DeadLetterClass, 'undecodable' | 'unknown_schema'>, message: string, attempts = 1): KeyedDeadLetter {
  const now = new Date().toISOString();
  const history = historyOf(job);
  return {
    key: `${job.id}`,
    entry: {
      schema,
      request: job.data as unknown,
      class: cls,
      reason: cls === 'undecodable' ? 'decode' : 'unknown_schema',
      errorCode: null,
      message,
      attempts: (history?.attempts ?? 0) + attempts,
      firstFailedAt: history?.firstFailedAt ?? now,
      lastFailedAt: now,
      replays: history?.replays ?? 0,
      ...source(job),
    },
  };
}

/**
 * DLQ entries for a job BullMQ itself failed (attempts or stalls exhausted): one entry of class
 * `cls` (`queue_failed`, or `queue_stalled` when the sweeper cannot tell whether the rows
 * committed) per row when the job decodes, with the job's `failedReason` as message; otherwise one
 * `undecodable` (or `unknown_schema`) entry holding the raw job data. Keys match the consumer's
 * own (`<jobId>_<row>`, `<jobId>`), so a row the consumer already dead-lettered from this very job
 * is not entered twice.
 */
export function deadLetterFromFailedJob(schema: Schema, job: Job, cls: Extract<DeadLetterClass, 'queue_failed' | 'queue_stalled'> = 'queue_failed'): KeyedDeadLetter[] {
  const reason = job.failedReason || 'failed by BullMQ';
  const attempts = Math.max(job.attemptsMade, 1);
  const data = job.data as { s?: unknown } | null;
  if (data?.s !== undefined && data.s !== schema.name) {
    return [deadLetterFromJob(schema.name, job, 'unknown_schema', `${reason}; job names schema ${JSON.stringify(data.s)}`, attempts)];
  }
  let requests: Request[];
  try {
    requests = decodePayload(schema, data);
  } catch (err) {
    return [deadLetterFromJob(schema.name, job, 'undecodable', `${reason}; ${(err as Error).message}`, attempts)];
  }
  const now = new Date().toISOString();
  const history = historyOf(job);
  return requests.map((request, rowIndex) => {
    const encoded = encodeRequest(request);
    return {
      key: `${job.id}_${rowIndex}`,
      entry: {
        schema: schema.name,
        request: encoded,
        class: cls,
        reason: cls,
        errorCode: null,
        message: reason,
        attempts: (history?.attempts ?? 0) + attempts,
        firstFailedAt: history?.firstFailedAt ?? now,
        lastFailedAt: now,
        replays: history?.replays ?? 0,
        ...source(job),
        origin: jobDeliveryId(job, rowIndex),
        ...versionOf(request, encoded),
        ...traced(job, rowIndex),
      },
    };
  });
}

/** The row's version as encoded, on a schema with a version column that holds one. */
function versionOf(request: Request, encoded: Readonly<Record<string, EncodedValue>>): Pick<DeadLetterEntry, 'version'> {
  const column = (request.schema as { readonly version?: RowVersion }).version?.column;
  const value = column === undefined ? undefined : encoded[column];
  return value == null ? {} : { version: value };
}

function historyOf(job: Job): ReplayHistory | undefined {
  return (job.data as { replay?: ReplayHistory } | null)?.replay;
}

/** The trace context the producer recorded for the row, so a replay continues the request's trace. */
function traced(job: Job, rowIndex: number): Pick<DeadLetterEntry, 'traceparent'> {
  const traceparent = traceOfRow(job.data, rowIndex);
  return traceparent === undefined ? {} : { traceparent };
}

/** Where the entry came from: which job (and which incarnation of its id), and its attempts option. */
function source(job: Job): Pick<DeadLetterEntry, 'sourceJobId' | 'sourceJobTimestamp' | 'jobAttempts'> {
  return {
    sourceJobId: job.id ?? null,
    ...(Number.isFinite(job.timestamp) && { sourceJobTimestamp: job.timestamp }),
    ...(typeof job.opts.attempts === 'number' && { jobAttempts: job.opts.attempts }),
  };
}

/**
 * DLQ entry for one row of a job that could not be read while its other rows could: kept as
 * the data of a one-row job, so a replay re-offers just that row.
 */
export function deadLetterFromRow(schema: string, job: Job, rowIndex: number, message: string): KeyedDeadLetter {
  const now = new Date().toISOString();
  const history = historyOf(job);
  const rows = (job.data as { rows?: unknown[] } | null)?.rows ?? [];
  return {
    key: `${job.id}_${rowIndex}`,
    entry: {
      schema,
      // The job's own data with just this row, so a replay re-offers it alone and nothing else of the job is lost.
      request: { ...(job.data as object), rows: [rows[rowIndex]] },
      class: 'undecodable',
      reason: 'decode',
      errorCode: null,
      message,
      attempts: (history?.attempts ?? 0) + 1,
      firstFailedAt: history?.firstFailedAt ?? now,
      lastFailedAt: now,
      replays: history?.replays ?? 0,
      ...source(job),
    },
  };
}
