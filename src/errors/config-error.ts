import { BatchFlowError } from './batchflow-error.js';

/** An option or config file value is invalid. The message names the field. */
export class ConfigError extends BatchFlowError {
  /** Dotted path of the offending field, e.g. `schemas.0.flushSize`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('ERR_CONFIG', `${field}: ${message}`);
    this.field = field;
  }
}
