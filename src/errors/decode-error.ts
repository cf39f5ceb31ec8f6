import { BatchFlowError } from './batchflow-error.js';

/** A job payload could not be decoded (unknown format version, malformed value). */
export class DecodeError extends BatchFlowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DECODE', message, options);
  }
}
