/**
 * Base class of every error BatchFlow throws. Callers branch on the stable
 * {@link BatchFlowError.code}, never on the message text.
 */
export class BatchFlowError extends Error {
  /** Stable, machine-readable error code, e.g. `ERR_VALIDATION`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
