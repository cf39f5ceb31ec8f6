import { resolveOptions } from '../src/core/resolve-options.js';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { checkHttpExposure, type HttpAuth } from './config/http-auth-rules.js';
import { ConfigError } from '../src/errors/config-error.js';
import { createIngestRouter, INGEST_DEFAULTS, type IngestProducer } from '../producers/http-ingest.js';
import { readOnlyGuard, sameOriginGuard } from './http/admin-guards.js';
import { requireAuth } from '../producers/request-auth.js';
import { bullBoardRouter, type BoardQueue } from './http/bull-board.js';
import type { KeepCompletedJobs } from '../src/queue/job-options.js';
import { healthRouter, type ReadinessCheck } from './http/health.js';
import { metricsRouter, type MetricsSource } from './http/metrics.js';

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  /** Listen address. Anything beyond loopback (e.g. `0.0.0.0`) requires {@link HttpServerOptions.auth}. @defaultValue `'127.0.0.1'` */
  host?: string;
  /** Listen port; 0 picks a free one (read it from `listen()`'s result). @defaultValue 9464 */
  port?: number;
  /**
   * Credentials for Bull Board and DLQ actions (`/admin`): `{ username, password }` (Basic),
   * `{ token }` (Bearer) or both. Required when `host` is not loopback; when given, also required on loopback.
   * @defaultValue none (only allowed on loopback)
   */
  auth?: HttpAuth;
  /** Bull Board without retry/clean/remove/pause, and every state-changing admin request refused (405). @defaultValue `false` */
  readOnly?: boolean;
  /** Served at `GET /metrics`, e.g. a `PrometheusReporter`. @defaultValue none (`/metrics` is 404) */
  metrics?: MetricsSource;
  /** Decides `GET /readyz`: ready when Redis answers and the consumers run. @defaultValue always ready */
  ready?: ReadinessCheck;
  /** A readiness check slower than this answers 503. @defaultValue 2000 */
  readyTimeoutMs?: number;
  /**
   * BullMQ queues shown in Bull Board at `/admin`: every schema queue and its DLQ (`consumer.dlq.queue`).
   * A function is read again on every admin request, so queues that appear later (another
   * `partitions` layout's, while it holds anything) are listed too. @defaultValue `[]`
   */
  queues?: readonly BoardQueue[] | (() => readonly BoardQueue[]);
  /** The producers' `keepCompletedJobs`, stated on the board where the Completed list is cut. @defaultValue BullMQ job defaults (1000 jobs, 1 hour) */
  keepCompletedJobs?: KeepCompletedJobs;
  /** Enables HTTP ingest at `/v1` (see `createIngestRouter`). @defaultValue none (no ingest) */
  producer?: IngestProducer;
  /** Bearer token that ingest requests must carry; required when `host` is not loopback. @defaultValue none (ingest open on loopback only) */
  ingestToken?: string;
  /** Largest ingest body, in bytes or as `'1mb'`. @defaultValue `'1mb'` */
  bodyLimit?: string | number;
  /** An ingest request whose rows Redis has not confirmed by then gets 503. @defaultValue 10000 */
  ingestTimeoutMs?: number;
  /** Ingest requests' `traceparent` headers become their rows' trace context (see `createIngestRouter`). @defaultValue false */
  ingestTracing?: boolean;
  /** `close()` waits this long for requests in progress before cutting connections. @defaultValue 5000 */
  shutdownTimeoutMs?: number;
  /** Receives unexpected errors (metrics failing, Redis down during ingest); responses never carry them. @defaultValue ignore */
  onError?: (err: unknown) => void;
}

/** Defaults of {@link HttpServerOptions}. */
export const HTTP_SERVER_DEFAULTS: Readonly<Required<Pick<HttpServerOptions, DefaultedField>>> = Object.freeze({
  host: '127.0.0.1',
  port: 9464,
  readOnly: false,
  readyTimeoutMs: 2000,
  bodyLimit: INGEST_DEFAULTS.bodyLimit,
  ingestTimeoutMs: INGEST_DEFAULTS.submitTimeoutMs,
  shutdownTimeoutMs: 5000,
});

type DefaultedField = 'host' | 'port' | 'readOnly' | 'readyTimeoutMs' | 'bodyLimit' | 'ingestTimeoutMs' | 'shutdownTimeoutMs';

/** Where Bull Board is served. */
export const ADMIN_PATH = '/admin';

/** A running server. */
export interface ListeningHttpServer {
  /** The address it listens on, as configured. */
  readonly host: string;
  /** The bound port (the real one when `port` was 0). */
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  readonly url: string;
  /** Stops accepting, lets requests in progress finish (up to `shutdownTimeoutMs`), then closes every connection. */
  close(): Promise<void>;
}

/** The app (to add routes or test with it) and a way to start it. */
export interface HttpServer {
  readonly app: Express;
  /** Binds `host:port`. Rejects if the port is taken. */
  listen(): Promise<ListeningHttpServer>;
}

/**
 * The worker's single HTTP port: `GET /metrics`, `GET /healthz`, `GET /readyz`, Bull Board at
 * `/admin` and, when a producer is given, HTTP ingest at `/v1`. Options are validated here, so a
 * server that would expose admin endpoints beyond loopback without credentials never starts.
 *
 * @example
 * ```ts
 * const http = createHttpServer({
 *   host: '0.0.0.0',
 *   auth: { username: 'admin', password: process.env.ADMIN_PASSWORD! },
 *   metrics: reporter,
 *   ready: async () => ({ ready: (await redis.ping()) === 'PONG' && consumers.every((c) => c.state !== 'closed') }),
 *   queues: views.flatMap((view) => view.queues), // SchemaQueueView per schema: its queue and its DLQ
 *   producer,
 * });
 * const server = await http.listen();
 * process.on('SIGTERM', () => void server.close());
 * ```
 */
export function createHttpServer(options: HttpServerOptions = {}): HttpServer {
  const o = resolveOptions<HttpServerOptions & typeof HTTP_SERVER_DEFAULTS>(HTTP_SERVER_DEFAULTS, options);
  validate(o);
  const onError = o.onError ?? (() => {});
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter({ ready: o.ready, readyTimeoutMs: o.readyTimeoutMs }));
  if (o.metrics) app.use(metricsRouter(o.metrics, onError));
  app.use(
    ADMIN_PATH,
    o.auth ? requireAuth(o.auth, 'BatchFlow admin') : pass,
    sameOriginGuard(),
    o.readOnly ? readOnlyGuard() : pass,
    bullBoardRouter({ queues: o.queues ?? [], basePath: ADMIN_PATH, readOnly: o.readOnly, ...(o.keepCompletedJobs !== undefined && { keepCompletedJobs: o.keepCompletedJobs }) }),
  );
  if (o.producer) app.use('/v1', createIngestRouter({ producer: o.producer, token: o.ingestToken, bodyLimit: o.bodyLimit, submitTimeoutMs: o.ingestTimeoutMs, onError, tracing: o.ingestTracing }));
  app.use((_req, res) => void res.status(404).json({ error: 'not found' }));
  app.use(lastResort(onError));
  return { app, listen: () => listen(app, o.host, o.port, o.shutdownTimeoutMs) };
}

const pass: RequestHandler = (_req, _res, next) => next();

function listen(app: Express, host: string, port: number, shutdownTimeoutMs: number): Promise<ListeningHttpServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const bound = (server.address() as AddressInfo).port;
      let closing: Promise<void> | undefined;
      const close = () =>
        (closing ??= new Promise<void>((done) => {
          // Idle keep-alive sockets (a browser's) would hold close() open; busy ones get the grace period.
          const timer = setTimeout(() => server.closeAllConnections(), shutdownTimeoutMs);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            done();
          });
          server.closeIdleConnections();
        }));
      resolve({ host, port: bound, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`, close });
    });
  });
}

/** Anything unexpected: logged through onError, answered without detail (which could hold a secret). */
function lastResort(onError: (err: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, next) => {
    onError(err);
    if (res.headersSent) return next(err);
    res.status(500).json({ error: 'internal error' });
  };
}

type Resolved = HttpServerOptions & Required<Pick<HttpServerOptions, DefaultedField>>;

function validate(o: Resolved): void {
  if (typeof o.host !== 'string' || o.host.length === 0) throw new ConfigError('host', 'must be a non-empty string');
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new ConfigError('port', 'must be an integer 0-65535');
  for (const field of ['readyTimeoutMs', 'ingestTimeoutMs', 'shutdownTimeoutMs'] as const) {
    if (!Number.isInteger(o[field]) || o[field] <= 0) throw new ConfigError(field, 'must be a positive integer');
  }
  if (o.ingestToken !== undefined && !o.producer) throw new ConfigError('ingestToken', 'is set but no producer is given, so there is no ingest to protect');
  checkHttpExposure({ host: o.host, auth: o.auth, ingest: o.producer !== undefined, ingestToken: o.ingestToken });
}
