import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { describeConfig } from './config/describe-config.js';
import type { WorkerConfig } from './config/worker-config.js';
import type { SchemaDiff } from '../src/core/schema-diff.js';
import { createSinkTables, openSink } from '../src/drivers/open-sink.js';
import type { SinkExecutor } from '../src/drivers/sink-definition.js';
import { PrometheusReporter } from '../src/metrics/prometheus-reporter.js';
import { BatchConsumer } from '../src/queue/consumer/index.js';
import { isPostgresQueueClient, type QueueClient } from '../src/queue/connection.js';
import { isPostgresQueueConnection } from '../src/queue/postgres-queue-client.js';
import { migrateQueueSchema } from '../src/queue/state/migrate-queue-schema.js';
import { acquireQueueClient, type SharedQueueClient } from '../src/queue/shared-queue-client.js';
import { upkeepClock, type ScheduledChore } from '../src/core/upkeep-clock.js';
import { Producer } from '../src/queue/producer/index.js';
import { SchemaQueueView } from '../src/queue/admin/index.js';
import { discoverSchemas, type DiscoveredSchema } from '../src/queue/state/discover-schemas.js';
import { withTimeout } from '../src/core/with-timeout.js';
import { SchemaDriftError } from '../src/errors/schema-drift-error.js';
import { logConsumerEvents } from './consumer-log.js';
import { checkSchemasAtStart, prepareLedgersAtStart } from './schema-check.js';
import { POSTGRES_QUEUE_ADVICE, REDIS_ADVICE, sinkStartError } from './dependency-hints.js';
import { CliError } from './cli-error.js';
import { DependencyWatch } from './dependency-watch.js';
import type { Readiness, SinkHealth } from './http/health.js';
import { createHttpServer, type ListeningHttpServer } from './http-server.js';

/** Longest wait at start for Redis and the SCAN that finds schemas made by apps' code (for Bull Board). */
const DISCOVER_TIMEOUT_MS = 1000;

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
  readonly #chores: ScheduledChore[] = [];
  /** The process's worker client, shared with every consumer (they are given the same `config.redis`). */
  #shared: SharedQueueClient | undefined;
  #redis: QueueClient | undefined;
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
      try {
        await createSinkTables(place, sink, schemas.filter((s) => s.createTable).map((s) => s.schema)).catch((err: unknown) => {
          this.#watch.reportSinkFailure(name, sink, err);
          throw err;
        });
        diffs.push(...(await checkSchemasAtStart(name, sink, schemas, this.#log, this.#watch)));
        const executor = await openSink(place, sink);
        this.#executors.set(name, executor);
        await prepareLedgersAtStart(name, executor, schemas, this.#log);
      } catch (err) {
        // Whatever failed, the operator learns which sink, where, the code and what to do.
        throw sinkStartError(name, sink, err);
      }
      const executor = this.#executors.get(name) as SinkExecutor;
      // Not awaited: an unreachable sink holds its batches (the jobs wait in Redis); it only gets its line.
      void this.#watch.checkSink(name, sink, executor);
    }
    // Refuse to start on drift before any consumer exists: nothing is taken, nothing dead-lettered.
    if (diffs.some((diff) => !diff.ok)) throw new SchemaDriftError(diffs);
    if (isPostgresQueueConnection(config.redis)) await this.#migrateQueues(config.redis);
    this.#shared = acquireQueueClient(config.redis);
    this.#redis = this.#shared.client;
    this.#redis.on('error', () => {}); // the consumers report Redis trouble (they share this client: it also serves /readyz and Bull Board)
    if (this.#redis instanceof Redis) this.#watch.watchRedis(this.#redis, config.redisUrl);
    for (const { schema, tuning } of config.schemas) {
      const view = new SchemaQueueView(schema.name, this.#redis, config.prefix, schema.partitions);
      this.#views.push(view);
      // Bull Board lists another `partitions` layout's queues while they hold anything (docs: partitions guide).
      // Looked for in the background: with Redis unreachable, /readyz must still answer (and say so).
      const refresh = (probeAll: boolean) => view.refresh(probeAll).catch((err: unknown) => this.#log.warn({ event: 'layout-refresh-failed', schema: schema.name, err }, 'could not look for other partition layouts'));
      void refresh(true);
      // On the process's clock: one timer per period for every schema (refresh reports its own errors).
      this.#chores.push(upkeepClock.every(tuning.layoutCheckIntervalMs, () => refresh(false), () => {}));
    }
    // HTTP first: with `http.port: 0` the port is known only once bound, and each consumer
    // publishes it (its `endpoint`) where `batchflow stats` finds every worker of a schema.
    if (config.http.enabled) await this.#startHttp();
    for (const { schema, sink, tuning } of config.schemas) {
      const executor = this.#executors.get(sink) as SinkExecutor;
      const consumer = new BatchConsumer({ connection: config.redis, prefix: config.prefix, schema, executor, metrics: this.metrics, logger: false, endpoint: this.httpUrl, tracing: this.#tracing, ...tuning });
      logConsumerEvents(consumer, this.#log);
      this.#consumers.push(consumer);
    }
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
    for (const chore of this.#chores) chore.cancel();
    await settle('consumers', this.#consumers.map((c) => c.close()));
    await settle('producer and queues', [this.#producer?.close(), ...this.#views.map((v) => v.close())]);
    await settle('sinks', [...this.#executors.values()].map((e) => e.close()));
    await settle('http', [this.#http?.close()]);
    this.#shared?.release();
    this.#log.info({ event: 'stopped', seconds: (performance.now() - started) / 1000, failures: failures.length }, 'worker stopped');
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} part(s) of the worker failed to close`);
  }

  async #startHttp(): Promise<void> {
    const { http, prefix, redis, schemas, keepCompletedJobs } = this.#config;
    if (http.ingest) {
      this.#producer = new Producer({ connection: redis, prefix, schemas: schemas.map((s) => s.schema), metrics: this.metrics, keepCompletedJobs, tracing: this.#tracing });
    }
    // Bull Board also shows the schemas an app's code made under this prefix (found by their
    // queues in Redis at start), so a library user needs no config entry to see them.
    const configured = new Set(schemas.map((s) => s.schema.name));
    // Bounded: a worker starts while Redis is down (its consumers wait for it), and so does its
    // HTTP server (/readyz says why): without Redis ready soon, the board shows the configured schemas.
    const found = await withTimeout(this.#discover(), DISCOVER_TIMEOUT_MS, () => new Error('Redis is not ready')).catch((err: unknown) => {
      this.#log.warn({ event: 'discover-failed', err }, 'could not look for other schemas in Redis; Bull Board shows the configured ones');
      return [];
    });
    for (const { name, partitions } of found.filter((f) => !configured.has(f.name))) this.#views.push(new SchemaQueueView(name, this.#redis as QueueClient, prefix, partitions));
    if (found.length > configured.size) this.#log.info({ event: 'discovered', schemas: found.map((f) => f.name).filter((n) => !configured.has(n)) }, 'Bull Board also shows schemas found in Redis');
    const server = createHttpServer({
      host: http.host,
      port: http.port,
      auth: http.auth,
      readOnly: http.readOnly,
      metrics: this.metrics,
      ready: () => this.#readiness(),
      queues: () => this.#views.flatMap((view) => view.queues),
      keepCompletedJobs,
      producer: this.#producer,
      ingestToken: this.#producer ? http.ingestToken : undefined,
      ingestTracing: this.#tracing,
      onError: (err) => this.#log.error({ event: 'http-error', err }, 'HTTP request failed'),
    });
    this.#http = await server.listen();
    this.#log.info({ event: 'http', address: this.#http.url, admin: `${this.#http.url}/admin` }, `serving /metrics, /healthz, /readyz, /admin at ${this.#http.url}`);
  }

  /**
   * Creates or upgrades the PostgreSQL queue schema before any consumer opens a queue (a worker
   * start is one of the two places that may run DDL; `batchflow migrate` is the other).
   */
  async #migrateQueues(connection: { readonly postgres: string; readonly schema: string }): Promise<void> {
    try {
      const version = await migrateQueueSchema({ ...connection });
      this.#log.info({ event: 'queue-schema', schema: connection.schema, version }, `PostgreSQL queue schema "${connection.schema}" is at version ${version}`);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new CliError(`cannot set up the PostgreSQL queue schema "${connection.schema}"${typeof code === 'string' ? ` (${code})` : ''}: ${(err as Error).message}`);
    }
  }

  /** Schemas under the prefix in Redis (for Bull Board), once the client is ready. */
  async #discover(): Promise<DiscoveredSchema[]> {
    const redis = this.#redis as QueueClient;
    if (!isPostgresQueueClient(redis) && redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    return discoverSchemas(redis, this.#config.prefix);
  }

  /**
   * Ready while Redis answers and the consumers run. A sick sink does not make the worker
   * unready (its jobs wait safely in Redis, and HTTP ingest still works), but `sinks` says which
   * schema is held and why.
   */
  async #readiness(): Promise<Readiness> {
    // While disconnected a ping would wait in the offline queue past /readyz's timeout, hiding which check failed.
    const client = this.#redis;
    const onPostgres = client !== undefined && isPostgresQueueClient(client);
    const redis = client !== undefined && (await queueAnswers(client));
    await this.#watch.recheckSinks(this.#executors, this.#config.sinks);
    const missing = this.#watch.missing;
    if (!redis && onPostgres) missing.queue ??= POSTGRES_QUEUE_ADVICE;
    else if (!redis) missing.redis ??= REDIS_ADVICE;
    const consumers = this.#ready && this.#consumers.every((c) => c.state !== 'closed' && c.state !== 'closing');
    const sinks: Record<string, SinkHealth> = {};
    for (const consumer of this.#consumers) {
      const { breaker, holding } = consumer.health;
      sinks[consumer.schema.name] = { breaker, holding: holding ? { reason: holding.reason, code: holding.code ?? null, message: holding.message } : null };
    }
    // `redis` keeps its name for the Redis backend (load balancers may read it); `queue` on PostgreSQL.
    return { ready: redis === true && consumers, checks: { [onPostgres ? 'queue' : 'redis']: redis === true, consumers }, sinks, ...(Object.keys(missing).length > 0 && { missing }) };
  }
}

/** Whether the queue store answers now: a PING on a ready Redis client, one query on PostgreSQL (bounded by /readyz's own timeout). */
async function queueAnswers(client: QueueClient): Promise<boolean> {
  if (isPostgresQueueClient(client)) return client.query('SELECT 1').then(() => true, () => false);
  // While disconnected a ping would wait in the offline queue past /readyz's timeout, hiding which check failed.
  return client.status === 'ready' && (await client.ping().then((pong) => pong === 'PONG', () => false));
}
