import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import { redactCommandCredentials } from '../core/redact-credentials.js';
import { checkRedisConnection } from './redis-address.js';
import { isPostgresQueueConnection, PostgresQueueClient, type PostgresQueueConnection } from './postgres-queue-client.js';

/** Seed nodes of a Redis Cluster: ioredis discovers the rest of the cluster from any of them. */
export interface RedisClusterSeeds {
  cluster: {
    /** Seed nodes: `"host:port"`, `redis://[user:password@]host:port` URLs, or `{ host, port }`. */
    nodes: readonly ClusterNode[];
    /** ioredis Cluster options (`redisOptions` carries per-node ones such as `password` or `tls`). */
    options?: ClusterOptions;
  };
}

/**
 * Where Redis is: a `redis://` URL, ioredis options, Redis Cluster seed nodes, or an ioredis
 * `Redis` / `Cluster` instance. An instance is never used directly: each component takes a
 * `duplicate()` with the options it needs (see {@link createRedis}), and the instance stays yours
 * to close.
 */
export type RedisConnection = string | RedisOptions | RedisClusterSeeds | Redis | Cluster;

/** A client BatchFlow talks to Redis through: one server, or a whole cluster. */
export type RedisClient = Redis | Cluster;

/** True when `connection` is cluster seed nodes rather than one server's options. */
export function isClusterSeeds(connection: RedisConnection): connection is RedisClusterSeeds {
  return typeof connection === 'object' && 'cluster' in connection && !(connection instanceof Redis) && !(connection instanceof Cluster);
}

/**
 * Creates an ioredis client for BullMQ. Workers need `maxRetriesPerRequest: null` so blocking
 * commands survive reconnects; producers instead fail fast (`failFast`) so `submit()` rejects with
 * a clear error while Redis is down rather than hanging in ioredis's offline queue.
 *
 * On a cluster the same per-node options apply (`redisOptions`), and ioredis follows failovers by
 * itself (`MOVED` redirections and slot refreshes); the offline queue stays on there, because a
 * cluster client queues commands during a slot refresh, and `enqueueTimeoutMs` bounds the wait.
 */
export function createRedis(connection: RedisConnection, role: 'worker' | 'producer'): RedisClient {
  checkRedisConnection(connection);
  const roleOptions: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
  const nodeOptions: RedisOptions = role === 'worker' ? roleOptions : { maxRetriesPerRequest: 1, connectTimeout: 5000 };
  let redis: RedisClient;
  if (connection instanceof Cluster) {
    redis = connection.duplicate(undefined, { redisOptions: { ...connection.options.redisOptions, ...nodeOptions } });
  } else if (connection instanceof Redis) {
    redis = connection.duplicate({ ...roleOptions });
  } else if (isClusterSeeds(connection)) {
    const options = connection.cluster.options ?? {};
    redis = new Cluster([...connection.cluster.nodes], { ...options, redisOptions: { ...options.redisOptions, ...nodeOptions } });
  } else {
    redis = typeof connection === 'string' ? new Redis(connection, roleOptions) : new Redis({ ...connection, ...roleOptions });
  }
  // First listener on the client: a refused AUTH is scrubbed before any other listener, or any
  // command it rejects, can log it (the same error object reaches all of them).
  redis.on('error', redactCommandCredentials);
  return redis;
}

/**
 * Where the queues are: Redis (the default: a URL, ioredis options, cluster seeds or an ioredis
 * instance), or PostgreSQL through BullMQ's PostgreSQL backend (`{ postgres: url | pg.Pool, schema? }`).
 */
export type QueueConnection = RedisConnection | PostgresQueueConnection;

/** A client of the queues' store: Redis (one server or a cluster), or a PostgreSQL queue database. */
export type QueueClient = RedisClient | PostgresQueueClient;

/** True when `client` is a PostgreSQL queue database rather than Redis. */
export function isPostgresQueueClient(client: QueueClient): client is PostgresQueueClient {
  return client instanceof PostgresQueueClient;
}

/** Creates the client of the chosen queue backend (see {@link createRedis} for the roles on Redis). */
export function createQueueClient(connection: QueueConnection, role: 'worker' | 'producer'): QueueClient {
  return isPostgresQueueConnection(connection) ? new PostgresQueueClient(connection, role) : createRedis(connection, role);
}
