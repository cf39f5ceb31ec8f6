import { resolveOptions } from '../../core/resolve-options.js';
import { ConfigError } from '../../errors/config-error.js';
import type { Telemetry } from 'bullmq';
import type { MetricsReporter } from '../../metrics/metrics-reporter.js';
import { TRACING_DEFAULTS, type TracingOptions } from '../../tracing/tracing-options.js';
import type { Schema } from '../../core/schema.js';
import type { QueueConnection } from '../connection.js';
import { isPostgresQueueConnection } from '../postgres-queue-client.js';
import { SCHEMA_JOB_DEFAULTS, validateKeepCompletedJobs, type KeepCompletedJobs } from '../job-options.js';
import type { PackingLimits } from './packing-buffer.js';
import { DEFAULT_PREFIX } from '../queue-names.js';
import { resolveReplicaWait, type ReplicaWaitOptions } from './replica-wait.js';

/** Options of producer packing (see {@link ProducerOptions.packing}). */
export interface PackingOptions {
  /** Requests one job holds at most. @defaultValue 100 */
  maxRequestsPerJob?: number;
  /**
   * Estimated JSON bytes one job holds at most (strings counted one byte per character), so that
   * packed jobs stay small in Redis and in a worker's memory. A single request larger than this
   * (but within `maxPayloadBytes`) travels alone.
   * @defaultValue 1048576 (1 MiB)
   */
  maxBytesPerJob?: number;
  /**
   * Least time a partial job waits for more requests before it is sent, like Kafka's `linger.ms`.
   * 0: no fixed wait; a job waits only while the previous send to its queue is in flight.
   * @defaultValue 0
   */
  lingerMs?: number;
}

/** Options of {@link Producer}. */
export interface ProducerOptions extends TracingOptions {
  /**
   * Where the queues are: Redis (a URL, ioredis options, cluster seeds or a client), or
   * PostgreSQL through BullMQ's PostgreSQL backend: `{ postgres: url | pg.Pool, schema? }`
   * (docs/guides/queue-backend.md). A producer never creates the PostgreSQL queue schema: run
   * `batchflow migrate` or `migrateQueueSchema()` first (the worker does at start).
   */
  connection: QueueConnection;
  /** Schemas this producer may submit to. */
  schemas: readonly Schema[];
  /** Redis key prefix shared with the consumers. @defaultValue `'batchflow'` */
  prefix?: string;
  /** Largest JSON size of one request. @defaultValue 1048576 (1 MiB) */
  maxPayloadBytes?: number;
  /**
   * Adaptive packing of requests into jobs, like Nagle's algorithm: a request submitted while no
   * send to its queue is in flight is sent at once, as its own job; requests submitted while a
   * send is in flight travel together in the next job (up to `maxRequestsPerJob` and
   * `maxBytesPerJob`). At low load that is one job per request with no added latency; under load
   * jobs fill by themselves, which divides the queue's cost per request (about two Redis scripts
   * per job) by the packing factor. Every `submit()` still resolves only once its job is stored,
   * a request with an `idempotencyKey` travels alone, and the consumer dead-letters per request.
   * In Bull Board a packed job keeps the schema's name; its data shows the request count (`n`)
   * and the requests (`rows`).
   *
   * `false` gives one job per request. That was the default until packing became adaptive: it ran at
   * about 8k requests/s end to end on 2 cores, no faster than a BullMQ no-op Worker, because each
   * job costs the queue the same whatever it holds (see docs/benchmarks.md).
   * `true` or an object turns it on, with the object's limits.
   * @defaultValue `true` (`{ maxRequestsPerJob: 100, maxBytesPerJob: 1048576, lingerMs: 0 }`)
   */
  packing?: boolean | PackingOptions;
  /**
   * How many times BullMQ re-runs a job whose processing failed for a reason outside the sink
   * (e.g. Redis unavailable while dead-lettering). Sink failures never consume these.
   * @defaultValue 25
   */
  jobAttempts?: number;
  /**
   * Longest wait for Redis to confirm an enqueue. Past it `submit()` rejects with a
   * `QueueUnavailableError` instead of hanging while Redis is down (ioredis would otherwise
   * wait for a reconnect indefinitely).
   * @defaultValue 10000
   */
  enqueueTimeoutMs?: number;
  /**
   * Completed jobs Redis keeps per schema queue, for Bull Board's Completed tab; `false` removes
   * each job once its batch commits. Jobs with an `idempotencyKey` are always removed on completion.
   * @defaultValue `{ count: 1000, ageSeconds: 3600 }`
   */
  keepCompletedJobs?: KeepCompletedJobs;
  /**
   * Durability across a failover: `submit()` resolves only once `count` replicas hold the job
   * (`WAIT count timeoutMs` on the master that stored it, also on a cluster), and rejects with a
   * `ReplicationTimeoutError` when fewer acknowledged in time. Redis replicates asynchronously, so
   * without it a master that dies just after acknowledging can lose the job. Costs one WAIT round
   * trip per group of concurrent submits (see docs/guides/partitions-and-cluster.md, "Redis Cluster").
   * @defaultValue `false` (resolve once the master stored the job)
   */
  replicas?: false | ReplicaWaitOptions;
  /** @defaultValue the no-op reporter */
  metrics?: MetricsReporter;
}

/** Defaults of {@link PackingOptions}. */
export const PACKING_DEFAULTS: Readonly<PackingLimits> = Object.freeze({ maxRequestsPerJob: 100, maxBytesPerJob: 1024 * 1024, lingerMs: 0 });

/** Defaults of {@link ProducerOptions}. */
export const PRODUCER_DEFAULTS = Object.freeze({
  prefix: DEFAULT_PREFIX,
  maxPayloadBytes: 1024 * 1024,
  packing: true as boolean | PackingOptions,
  jobAttempts: SCHEMA_JOB_DEFAULTS.jobAttempts,
  enqueueTimeoutMs: 10_000,
  replicas: false as false | ReplicaWaitOptions,
  keepCompletedJobs: SCHEMA_JOB_DEFAULTS.keepCompletedJobs as KeepCompletedJobs,
  ...TRACING_DEFAULTS,
});

/** Producer options after defaults are applied: `packing` is resolved limits, or `false`. */
export interface ResolvedProducerOptions {
  readonly connection: QueueConnection;
  readonly schemas: readonly Schema[];
  readonly prefix: string;
  readonly maxPayloadBytes: number;
  readonly packing: Readonly<PackingLimits> | false;
  readonly jobAttempts: number;
  readonly enqueueTimeoutMs: number;
  readonly replicas: Readonly<Required<ReplicaWaitOptions>> | false;
  readonly keepCompletedJobs: KeepCompletedJobs;
  readonly metrics?: MetricsReporter;
  readonly tracing: boolean;
  readonly telemetry?: Telemetry;
}

/** Applies the defaults and validates every numeric field once; a bad one fails with a `ConfigError` naming it. */
export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  const o = resolveOptions<Required<Omit<ProducerOptions, 'metrics' | 'telemetry'>> & Pick<ProducerOptions, 'metrics' | 'telemetry'>>(PRODUCER_DEFAULTS, options);
  for (const field of ['maxPayloadBytes', 'jobAttempts', 'enqueueTimeoutMs'] as const) positiveInt(field, o[field]);
  validateKeepCompletedJobs('keepCompletedJobs', o.keepCompletedJobs);
  if (o.replicas !== false && isPostgresQueueConnection(o.connection)) {
    throw new ConfigError('replicas', 'Redis WAIT is not available on the PostgreSQL queue backend; use PostgreSQL synchronous replication instead (synchronous_standby_names with synchronous_commit = on or remote_apply): a submit() then resolves only once a standby holds the job');
  }
  if (typeof o.prefix !== 'string' || o.prefix.length === 0) throw new ConfigError('prefix', `must be a non-empty string, got ${JSON.stringify(o.prefix)}`);
  let packing: Readonly<PackingLimits> | false = false;
  if (o.packing === true) packing = PACKING_DEFAULTS;
  else if (o.packing !== false) {
    if (o.packing === null || typeof o.packing !== 'object') throw new ConfigError('packing', `must be true, false or an object, got ${JSON.stringify(o.packing)}`);
    packing = resolveOptions<PackingLimits>(PACKING_DEFAULTS, o.packing);
    positiveInt('packing.maxRequestsPerJob', packing.maxRequestsPerJob);
    positiveInt('packing.maxBytesPerJob', packing.maxBytesPerJob);
    if (!Number.isInteger(packing.lingerMs) || packing.lingerMs < 0) {
      throw new ConfigError('packing.lingerMs', `must be 0 (no fixed wait) or a positive integer, got ${JSON.stringify(packing.lingerMs)}`);
    }
  }
  return Object.freeze({ ...o, packing, replicas: resolveReplicaWait(o.replicas) });
}

function positiveInt(field: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) <= 0) throw new ConfigError(field, `must be a positive integer, got ${JSON.stringify(value)}`);
}
