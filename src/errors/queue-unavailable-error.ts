import { BatchFlowError } from './batchflow-error.js';

/**
 * Redis did not confirm an enqueue in time (down, unreachable, or failing over). The request may
 * or may not have been stored: retrying is safe with an idempotency key or a conflict strategy
 * (delivery is at-least-once).
 */
export class QueueUnavailableError extends BatchFlowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_QUEUE_UNAVAILABLE', message, options);
  }
}
