import { ConfigError } from '../../src/errors/config-error.js';

/** Prefix of a config string that is read from the environment instead, e.g. `"env:PG_URL"`. */
export const ENV_REFERENCE_PREFIX = 'env:';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces every string of the form `env:NAME`, anywhere in the parsed JSON, with the value of
 * environment variable NAME. This keeps secrets (database passwords, tokens) out of the config
 * file. A reference to an unset variable is an error naming the field and the variable, never
 * a value.
 */
export function resolveEnvReferences(value: unknown, env: Readonly<Record<string, string | undefined>>, path: readonly (string | number)[] = []): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(ENV_REFERENCE_PREFIX)) return value;
    const name = value.slice(ENV_REFERENCE_PREFIX.length);
    const field = path.join('.') || '(root)';
    if (!ENV_NAME.test(name)) throw new ConfigError(field, `"${ENV_REFERENCE_PREFIX}" must be followed by an environment variable name`);
    const resolved = env[name];
    if (resolved === undefined || resolved === '') throw new ConfigError(field, `environment variable ${name} is not set`);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveEnvReferences(item, env, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveEnvReferences(item, env, [...path, key])]));
  }
  return value;
}
