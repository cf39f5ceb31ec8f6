import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import type { DeliveryId } from '../core/delivery.js';
import { isSQLSchema, type Schema } from '../core/schema.js';

/**
 * The delivery source of a job: a digest of its queue, id and creation time, the same on every
 * redelivery of that job (BullMQ keeps all three while the job exists) and different for a
 * later job that reuses the id. An idempotency key is a custom job id, reused once the first job
 * was completed and removed; the creation time tells the two apart, so a legitimate second
 * submit is never mistaken for a redelivery, even before pruning has dropped the first one's
 * ledger rows. 32 hex characters (128 bits): fixed width for the ledger's key, whatever the id.
 */
export function deliverySource(job: Pick<Job, 'queueName' | 'id' | 'timestamp'>): string {
  return createHash('sha256').update(`${job.queueName}\u0000${job.id ?? ''}\u0000${job.timestamp}`).digest('hex').slice(0, 32);
}

/** The delivery id of row `rowIndex` of a job (a packed job carries many rows; each keeps its index). */
export function deliveryIdOf(source: string, rowIndex: number): DeliveryId {
  return { source, seq: rowIndex };
}

/** What the delivery identity of a job is read from: its identity, and its data (a replay's carried origin). */
export type DeliveredJob = Pick<Job, 'queueName' | 'id' | 'timestamp'> & { readonly data?: unknown };

/**
 * The delivery id of row `rowIndex` of a job, as the ledger knows it: a replayed DLQ entry's job
 * carries the id of the request's first delivery (`origin`, see `SchemaJobData`), so a replay of
 * a request that committed is recognised and skipped; every other job's rows get ids from the job.
 */
export function jobDeliveryId(job: DeliveredJob, rowIndex: number): DeliveryId {
  const origin = originOf(job);
  return origin ?? deliveryIdOf(deliverySource(job), rowIndex);
}

/** The ledger source of a job's rows: its carried origin's (a replayed entry), else its own. */
export function jobDeliverySource(job: DeliveredJob): string {
  return originOf(job)?.source ?? deliverySource(job);
}

/** The origin a replayed one-row job carries, when it is well-formed. */
function originOf(job: DeliveredJob): DeliveryId | undefined {
  const origin = (job.data as { origin?: { source?: unknown; seq?: unknown } } | null)?.origin;
  return typeof origin?.source === 'string' && Number.isInteger(origin.seq) ? { source: origin.source, seq: origin.seq as number } : undefined;
}

/** True when the schema's requests need delivery ids (`delivery: 'exactly-once'`). */
export function needsDeliveryIds(schema: Schema): boolean {
  return isSQLSchema(schema) && schema.delivery === 'exactly-once';
}
