import { loadConfig } from '../config/load-config.js';
import { redactSecrets } from '../../src/drivers/redact-secrets.js';
import type { SchemaConfig, WorkerConfig } from '../config/worker-config.js';
import type { RedisClient } from '../../src/queue/connection.js';
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
 * Connects to Redis (one server, or a cluster from its seed nodes), failing within `timeoutMs`
 * with a message that names the (redacted) URL or seeds instead of retrying forever as a
 * long-running worker would.
 */
export async function connectRedis(connection: WorkerConfig['redis'], timeoutMs = 5000): Promise<RedisClient> {
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

/** Runs `work` with a Redis connection, disconnecting afterwards whatever happens. */
export async function withRedis<T>(config: WorkerConfig, work: (redis: RedisClient) => Promise<T>): Promise<T> {
  const redis = await connectRedis(config.redis);
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}
