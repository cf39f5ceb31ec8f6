import { BatchFlowError } from './batchflow-error.js';

/** The caller's `AbortSignal` fired before the operation completed. */
export class AbortedError extends BatchFlowError {
  constructor(message = 'operation aborted', options?: { cause?: unknown }) {
    super('ERR_ABORTED', message, options);
  }
}
