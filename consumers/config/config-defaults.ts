import { BATCH_CONSUMER_DEFAULTS, BATCH_CONSUMER_TUNING, type BatchConsumerTuning, type BatchConsumerTuningField } from '../../src/queue/consumer/index.js';
import { SCHEMA_JOB_DEFAULTS } from '../../src/queue/job-options.js';
import { DEFAULT_PREFIX } from '../../src/queue/queue-names.js';
import { DEFAULT_QUEUE_SCHEMA } from '../../src/queue/postgres-queue-client.js';

/**
 * Defaults of the worker service's config file, in one place. Every field of the file that
 * is left out takes its value from here; the batch tuning fields come from the
 * `BatchConsumer` defaults so the library and the service never disagree.
 */
export const CONFIG_DEFAULTS = Object.freeze({
  /** Redis holding the queues. Env `REDIS_URL` overrides. @defaultValue `'redis://127.0.0.1:6379'` */
  redisUrl: 'redis://127.0.0.1:6379',
  queue: Object.freeze({
    /** The PostgreSQL schema holding the queues when `queue.postgresUrl` is set. Env `BATCHFLOW_QUEUE_SCHEMA` overrides. @defaultValue `'bullmq'` */
    schema: DEFAULT_QUEUE_SCHEMA,
  }),
  /** Redis key prefix shared by producers and workers. Env `BATCHFLOW_PREFIX` overrides. @defaultValue `'batchflow'` */
  prefix: DEFAULT_PREFIX,
  /** pino log level. Env `BATCHFLOW_LOG_LEVEL` overrides. @defaultValue `'info'` */
  logLevel: 'info' as const,
  /**
   * Completed jobs kept per schema queue for Bull Board's history (jobs enqueued by HTTP ingest
   * and `batchflow enqueue`); `false` keeps none.
   * @defaultValue `{ count: 1000, ageSeconds: 3600 }`
   */
  keepCompletedJobs: SCHEMA_JOB_DEFAULTS.keepCompletedJobs,
  http: Object.freeze({
    /** Serve /metrics, /healthz, /readyz, Bull Board and HTTP ingest. @defaultValue `true` */
    enabled: true,
    /** Listen address; anything beyond loopback requires `http.auth`. Env `BATCHFLOW_HTTP_HOST`. @defaultValue `'127.0.0.1'` */
    host: '127.0.0.1',
    /** Listen port (0 picks a free one). Env `BATCHFLOW_HTTP_PORT`. @defaultValue `9464` */
    port: 9464,
    /** Bull Board without retry/clean/remove buttons, and no DLQ actions over HTTP. @defaultValue `false` */
    readOnly: false,
    /** Accept rows over HTTP at `POST /v1/...` (see `http.ingestToken`). @defaultValue `true` */
    ingest: true,
  }),
  tracing: Object.freeze({
    /**
     * OpenTelemetry traces, exported over OTLP (needs the optional packages
     * `@opentelemetry/sdk-trace-node`, `@opentelemetry/exporter-trace-otlp-http`, `@opentelemetry/resources`).
     * Also on when `OTEL_TRACES_EXPORTER=otlp` or an `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is set;
     * off whatever else says so when `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
     * @defaultValue `false`
     */
    enabled: false,
    /** The traces' `service.name`; env `OTEL_SERVICE_NAME` overrides. @defaultValue `'batchflow-worker'` */
    serviceName: 'batchflow-worker',
  }),
  /**
   * Batch tuning for every schema; each schema entry may override any of these. The fields and
   * their defaults are `BatchConsumer`'s own (see `BatchConsumerOptions` for each one's meaning
   * and `@defaultValue`), so the library and the service never disagree.
   */
  defaults: Object.freeze(
    Object.fromEntries(Object.keys(BATCH_CONSUMER_TUNING).map((field) => [field, BATCH_CONSUMER_DEFAULTS[field as BatchConsumerTuningField]])) as BatchConsumerTuning,
  ),
});

/** Names of the batch tuning fields that `defaults` holds and each schema may override. */
export type TuningField = BatchConsumerTuningField;
