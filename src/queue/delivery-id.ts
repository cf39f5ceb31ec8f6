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

/** True when the schema's requests need delivery ids (`delivery: 'exactly-once'`). */
export function needsDeliveryIds(schema: Schema): boolean {
  return isSQLSchema(schema) && schema.delivery === 'exactly-once';
}
