import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { describeConfig } from '../src/config/describe-config.js';
import type { WorkerConfig } from '../src/config/worker-config.js';
import type { SchemaDiff } from '../src/core/schema-diff.js';
import { createSinkTables, openSink } from '../src/drivers/open-sink.js';
import type { SinkExecutor } from '../src/drivers/sink-definition.js';
import { PrometheusReporter } from '../src/metrics/prometheus-reporter.js';
import { BatchConsumer } from '../src/queue/batch-consumer.js';
import { createRedis, type RedisClient } from '../src/queue/connection.js';
import { Producer } from '../src/queue/producer.js';
import { SchemaQueueView } from '../src/queue/schema-queue-view.js';
import { SchemaDriftError } from '../src/errors/schema-drift-error.js';
import { logConsumerEvents } from './consumer-log.js';
import { checkSchemasAtStart, prepareLedgersAtStart } from './schema-check.js';
import { REDIS_ADVICE } from './dependency-hints.js';
import { DependencyWatch } from './dependency-watch.js';
import type { Readiness, SinkHealth } from './http/health.js';
import { createHttpServer, type ListeningHttpServer } from './http-server.js';

/** Options of {@link WorkerService}. */
export interface WorkerServiceOptions {
  /** Validated config, e.g. from `loadConfig`. */
  config: WorkerConfig;
  logger: Logger;
  /**
   * Receives one human line when Redis or a sink is unreachable at start: what is wrong and what
   * to do (URLs redacted). The CLI prints it on stderr; the JSON log gets it either way.
   * @defaultValue the JSON log only
   */
  notice?: (line: string) => void;
  /** Traces batches and HTTP ingest (the caller registered the OpenTelemetry SDK). @defaultValue false */
  tracing?: boolean;
}

/**
 * The worker process: one executor per sink, one `BatchConsumer` per schema, Prometheus
 * metrics, and the HTTP port (/metrics, /healthz, /readyz, Bull Board at /admin, ingest at /v1).
 *
 * @example
 * ```ts
 * const service = new WorkerService({ config: loadConfig({ fallback: DEMO_CONFIG }), logger });
 * await service.start();
 * closeOnSignals(() => service.stop());
 * ```
 */
export class WorkerService {
  /** Metrics of every consumer and of HTTP ingest, served at `/metrics`. */
  readonly metrics = new PrometheusReporter();
  readonly #config: WorkerConfig;
  readonly #log: Logger;
  readonly #executors = new Map<string, SinkExecutor>();
  readonly #consumers: BatchConsumer[] = [];
  readonly #views: SchemaQueueView[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  #redis: RedisClient | undefined;
  #producer: Producer | undefined;
  #http: ListeningHttpServer | undefined;
  #ready = false;
  #stopping: Promise<void> | undefined;
  readonly #tracing: boolean;
  readonly #watch: DependencyWatch;

  constructor(options: WorkerServiceOptions) {
    this.#config = options.config;
    this.#log = options.logger;
    this.#tracing = options.tracing ?? false;
    this.#watch = new DependencyWatch(options.notice ?? (() => {}), options.logger);
  }

  /** The HTTP server's base URL once started (undefined when `http.enabled` is false). */
  get httpUrl(): string | undefined {
    return this.#http?.url;
  }

  /**
   * Creates missing tables, checks every SQL schema against its table (rejecting with a
   * `SchemaDriftError` on a mismatch, before any consumer exists), starts the consumers and the
   * HTTP server; resolves once consuming.
   */
  async start(): Promise<void> {
    const config = this.#config;
    this.#log.info({ event: 'starting', config: describeConfig(config) }, 'worker starting');
    const diffs: SchemaDiff[] = [];
    for (const [name, sink] of Object.entries(config.sinks)) {
      const schemas = config.schemas.filter((s) => s.sink === name);
      if (schemas.length === 0) continue;
      // Each sink's registry definition knows its DDL and loads its client library only now.
      const place = { name, baseDir: config.baseDir };
      await createSinkTables(place, sink, schemas.filter((s) => s.createTable).map((s) => s.schema)).catch((err: unknown) => {
        this.#watch.reportSinkFailure(name, sink, err);
        throw err;
      });
      diffs.push(...(await checkSchemasAtStart(name, sink, schemas, this.#log, this.#watch)));
      const executor = await openSink(place, sink);
      this.#executors.set(name, executor);
      await prepareLedgersAtStart(name, executor, schemas, this.#log);
      // Not awaited: an unreachable sink holds its batches (the jobs wait in Redis); it only gets its line.
      void this.#watch.checkSink(name, sink, executor);
    }
    // Refuse to start on drift before any consumer exists: nothing is taken, nothing dead-lettered.
    if (diffs.some((diff) => !diff.ok)) throw new SchemaDriftError(diffs);
    this.#redis = createRedis(config.redis, 'worker');
    this.#redis.on('error', () => {}); // the consumers report Redis trouble; this client only serves /readyz and Bull Board
    if (this.#redis instanceof Redis) this.#watch.watchRedis(this.#redis, config.redisUrl);
    for (const { schema, sink, tuning } of config.schemas) {
      const consumer = new BatchConsumer({ connection: config.redis, prefix: config.prefix, schema, executor: this.#executors.get(sink) as SinkExecutor, metrics: this.metrics, tracing: this.#tracing, ...tuning });
      logConsumerEvents(consumer, this.#log);
      this.#consumers.push(consumer);
      const view = await SchemaQueueView.open(schema.name, this.#redis, config.prefix, schema.partitions);
      this.#views.push(view);
      // Bull Board lists another `partitions` layout's queues while they hold anything (README "Partitions").
      if (tuning.layoutCheckIntervalMs > 0) {
        const timer = setInterval(() => void view.refresh().catch((err: unknown) => this.#log.warn({ event: 'layout-refresh-failed', schema: schema.name, err }, 'could not look for other partition layouts')), tuning.layoutCheckIntervalMs);
        timer.unref();
        this.#timers.push(timer);
      }
    }
    if (config.http.enabled) await this.#startHttp();
    await Promise.all(this.#consumers.map((c) => c.waitUntilReady()));
    this.#ready = true;
    this.#log.info({ event: 'ready', schemas: config.schemas.map((s) => s.schema.name), http: this.httpUrl ?? 'disabled' }, 'worker ready');
  }

  /**
   * Graceful stop: /readyz turns 503, consumers stop taking jobs and commit their in-flight
   * batches (each within its `shutdownTimeoutMs`), then sinks, HTTP and Redis are closed.
   * Rejects if any part failed to close. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#ready = false;
    const started = performance.now();
    this.#log.info({ event: 'stopping', consumers: this.#consumers.length }, 'stopping: flushing in-flight batches');
    const failures: unknown[] = [];
    const settle = async (what: string, work: Array<Promise<unknown> | undefined>) => {
      for (const result of await Promise.allSettled(work)) {
        if (result.status === 'rejected') {
          failures.push(result.reason);
          this.#log.error({ event: 'stop-failed', what, err: result.reason }, `closing ${what} failed`);
        }
      }
    };
    for (const timer of this.#timers) clearInterval(timer);
    await settle('consumers', this.#consumers.map((c) => c.close()));
    await settle('producer and queues', [this.#producer?.close(), ...this.#views.map((v) => v.close())]);
    await settle('sinks', [...this.#executors.values()].map((e) => e.close()));
    await settle('http', [this.#http?.close()]);
    this.#redis?.disconnect();
    this.#log.info({ event: 'stopped', seconds: (performance.now() - started) / 1000, failures: failures.length }, 'worker stopped');
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} part(s) of the worker failed to close`);
  }

  async #startHttp(): Promise<void> {
    const { http, prefix, redis, schemas, keepCompletedJobs } = this.#config;
    if (http.ingest) {
      this.#producer = new Producer({ connection: redis, prefix, schemas: schemas.map((s) => s.schema), metrics: this.metrics, keepCompletedJobs, tracing: this.#tracing });
    }
    const server = createHttpServer({
      host: http.host,
      port: http.port,
      auth: http.auth,
      readOnly: http.readOnly,
      metrics: this.metrics,
      ready: () => this.#readiness(),
      queues: () => this.#views.flatMap((view) => view.queues),
      producer: this.#producer,
      ingestToken: this.#producer ? http.ingestToken : undefined,
      ingestTracing: this.#tracing,
      onError: (err) => this.#log.error({ event: 'http-error', err }, 'HTTP request failed'),
    });
    this.#http = await server.listen();
    this.#log.info({ event: 'http', address: this.#http.url, admin: `${this.#http.url}/admin` }, `serving /metrics, /healthz, /readyz, /admin at ${this.#http.url}`);
  }

  /**
   * Ready while Redis answers and the consumers run. A sick sink does not make the worker
   * unready (its jobs wait safely in Redis, and HTTP ingest still works), but `sinks` says which
   * schema is held and why.
   */
  async #readiness(): Promise<Readiness> {
    // While disconnected a ping would wait in the offline queue past /readyz's timeout, hiding which check failed.
    const redis = this.#redis?.status === 'ready' && (await this.#redis.ping().then((pong) => pong === 'PONG', () => false));
    await this.#watch.recheckSinks(this.#executors, this.#config.sinks);
    const missing = this.#watch.missing;
    if (!redis) missing.redis ??= REDIS_ADVICE;
    const consumers = this.#ready && this.#consumers.every((c) => c.state !== 'closed' && c.state !== 'closing');
    const sinks: Record<string, SinkHealth> = {};
    for (const consumer of this.#consumers) {
      const { breaker, holding } = consumer.health;
      sinks[consumer.schema.name] = { breaker, holding: holding ? { reason: holding.reason, code: holding.code ?? null, message: holding.message } : null };
    }
    return { ready: redis === true && consumers, checks: { redis: redis === true, consumers }, sinks, ...(Object.keys(missing).length > 0 && { missing }) };
  }
}
