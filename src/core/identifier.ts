import { SchemaDefinitionError } from '../errors/schema-definition-error.js';

/**
 * Strict identifier pattern for table, column and schema names: a letter or underscore,
 * then letters, digits or underscores, 63 characters at most (PostgreSQL's limit).
 * Names are also quoted per dialect; this check is the first wall, quoting the second.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** True when `name` is a safe identifier. */
export function isIdentifier(name: unknown): name is string {
  return typeof name === 'string' && IDENTIFIER.test(name);
}

/**
 * Throws a {@link SchemaDefinitionError} unless `name` is a safe identifier.
 * `what` names the thing for the message, e.g. `column of table "users"`.
 */
export function assertIdentifier(name: unknown, what: string): asserts name is string {
  if (!isIdentifier(name)) {
    throw new SchemaDefinitionError(
      `invalid ${what} name ${JSON.stringify(name)}: must match ${IDENTIFIER.source}`,
    );
  }
}

/**
 * Validates a table name, optionally qualified by one namespace (`analytics.events`).
 * Each part must be a safe identifier.
 */
export function assertTableName(name: unknown): asserts name is string {
  if (!isTableName(name)) {
    throw new SchemaDefinitionError(
      `invalid table name ${JSON.stringify(name)}: use an identifier or namespace.identifier matching ${IDENTIFIER.source}`,
    );
  }
}

/** True when `name` is a table name, optionally qualified by one namespace, each part a safe identifier. */
export function isTableName(name: unknown): name is string {
  const parts = typeof name === 'string' ? name.split('.') : [];
  return parts.length >= 1 && parts.length <= 2 && parts.every(isIdentifier);
}
