import { BatchFlowError } from './batchflow-error.js';

/** A schema definition is invalid: a bad identifier, no columns, an unknown key column. */
export class SchemaDefinitionError extends BatchFlowError {
  constructor(message: string) {
    super('ERR_SCHEMA_DEFINITION', message);
  }
}
