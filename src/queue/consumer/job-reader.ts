import type { Job } from 'bullmq';
import { decodePayloadRows } from '../../core/codec.js';
import type { Request } from '../../core/request.js';
import type { Schema } from '../../core/schema.js';
import { DecodeError } from '../../errors/decode-error.js';
import type { ReplayHistory } from '../dead-letter-entry.js';
import { deadLetterFromJob, deadLetterFromRow, type KeyedDeadLetter } from '../dead-letter/index.js';
import { jobDeliveryId, needsDeliveryIds } from '../delivery-id.js';
import { isUnreadableJobData } from './tolerant-worker.js';

/** What a consumer does with one job: write its readable rows, and dead-letter the rest. */
export interface ReadJob {
  /** Rows to write, with their position in the job (DLQ ids derive from it). */
  readonly requests: ReadonlyArray<{ readonly request: Request; readonly rowIndex: number }>;
  /** Entries for what cannot be read: the whole job (not JSON, unknown format or schema), or single rows of it. */
  readonly deadLetters: readonly KeyedDeadLetter[];
  /** Failure history of a replayed DLQ entry. */
  readonly history: ReplayHistory | undefined;
}

/**
 * Reads a schema-queue job, deciding per row: one undecodable row of a packed job is
 * dead-lettered alone while its neighbours go on. Never throws for bad data.
 */
export function readJob(schema: Schema, job: Job): ReadJob {
  const data = job.data as { s?: unknown; replay?: ReplayHistory } | null;
  const whole = (cls: 'undecodable' | 'unknown_schema', message: string): ReadJob => ({
    requests: [],
    deadLetters: [deadLetterFromJob(schema.name, job, cls, message)],
    history: undefined,
  });
  if (isUnreadableJobData(data)) return whole('undecodable', 'job data is not JSON');
  if (data?.s !== undefined && data.s !== schema.name) return whole('unknown_schema', `job names schema ${JSON.stringify(data.s)}`);
  let rows: Array<Request | DecodeError>;
  try {
    rows = decodePayloadRows(schema, data);
  } catch (err) {
    return whole('undecodable', (err as Error).message);
  }
  const requests: Array<{ request: Request; rowIndex: number }> = [];
  const deadLetters: KeyedDeadLetter[] = [];
  // Exactly-once: each request carries an id that is the same on every redelivery of the job (and on a replay of it).
  const once = needsDeliveryIds(schema);
  rows.forEach((row, rowIndex) => {
    if (row instanceof DecodeError) deadLetters.push(deadLetterFromRow(schema.name, job, rowIndex, row.message));
    else {
      if (once) row.delivery = jobDeliveryId(job, rowIndex);
      requests.push({ request: row, rowIndex });
    }
  });
  return { requests, deadLetters, history: data?.replay };
}
