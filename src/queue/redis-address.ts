import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { ConfigError } from '../errors/config-error.js';

/** The shapes of `RedisConnection` (connection.ts, which imports this file). */
type RedisConnection = string | RedisOptions | { cluster: { nodes: readonly ClusterNode[] } } | Redis | Cluster;

/** URL schemes ioredis connects with. */
const REDIS_SCHEMES = new Set(['redis:', 'rediss:']);

/**
 * Refuses a connection string ioredis would silently misread (`redis//host:6379`, `http://…`,
 * `127.0.0.1:6379` are all taken as something else and connect to localhost or nowhere), with a
 * `ConfigError` naming `field`. Anything other than a string is left to ioredis.
 */
export function checkRedisConnection(connection: RedisConnection, field = 'connection'): void {
  if (typeof connection !== 'string') return;
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new ConfigError(field, `"${redactUrl(connection)}" is not a Redis URL: expected redis://[user:password@]host:port[/db] or rediss://…`);
  }
  if (!REDIS_SCHEMES.has(url.protocol)) {
    throw new ConfigError(field, `"${redactUrl(connection)}" has scheme ${url.protocol.replace(/:$/, '') || '(none)'}: expected redis:// or rediss://`);
  }
  if (url.hostname === '') throw new ConfigError(field, `"${redactUrl(connection)}" names no host: expected redis://host:port`);
}

/**
 * Where a connection points, for error messages: `host:port` (a URL's credentials never
 * appear), the seed nodes of a cluster, or the options' host.
 */
export function describeRedis(connection: RedisConnection): string {
  if (typeof connection === 'string') {
    try {
      const url = new URL(connection);
      return `${url.hostname}:${url.port || '6379'}`;
    } catch {
      return redactUrl(connection);
    }
  }
  if (connection instanceof Cluster) return 'a Redis Cluster';
  if (connection instanceof Redis) return hostOf(connection.options);
  if ('cluster' in connection) {
    const nodes = connection.cluster.nodes.map((node) => (typeof node === 'object' ? hostOf(node) : String(node).replace(/^rediss?:\/\/([^@/]*@)?/, '')));
    return `cluster ${nodes.join(',')}`;
  }
  return hostOf(connection);
}

function hostOf(options: { host?: string | undefined; port?: number | undefined; path?: string | undefined }): string {
  return options.path ?? `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}

/** The string with any `user:password@` removed. */
function redactUrl(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//***@');
}
