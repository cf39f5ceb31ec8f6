import { BatchFlowError } from './batchflow-error.js';

/**
 * Redis stored the request, but fewer replicas than the producer's `replicas.count` acknowledged
 * it within `replicas.timeoutMs` (or the master could not be asked: it failed, or its slot moved
 * to another master during the submit). The request is on the master and will most likely be
 * processed, but a failover could still lose it, so it was not confirmed durable. Retrying is
 * safe with an idempotency key or a conflict strategy (delivery is at-least-once).
 */
export class ReplicationTimeoutError extends BatchFlowError {
  /** Replicas that acknowledged the write (0 when the master could not be asked). */
  readonly acknowledged: number;
  /** Replicas the producer requires. */
  readonly required: number;

  constructor(message: string, details: { acknowledged: number; required: number }, options?: { cause?: unknown }) {
    super('ERR_REPLICATION_TIMEOUT', message, options);
    this.acknowledged = details.acknowledged;
    this.required = details.required;
  }
}
