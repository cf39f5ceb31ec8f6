import { formatSchemaDiffs, type SchemaDiff } from './schema-diff-report.js';
import { BatchFlowError } from './batchflow-error.js';

/**
 * One or more tables do not fit their schemas (found by the start-up schema check): the worker
 * refuses to start rather than dead-letter rows for a drift it could see. The message is the
 * readable diff per table; {@link SchemaDriftError.diffs} holds it structured.
 */
export class SchemaDriftError extends BatchFlowError {
  /** Every checked table's diff, the failing ones and the matching ones. */
  readonly diffs: readonly SchemaDiff[];

  constructor(diffs: readonly SchemaDiff[]) {
    const failing = diffs.filter((diff) => !diff.ok);
    super('ERR_SCHEMA_DRIFT', `${failing.length} table(s) do not match their schema:\n${formatSchemaDiffs(failing)}`);
    this.diffs = diffs;
  }
}
