import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../../src/errors/config-error.js';
import { buildSchemas } from './build-schemas.js';
import { configFileSchema } from './config-schema.js';
import { applyEnvOverrides, CONFIG_PATH_ENV } from './env-overrides.js';
import { resolveEnvReferences } from './env-references.js';
import { checkHttpExposure } from './http-auth-rules.js';
import type { ConfigFile } from './config-schema.js';
import type { ConfigSource, WorkerConfig } from './worker-config.js';
import { configErrorFromZod } from './zod-issue.js';

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * Path of the JSON config file (the CLI's `--config`).
   * @defaultValue env `BATCHFLOW_CONFIG`, else no file: `fallback` is used
   */
  path?: string | undefined;
  /**
   * The config to run when no file is given (the worker's built-in demo).
   * @defaultValue none: a missing config is an error
   */
  fallback?: Record<string, unknown>;
  /** Environment to read overrides and `env:` references from. @defaultValue `process.env` */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base for a relative `path`. @defaultValue `process.cwd()` */
  cwd?: string;
}

/**
 * Reads, merges and validates the service config once: file (or fallback), then `env:NAME`
 * references, then environment overrides, then the zod schema and cross-field checks. The one
 * place in BatchFlow that reads `process.env`. Throws a {@link ConfigError} naming the field.
 *
 * @example
 * ```ts
 * const config = loadConfig({ path: 'batchflow.json' });
 * for (const { schema, sink } of config.schemas) console.log(schema.name, '→', sink);
 * ```
 */
export function loadConfig(options: LoadConfigOptions = {}): WorkerConfig {
  const env = options.env ?? process.env;
  const path = options.path ?? (env[CONFIG_PATH_ENV] || undefined);
  let raw: unknown;
  let source: ConfigSource;
  if (path !== undefined) {
    const absolute = resolve(options.cwd ?? process.cwd(), path);
    raw = readJson(absolute, options.path !== undefined ? '--config' : CONFIG_PATH_ENV);
    source = { kind: 'file', path: absolute };
  } else if (options.fallback) {
    raw = options.fallback;
    source = { kind: 'demo' };
  } else {
    throw new ConfigError(CONFIG_PATH_ENV, 'no config file given: pass --config <file> or set BATCHFLOW_CONFIG');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('(root)', 'the config must be a JSON object');
  const resolved = resolveEnvReferences(raw, env) as Record<string, unknown>;
  const { merged, fromEnv } = applyEnvOverrides(resolved, env);
  const parsed = configFileSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    const error = configErrorFromZod(parsed.error);
    const variable = fromEnv.get(error.field);
    throw variable ? new ConfigError(`${error.field} (from ${variable})`, error.message.slice(error.field.length + 2)) : error;
  }
  const file = parsed.data;
  if (file.http.enabled) {
    const { host, auth, ingest, ingestToken } = file.http;
    checkHttpExposure({ host, auth, ingest, ingestToken }, { auth: 'http.auth', ingestToken: 'http.ingestToken', ingest: 'http.ingest' });
  }
  const schemas = buildSchemas(file);
  if (file.queue.postgresUrl && file.redis.cluster) throw new ConfigError('queue.postgresUrl', 'queues are on PostgreSQL or on a Redis Cluster, not both: drop redis.cluster (hash tags are a Redis Cluster feature; PostgreSQL spreads load with partitions and replicates with synchronous replication)');
  const baseDir = source.kind === 'file' ? dirname(source.path) : resolve(options.cwd ?? process.cwd());
  return Object.freeze({ source, baseDir, redisUrl: file.redisUrl, redis: queueConnection(file), prefix: file.prefix, logLevel: file.logLevel, keepCompletedJobs: file.keepCompletedJobs, http: file.http, tracing: file.tracing, sinks: file.sinks, schemas });
}

function readJson(path: string, field: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(field, `cannot read config file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the error, which may hold a password: report a position only.
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    const where = position === undefined ? '' : ` at ${lineAndColumn(text, Number(position))}`;
    throw new ConfigError(field, `config file ${path} is not valid JSON${where}`);
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** The queue store of the config: PostgreSQL when `queue.postgresUrl` is set, else the Redis Cluster seeds, else `redisUrl`. */
function queueConnection(file: ConfigFile): WorkerConfig['redis'] {
  if (file.queue.postgresUrl) return { postgres: file.queue.postgresUrl, schema: file.queue.schema };
  return file.redis.cluster ? { cluster: { nodes: file.redis.cluster.nodes } } : file.redisUrl;
}
