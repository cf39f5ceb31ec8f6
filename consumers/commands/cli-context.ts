import { loadConfig } from '../config/load-config.js';
import { redactSecrets } from '../../src/drivers/redact-secrets.js';
import type { SchemaConfig, WorkerConfig } from '../config/worker-config.js';
import type { QueueClient, RedisClient } from '../../src/queue/connection.js';
import { CliError } from '../cli-error.js';
import { DEMO_CONFIG } from '../demo-schema.js';

/** Options every command shares (declared on the program). */
export interface GlobalOptions {
  config?: string;
}

/** The config the CLI acts on: `--config`, else `BATCHFLOW_CONFIG`, else the worker's built-in demo. */
export function cliConfig(options: GlobalOptions): WorkerConfig {
  return loadConfig({ path: options.config, fallback: { ...DEMO_CONFIG } });
}

/** The configured schema called `name`, or a failure listing the ones there are. */
export function findSchema(config: WorkerConfig, name: string): SchemaConfig {
  const found = config.schemas.find((s) => s.schema.name === name);
  if (!found) {
    const known = config.schemas.map((s) => s.schema.name).join(', ');
    const where = config.source.kind === 'file' ? config.source.path : 'the built-in demo config (no --config or BATCHFLOW_CONFIG given)';
    throw new CliError(`unknown schema "${name}": ${where} defines ${known}`);
  }
  return found;
}

/**
 * A schema a command acts on: one of the config's (with its columns and sink), or one found in
 * Redis by its queues (a schema defined only in an app's code: its name and partitions).
 */
export interface SchemaTarget {
  readonly name: string;
  readonly partitions: number;
  /** The config's entry; absent for a schema found only in Redis. */
  readonly config?: SchemaConfig;
}

/**
 * The schema called `name`: the config's, else one whose queues exist in Redis under the prefix
 * (what a `BatchConsumer` or `Producer` in an app made), else a failure listing both.
 */
export async function findSchemaTarget(config: WorkerConfig, redis: QueueClient, name: string): Promise<SchemaTarget> {
  const configured = config.schemas.find((s) => s.schema.name === name);
  if (configured) return { name, partitions: configured.schema.partitions, config: configured };
  const { discoverSchemas } = await import('../../src/queue/state/discover-schemas.js');
  const found = await discoverSchemas(redis, config.prefix);
  const discovered = found.find((s) => s.name === name);
  if (discovered) return discovered;
  const known = config.schemas.map((s) => s.schema.name).join(', ');
  const where = config.source.kind === 'file' ? config.source.path : 'the built-in demo config (no --config or BATCHFLOW_CONFIG given)';
  const inRedis = found.length > 0 ? `found in Redis under prefix "${config.prefix}": ${found.map((s) => s.name).join(', ')}` : `no queue in Redis under prefix "${config.prefix}" (set BATCHFLOW_PREFIX to your app's prefix)`;
  throw new CliError(`unknown schema "${name}": ${where} defines ${known}; ${inRedis}`);
}

/**
 * Connects to the queue store of the config: Redis (see {@link connectRedisServer}), or the
 * PostgreSQL queue database, checked with one query (and that its queue schema exists), failing
 * within `timeoutMs` with a message that names where and what to do.
 */
export async function connectRedis(connection: WorkerConfig['redis'], timeoutMs = 5000): Promise<QueueClient> {
  if (typeof connection === 'string' || 'cluster' in connection) return connectRedisServer(connection, timeoutMs);
  const { PostgresQueueClient } = await import('../../src/queue/postgres-queue-client.js');
  const { withTimeout } = await import('../../src/core/with-timeout.js');
  const client = new PostgresQueueClient(connection, 'producer');
  let found: Array<{ job: string | null }>;
  try {
    found = await withTimeout(client.query<{ job: string | null }>('SELECT to_regclass($1)::text AS job', [`${client.quotedSchema}.job`]), timeoutMs, () => new Error('timed out'));
  } catch (err) {
    client.disconnect();
    const detail = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(`cannot reach the PostgreSQL queue database at ${client.address} (${detail})`);
  }
  if (!found[0]?.job) {
    client.disconnect();
    throw new CliError(`the PostgreSQL queue schema "${client.schema}" at ${client.address} is not set up: run \`batchflow migrate\` (or start a worker) first`);
  }
  return client;
}

/**
 * Connects to Redis (one server, or a cluster from its seed nodes), failing within `timeoutMs`
 * with a message that names the (redacted) URL or seeds instead of retrying forever as a
 * long-running worker would.
 */
async function connectRedisServer(connection: Exclude<WorkerConfig['redis'], { postgres: string }>, timeoutMs: number): Promise<RedisClient> {
  // Lazy: ioredis is the slowest module to load, and --help or a usage error needs none of it.
  const { createRedis } = await import('../../src/queue/connection.js');
  const redis = createRedis(connection, 'producer');
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!(await ready)) {
    redis.disconnect();
    const detail = (lastError as NodeJS.ErrnoException | undefined)?.code ?? lastError?.message ?? 'timed out';
    const where = typeof connection === 'string' ? redactSecrets(connection) : `cluster seeds ${connection.cluster.nodes.map((node) => (node.includes('://') ? redactSecrets(node) : node)).join(', ')}`;
    throw new CliError(`cannot reach Redis at ${where} (${detail})`);
  }
  return redis;
}

/** Runs `work` with a connection to the queue store (Redis or PostgreSQL), disconnecting afterwards whatever happens. */
export async function withRedis<T>(config: WorkerConfig, work: (redis: QueueClient) => Promise<T>): Promise<T> {
  const redis = await connectRedis(config.redis);
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}
