import { BatchFlowError } from './batchflow-error.js';

/** What exactly was wrong with a request or row; lets callers react per kind. */
export type ValidationKind =
  | 'unknown_schema'
  | 'unknown_column'
  | 'missing_column'
  | 'wrong_type'
  | 'out_of_range'
  | 'payload_too_large'
  | 'invalid_row';

/**
 * A request was rejected before anything was enqueued or written.
 * Names the schema and, where it applies, the column.
 */
export class ValidationError extends BatchFlowError {
  readonly kind: ValidationKind;
  readonly schema: string | undefined;
  readonly column: string | undefined;

  constructor(kind: ValidationKind, message: string, where: { schema?: string; column?: string } = {}) {
    super('ERR_VALIDATION', message);
    this.kind = kind;
    this.schema = where.schema;
    this.column = where.column;
  }
}
