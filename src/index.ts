/**
 * BatchFlow (`bullmq-batchflow`): a durable, queue-backed batch writer on BullMQ.
 *
 * The main entry exports what an application writes: schemas and requests, the {@link Producer},
 * the {@link BatchConsumer}, the dead-letter queue, the drivers and their options, the executor
 * and metrics contracts, the errors, the mock executor and {@link closeOnSignals}. Each name here
 * is part of the semver contract (see `etc/bullmq-batchflow.api.md`); everything not exported is
 * internal. Sink authors import from `bullmq-batchflow/plugin`; each driver also has its own
 * subpath (`/postgres`, `/mysql`, `/sqlite`, `/redis`).
 *
 * @example
 * ```ts
 * import { BatchConsumer, PostgresDriver, Producer, SQLSchema } from 'bullmq-batchflow';
 * const users = SQLSchema('users', 'update', { id: 'int64', name: 'string' });
 * await new Producer({ connection: 'redis://127.0.0.1:6379', schemas: [users] }).submit(users, { id: 1n, name: 'Ada' });
 * new BatchConsumer({ connection: 'redis://127.0.0.1:6379', schema: users, executor: new PostgresDriver({ connectionString: process.env.PG_URL }) });
 * ```
 *
 * @packageDocumentation
 */

// Schemas and requests
export { Schema, SQLSchema, isSQLSchema, MAX_PARTITIONS, type ConflictStrategy, type Row, type RowOf, type SchemaOptions, type SQLSchemaOptions } from './core/schema.js';
export type { BaseColumnType, ColumnType, Value, ValueOf } from './core/column-type.js';
export { Request } from './core/request.js';
export type { DeliveryGuarantee, DeliveryId, DeliveryLedger } from './core/delivery.js';
export type { RowVersion, VersionSource } from './core/row-version.js';
export { partitionOf } from './core/partition-of.js';

// Producer
export { Producer, type SubmitOptions } from './queue/producer/index.js';
export { PACKING_DEFAULTS, PRODUCER_DEFAULTS, type PackingOptions, type ProducerOptions } from './queue/producer/index.js';
export { DEFAULT_PREFIX } from './queue/queue-names.js';
export type { QueueConnection, RedisClusterSeeds, RedisConnection } from './queue/connection.js';
export { DEFAULT_QUEUE_SCHEMA, PostgresQueueClient, type PgPoolClientLike, type PgPoolLike, type PostgresQueueConnection } from './queue/postgres-queue-client.js';
export type { QueueClient } from './queue/connection.js';
export { migrateQueueSchema } from './queue/state/migrate-queue-schema.js';

// Batch consumer
export { BatchConsumer } from './queue/consumer/index.js';
export { BATCH_CONSUMER_DEFAULTS, type BatchConsumerOptions, type BatchConsumerTuning } from './queue/consumer/index.js';
export type { BatchConsumerEvents, BatchConsumerState, ConsumerHealth } from './queue/consumer/index.js';
export type { KeepCompletedJobs } from './queue/job-options.js';
export { consoleConsumerLogger, type ConsumerLogger } from './queue/consumer/index.js';
export type { CheckedRow, RowOfSchema, SubmittedRow } from './queue/producer/index.js';

// Table setup for library users: the worker's createTable and schema check
export { checkSchema, type CheckSchemaOptions } from './drivers/check-schema.js';
export type { SchemaEvolve } from './drivers/check-schemas.js';

// Dead-letter queue
export { DeadLetterQueue } from './queue/dead-letter/index.js';
export { DEAD_LETTER_CLASSES, type DeadLetterClass, type DeadLetterEntry, type ReplayHistory } from './queue/dead-letter-entry.js';
export {
  DEAD_LETTER_QUEUE_DEFAULTS,
  type DeadLetterBulkOptions,
  type DeadLetterBulkResult,
  type DeadLetterQueueOptions,
  type DeadLetterRefusal,
  type DeadLetterReplayOptions,
  type DeadLetterReplayResult,
} from './queue/dead-letter/index.js';
export type { DeadLetterFilter, DeadLetterRecord, DeadLetterScanOptions } from './queue/dead-letter/index.js';
export type { DeadLetterGroup, DeadLetterGroupField, DeadLetterGroupOptions } from './queue/dead-letter/index.js';
export type { DeadLetterTransform, ReplayDecision } from './queue/dead-letter/index.js';

// Drivers and their options (each also on its own subpath)
export { PostgresDriver } from './drivers/postgres/postgres-driver.js';
export { POSTGRES_DRIVER_DEFAULTS, type PostgresClientLike, type PostgresDriverOptions, type PostgresPoolLike } from './drivers/postgres/postgres-driver-options.js';
export { MySqlDriver } from './drivers/mysql/mysql-driver.js';
export { MYSQL_DRIVER_DEFAULTS, type MySqlConnectionLike, type MySqlDriverOptions, type MySqlPoolLike } from './drivers/mysql/mysql-driver-options.js';
export { SqliteDriver, SQLITE_DRIVER_DEFAULTS, type SqliteDatabaseLike, type SqliteDriverOptions, type SqliteStatementLike, type SqliteTimestampFormat } from './drivers/sqlite/sqlite-driver.js';
export { RedisDriver, REDIS_DRIVER_DEFAULTS, type RedisDriverOptions } from './drivers/redis/redis-driver.js';
export { DEFAULT_REDIS_ALLOWLIST } from './drivers/redis/command-builder.js';
export type { RedisClientLike, RedisCommandQueue } from './drivers/redis/redis-client.js';

// The executor and metrics contracts
export type { BatchExecutor } from './core/batch-executor.js';
export { noopMetrics, type BreakerStateValue, type ExecuteStatus, type MetricsReporter, type QueueDepthState } from './metrics/metrics-reporter.js';
export { PrometheusReporter, PROMETHEUS_REPORTER_DEFAULTS, type PrometheusReporterOptions } from './metrics/prometheus-reporter.js';

// Errors
export { BatchFlowError } from './errors/batchflow-error.js';
export { AbortedError } from './errors/aborted-error.js';
export { ConfigError } from './errors/config-error.js';
export { DecodeError } from './errors/decode-error.js';
export { MissingClientError } from './errors/missing-client-error.js';
export { PartialWriteError, type RequestFailure } from './errors/partial-write-error.js';
export { QueueUnavailableError } from './errors/queue-unavailable-error.js';
export { ReplicationTimeoutError } from './errors/replication-timeout-error.js';
export { SchemaDefinitionError } from './errors/schema-definition-error.js';
export { SchemaDriftError } from './errors/schema-drift-error.js';
export type { SchemaDiff, SchemaNote, SchemaProblem, SchemaProblemKind } from './errors/schema-diff-report.js';
export { SinkError } from './errors/sink-error.js';
export type { FailureReason } from './errors/failure-reason.js';
export { ValidationError, type ValidationKind } from './errors/validation-error.js';

// Tracing (OpenTelemetry, opt-in; `@opentelemetry/api` is an optional peer)
export { TRACING_DEFAULTS, TRACER_NAME, type BatchOutcome, type TracingOptions } from './tracing/index.js';

// Testing and process lifecycle
export { MockExecutor, type MockExecutorCall, type MockExecutorOptions } from './testing/mock-executor.js';
export { closeOnSignals, type CloseOnSignalsOptions } from './runtime/shutdown-signals.js';
