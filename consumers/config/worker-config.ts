import type { Schema } from '../../src/core/schema.js';
import type { SinkConfig } from '../../src/drivers/sink-definition.js';
import type { ConfigFile } from './config-schema.js';
import type { BatchConsumerTuning } from '../../src/queue/consumer/index.js';

/** Batch tuning of one schema after `defaults` and the schema's own overrides are merged. */
export type SchemaTuning = BatchConsumerTuning & { readonly concurrency?: number };

/** One schema the worker serves, ready to hand to a `BatchConsumer`. */
export interface SchemaConfig {
  /** The core schema built from the entry (validated identifiers, key columns, types). */
  readonly schema: Schema;
  /** Name of the sink in `sinks` it is written to. */
  readonly sink: string;
  /** Create the table (`CREATE TABLE IF NOT EXISTS`) at start-up. */
  readonly createTable: boolean;
  /**
   * What the start-up schema check may change: `'add-columns'` adds missing nullable columns
   * (`ALTER TABLE … ADD COLUMN`, each statement logged); `'none'` only compares.
   * @defaultValue `'none'`
   */
  readonly evolve: 'none' | 'add-columns';
  readonly tuning: SchemaTuning;
}

/** Where the config came from: a file path, or the built-in demo. */
export type ConfigSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'demo' };

/**
 * The validated, defaulted config of the worker service and the CLI. Secrets it holds (URLs,
 * credentials) must go through `describeConfig` before they reach a log.
 */
export interface WorkerConfig {
  readonly source: ConfigSource;
  /** Directory relative paths in the config resolve against: the config file's, else the working directory. */
  readonly baseDir: string;
  readonly redisUrl: string;
  /**
   * Where the queues are, what every producer, consumer and CLI command connects with: the
   * PostgreSQL queue database when `queue.postgresUrl` is set, else the cluster seeds when
   * `redis.cluster` is set, else `redisUrl`.
   */
  readonly redis: string | { readonly cluster: { readonly nodes: readonly string[] } } | { readonly postgres: string; readonly schema: string };
  readonly prefix: string;
  readonly logLevel: ConfigFile['logLevel'];
  /** Completed jobs kept per schema queue (Bull Board's history), for the producers the service and CLI create. */
  readonly keepCompletedJobs: ConfigFile['keepCompletedJobs'];
  readonly http: ConfigFile['http'];
  /** OpenTelemetry tracing of the service (see `CONFIG_DEFAULTS.tracing`). */
  readonly tracing: ConfigFile['tracing'];
  readonly sinks: Readonly<Record<string, SinkConfig>>;
  readonly schemas: readonly SchemaConfig[];
}
