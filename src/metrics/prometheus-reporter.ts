import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConfigError } from '../errors/config-error.js';
import type { BreakerStateValue, ExecuteStatus, MetricsReporter, QueueDepthState } from './metrics-reporter.js';

/** Options of {@link PrometheusReporter}. */
export interface PrometheusReporterOptions {
  /**
   * Registry the metrics are registered in. Several reporters may share one registry (say, a
   * producer and a consumer in one process): the second one reuses the metrics of the first.
   * @defaultValue a new `Registry` of its own
   */
  registry?: Registry;
  /**
   * Also collect prom-client's process and Node.js metrics (`process_resident_memory_bytes`,
   * `nodejs_eventloop_lag_seconds`, ...) under their conventional, unprefixed names, except the
   * three `nodejs_active_*_total` gauges that break Prometheus naming rules (sum their per-type
   * twins instead). Skipped when the registry already has the defaults.
   * @defaultValue true
   */
  collectDefaultMetrics?: boolean;
}

/** Defaults of {@link PrometheusReporterOptions}. */
export const PROMETHEUS_REPORTER_DEFAULTS = Object.freeze({ collectDefaultMetrics: true });

/**
 * prom-client gauges whose `_total` suffix breaks Prometheus naming rules (`promtool check metrics`
 * flags them). Their per-type twins (`nodejs_active_handles{type}`, ...) carry the same numbers:
 * sum them for the total.
 */
const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let promClient: typeof PromClient | undefined;

/**
 * prom-client, loaded the first time a reporter is built: importing it loads `@opentelemetry/api`
 * too (prom-client's own dependency, for exemplars), which an app that neither builds a
 * `PrometheusReporter` nor turns tracing on should not pay for. Through `require`, as prom-client is CommonJS.
 */
function loadPromClient(): typeof PromClient {
  promClient ??= createRequire(import.meta.url)('prom-client') as typeof PromClient;
  return promClient;
}

/** Durations from sub-millisecond Redis round trips up to slow batches. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Submit-to-commit latency includes queueing and flush intervals, so it reaches further. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Requests per batch, 1 to 10,000. */
const SIZE_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/**
 * A {@link MetricsReporter} backed by prom-client. Every metric is prefixed `batchflow_`;
 * labels come only from the fixed set schema, sink, status, reason and state.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `batchflow_requests_enqueued_total` | counter | schema |
 * | `batchflow_enqueue_duration_seconds` | histogram | schema |
 * | `batchflow_batch_assembly_seconds` | histogram | schema |
 * | `batchflow_batch_size` | histogram | schema |
 * | `batchflow_batch_execute_duration_seconds` | histogram | schema, sink, status (`ok`/`retry`/`error`) |
 * | `batchflow_rows_executed_total` | counter | schema, sink, status |
 * | `batchflow_rows_committed_total` | counter | schema, sink |
 * | `batchflow_deletes_committed_total` | counter (the deletes among the rows committed) | schema, sink |
 * | `batchflow_rows_dead_lettered_total` | counter | schema, sink, reason |
 * | `batchflow_errors_total` | counter | schema, sink, status (`retry`/`final`), reason |
 * | `batchflow_in_flight_batches` | gauge | schema |
 * | `batchflow_breaker_state` | gauge (0 closed, 1 half-open, 2 open) | schema, sink |
 * | `batchflow_request_latency_seconds` | histogram | schema |
 * | `batchflow_queue_depth` | gauge | schema, state |
 * | `batchflow_flush_size` | gauge (the current size; moves with `flushSize: 'auto'`) | schema |
 *
 * Methods never throw: a negative, NaN or infinite value is dropped, not recorded.
 *
 * @example
 * ```ts
 * const metrics = new PrometheusReporter();
 * const consumer = new BatchConsumer({ ..., metrics });
 * http.createServer(async (_req, res) => {
 *   res.setHeader('Content-Type', metrics.contentType);
 *   res.end(await metrics.metrics());
 * }).listen(9464);
 * ```
 */
export class PrometheusReporter implements MetricsReporter {
  /** The registry holding the metrics, for serving it yourself or merging it with others. */
  readonly registry: Registry;
  readonly #enqueued: Counter<'schema'>;
  readonly #enqueueDuration: Histogram<'schema'>;
  readonly #assembly: Histogram<'schema'>;
  readonly #batchSize: Histogram<'schema'>;
  readonly #executeDuration: Histogram<'schema' | 'sink' | 'status'>;
  readonly #rowsExecuted: Counter<'schema' | 'sink' | 'status'>;
  readonly #committed: Counter<'schema' | 'sink'>;
  readonly #deadLettered: Counter<'schema' | 'sink' | 'reason'>;
  readonly #errors: Counter<'schema' | 'sink' | 'status' | 'reason'>;
  readonly #inFlight: Gauge<'schema'>;
  readonly #breaker: Gauge<'schema' | 'sink'>;
  readonly #latency: Histogram<'schema'>;
  readonly #queueDepth: Gauge<'schema' | 'state'>;
  readonly #flushSize: Gauge<'schema'>;
  readonly #deletes: Counter<'schema' | 'sink'>;

  constructor(options: PrometheusReporterOptions = {}) {
    const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = loadPromClient();
    const registry = options.registry ?? new Registry();
    const withDefaults = options.collectDefaultMetrics ?? PROMETHEUS_REPORTER_DEFAULTS.collectDefaultMetrics;
    if (typeof withDefaults !== 'boolean') throw new ConfigError('collectDefaultMetrics', 'must be a boolean');
    this.registry = registry;
    // collectDefaultMetrics throws when its metrics are already registered.
    if (withDefaults && !registry.getSingleMetric('process_cpu_seconds_total')) {
      collectDefaultMetrics({ register: registry });
      for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
    }
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      reuse(registry, name, Counter) ?? new Counter<L>({ name, help, labelNames, registers: [registry] });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      reuse(registry, name, Gauge) ?? new Gauge<L>({ name, help, labelNames, registers: [registry] });
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
      reuse(registry, name, Histogram) ?? new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });

    this.#enqueued = counter('batchflow_requests_enqueued_total', 'Requests stored in their queue by submit()/submitMany().', ['schema']);
    this.#enqueueDuration = histogram('batchflow_enqueue_duration_seconds', 'Duration of one submit()/submitMany() call.', ['schema'], DURATION_BUCKETS);
    this.#assembly = histogram('batchflow_batch_assembly_seconds', "Time from a batch's first request to its flush.", ['schema'], DURATION_BUCKETS);
    this.#batchSize = histogram('batchflow_batch_size', 'Requests per flushed batch.', ['schema'], SIZE_BUCKETS);
    this.#executeDuration = histogram(
      'batchflow_batch_execute_duration_seconds',
      'Duration of one executor call, by outcome (ok, retry, error); retries and bisection make several calls per batch.',
      ['schema', 'sink', 'status'],
      DURATION_BUCKETS,
    );
    this.#rowsExecuted = counter(
      'batchflow_rows_executed_total',
      'Requests in executor calls, by outcome; a retried or bisected request counts once per call.',
      ['schema', 'sink', 'status'],
    );
    this.#committed = counter('batchflow_rows_committed_total', 'Requests committed by the sink.', ['schema', 'sink']);
    this.#deletes = counter('batchflow_deletes_committed_total', 'Deletes by key among the requests committed (upserts are the rest).', ['schema', 'sink']);
    this.#deadLettered = counter('batchflow_rows_dead_lettered_total', 'Requests moved to the dead-letter queue, by reason.', ['schema', 'sink', 'reason']);
    this.#errors = counter(
      'batchflow_errors_total',
      'Sink errors by failure reason; status is retry (will be tried again) or final (gave up on those requests).',
      ['schema', 'sink', 'status', 'reason'],
    );
    this.#inFlight = gauge('batchflow_in_flight_batches', 'Batches executing against the sink in this process.', ['schema']);
    this.#breaker = gauge('batchflow_breaker_state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', ['schema', 'sink']);
    this.#latency = histogram('batchflow_request_latency_seconds', 'Time from submit to commit, per request.', ['schema'], LATENCY_BUCKETS);
    this.#queueDepth = gauge('batchflow_queue_depth', "Jobs in the schema's queue by state; dlq is its dead-letter queue.", ['schema', 'state']);
    this.#flushSize = gauge('batchflow_flush_size', "Size batches are flushed at now: the fixed flushSize, or the adaptive size of flushSize 'auto'.", ['schema']);
  }

  /** Content type of {@link PrometheusReporter.metrics}'s text, for the HTTP response header. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The registry's metrics in the Prometheus text exposition format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  requestsEnqueued(schema: string, count: number, seconds: number): void {
    if (isCount(count)) this.#enqueued.inc({ schema }, count);
    if (isObservation(seconds)) this.#enqueueDuration.observe({ schema }, seconds);
  }

  batchAssembled(schema: string, seconds: number, size: number): void {
    if (isObservation(seconds)) this.#assembly.observe({ schema }, seconds);
    if (isObservation(size)) this.#batchSize.observe({ schema }, size);
  }

  batchExecuted(schema: string, sink: string, status: ExecuteStatus, seconds: number, size: number): void {
    if (isObservation(seconds)) this.#executeDuration.observe({ schema, sink, status }, seconds);
    if (isCount(size)) this.#rowsExecuted.inc({ schema, sink, status }, size);
  }

  rowsCommitted(schema: string, sink: string, count: number): void {
    if (isCount(count)) this.#committed.inc({ schema, sink }, count);
  }

  deletesCommitted(schema: string, sink: string, count: number): void {
    if (isCount(count)) this.#deletes.inc({ schema, sink }, count);
  }

  rowsDeadLettered(schema: string, sink: string, reason: string, count: number): void {
    if (isCount(count)) this.#deadLettered.inc({ schema, sink, reason }, count);
  }

  /** Splits `retry:<reason>` / `final:<reason>` into the `status` and `reason` labels. */
  error(schema: string, sink: string, kind: `retry:${string}` | `final:${string}`): void {
    const colon = kind.indexOf(':');
    this.#errors.inc({ schema, sink, status: kind.slice(0, colon), reason: kind.slice(colon + 1) });
  }

  inFlightBatches(schema: string, count: number): void {
    if (Number.isFinite(count)) this.#inFlight.set({ schema }, count);
  }

  breakerState(schema: string, sink: string, state: BreakerStateValue): void {
    if (Number.isFinite(state)) this.#breaker.set({ schema, sink }, state);
  }

  requestLatency(schema: string, seconds: number): void {
    if (isObservation(seconds)) this.#latency.observe({ schema }, seconds);
  }

  queueDepth(schema: string, state: QueueDepthState, count: number): void {
    if (Number.isFinite(count)) this.#queueDepth.set({ schema, state }, count);
  }

  flushSize(schema: string, size: number): void {
    if (isCount(size)) this.#flushSize.set({ schema }, size);
  }
}

/** The metric already registered under `name`, when another reporter shares the registry. */
function reuse<M>(registry: Registry, name: string, type: abstract new (...args: never[]) => M): M | undefined {
  const existing: unknown = registry.getSingleMetric(name);
  if (existing === undefined) return undefined;
  if (existing instanceof type) return existing;
  throw new ConfigError('registry', `holds a metric named ${name} of another type`);
}

function isCount(n: number): boolean {
  return Number.isFinite(n) && n > 0;
}

function isObservation(n: number): boolean {
  return Number.isFinite(n) && n >= 0;
}
