import { ConfigError } from '../../src/errors/config-error.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variables that override a config field, with the dotted field each one sets. */
export const ENV_OVERRIDES = Object.freeze({
  REDIS_URL: 'redisUrl',
  REDIS_CLUSTER_NODES: 'redis.cluster.nodes',
  BATCHFLOW_QUEUE_POSTGRES_URL: 'queue.postgresUrl',
  BATCHFLOW_QUEUE_SCHEMA: 'queue.schema',
  BATCHFLOW_PREFIX: 'prefix',
  BATCHFLOW_LOG_LEVEL: 'logLevel',
  BATCHFLOW_HTTP_HOST: 'http.host',
  BATCHFLOW_HTTP_PORT: 'http.port',
} as const);

/** Variable that names the config file (the CLI's `--config` wins over it). */
export const CONFIG_PATH_ENV = 'BATCHFLOW_CONFIG';

/**
 * Applies {@link ENV_OVERRIDES} over the raw config (env wins over the file) and returns the
 * merged object with, for each overridden field, the variable it came from, so a validation
 * error can name the variable the user actually set.
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: Env): { merged: Record<string, unknown>; fromEnv: Map<string, string> } {
  const merged: Record<string, unknown> = { ...raw };
  const fromEnv = new Map<string, string>();
  for (const [name, field] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    fromEnv.set(field, name);
    if (field.startsWith('http.')) {
      const http = isObject(merged.http) ? { ...merged.http } : {};
      const key = field.slice('http.'.length);
      http[key] = key === 'port' ? parsePort(name, value) : value;
      merged.http = http;
    } else if (field.startsWith('queue.')) {
      merged.queue = { ...(isObject(merged.queue) ? merged.queue : {}), [field.slice('queue.'.length)]: value };
    } else if (field === 'redis.cluster.nodes') {
      const redis = isObject(merged.redis) ? { ...merged.redis } : {};
      redis.cluster = { ...(isObject(redis.cluster) ? redis.cluster : {}), nodes: value.split(',').map((node) => node.trim()).filter((node) => node !== '') };
      merged.redis = redis;
    } else {
      merged[field] = value;
    }
  }
  return { merged, fromEnv };
}

function parsePort(name: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ConfigError(name, 'must be a port number 0-65535');
  return port;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
