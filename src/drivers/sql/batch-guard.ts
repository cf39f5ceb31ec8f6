import { isSQLSchema, type Schema, type SQLSchema } from '../../core/schema.js';
import { SinkError } from '../../errors/sink-error.js';

/**
 * Narrows a schema to a {@link SQLSchema}, or throws a `non_retryable` {@link SinkError}:
 * a generic schema routed to a SQL driver is a wiring mistake that no retry can fix.
 */
export function requireSqlSchema(schema: Schema, sink: string): SQLSchema {
  if (!isSQLSchema(schema)) {
    throw new SinkError('non_retryable', `${sink}: schema "${schema.name}" is not a SQL schema (declare it with SQLSchema())`);
  }
  return schema;
}
