import { BatchFlowError } from './batchflow-error.js';

/**
 * Redis did not confirm an enqueue in time (down, unreachable, or failing over). The request may
 * or may not have been stored: retrying is safe with an idempotency key or a conflict strategy
 * (delivery is at-least-once).
 */
export class QueueUnavailableError extends BatchFlowError {
  /** Where Redis was expected (`host:port`, never credentials), when known. */
  readonly address: string | undefined;

  constructor(message: string, options?: { cause?: unknown; address?: string }) {
    super('ERR_QUEUE_UNAVAILABLE', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.address = options?.address;
  }
}
