import { ConfigError } from '../../errors/config-error.js';

import { resolveOptions } from '../../core/resolve-options.js';

export { resolveOptions };

/** Fails fast, naming the field, unless `value` is an integer ≥ `min` (or undefined when optional). */
export function checkInteger(owner: string, field: string, value: unknown, min: number, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`${owner}.${field}`, `must be an integer ≥ ${min}, got ${describe(value)}`);
  }
}

/** One way to reach the database: a field name, its value, and the kind of value it takes. */
export type ConnectionSource = readonly [field: string, value: unknown, kind: 'string' | 'object'];

/**
 * Fails fast unless exactly one connection source is given: the user's own pool/client, or a
 * connection string (or file name) from which the driver opens and owns its own.
 * The connection string itself is never echoed, as it may carry a password.
 */
export function checkOneSource(owner: string, sources: readonly ConnectionSource[]): void {
  const given = sources.filter(([, value]) => value !== undefined);
  if (given.length !== 1) {
    const names = sources.map(([field]) => field).join(' or ');
    const got = given.length === 0 ? 'none' : given.map(([field]) => field).join(' and ');
    throw new ConfigError(owner, `give exactly one of ${names} (got ${got})`);
  }
  const [field, value, kind] = given[0] as ConnectionSource;
  const ok = kind === 'string' ? typeof value === 'string' && value.length > 0 : typeof value === 'object' && value !== null;
  if (!ok) throw new ConfigError(`${owner}.${field}`, `must be ${kind === 'string' ? 'a non-empty string' : 'an object'}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}

/** The connection options PostgreSQL and MySQL drivers share (each documents its own defaults). */
export interface PooledDriverOptions {
  pool?: object;
  connectionString?: string;
  poolSize?: number;
  connectTimeoutMs?: number;
  maxRowsPerStatement?: number;
}

/**
 * Resolves a pooled driver's options once: exactly one of `pool` and `connectionString`,
 * defaults merged and frozen, and the shared numeric fields checked. Dialect-specific
 * fields are checked by the caller.
 */
export function resolvePooledOptions<O extends PooledDriverOptions, D extends Required<Omit<PooledDriverOptions, 'pool' | 'connectionString'>>>(
  owner: string,
  defaults: D,
  options: O,
): Readonly<O & D> {
  checkOneSource(owner, [
    ['pool', options.pool, 'object'],
    ['connectionString', options.connectionString, 'string'],
  ]);
  // O's fields are a subset of O & D's, which the generic signature cannot see.
  const resolved = resolveOptions<O & D>(defaults as O & D, options as unknown as Partial<O & D>);
  checkInteger(owner, 'poolSize', resolved.poolSize, 1);
  checkInteger(owner, 'connectTimeoutMs', resolved.connectTimeoutMs, 1);
  checkInteger(owner, 'maxRowsPerStatement', resolved.maxRowsPerStatement, 1);
  return resolved;
}
