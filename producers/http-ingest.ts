import { withTimeout } from '../src/core/with-timeout.js';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Request } from '../src/core/request.js';
import type { Schema } from '../src/core/schema.js';
import { BatchFlowError } from '../src/errors/batchflow-error.js';
import { loadOtelApi, type OtelApiModule } from '../src/tracing/otel-api.js';
import { parseTraceparent } from '../src/tracing/trace-context.js';
import { ConfigError } from '../src/errors/config-error.js';
import { ValidationError } from '../src/errors/validation-error.js';
import type { Producer } from '../src/queue/producer/index.js';
// The same constant-time check the admin side uses; one implementation of secret handling.
import { requireAuth } from './request-auth.js';
import { jsonToRequest } from './json-row.js';

/** The part of a {@link Producer} the ingest router uses. */
export type IngestProducer = Pick<Producer, 'schemas' | 'submitMany'>;

/** Options of {@link createIngestRouter}. */
export interface IngestRouterOptions {
  /** Enqueues the rows; its schemas are the ones that can be posted to. */
  producer: IngestProducer;
  /**
   * When set, every request needs `Authorization: Bearer <token>` (compared in constant time).
   * @defaultValue none: anyone who reaches the port may enqueue
   */
  token?: string;
  /** Largest request body, in bytes or as `'1mb'`/`'512kb'`; larger bodies get 413. @defaultValue `'1mb'` */
  bodyLimit?: string | number;
  /**
   * A submit that Redis has not confirmed by then is answered 503, so clients do not hang while
   * Redis is unreachable. The rows may still be stored later: a client retry is at-least-once.
   * @defaultValue 10000
   */
  submitTimeoutMs?: number;
  /** Called with unexpected errors (Redis unavailable, bugs); the client sees only a generic 503/500. @defaultValue ignore */
  onError?: (err: unknown) => void;
  /**
   * A request's W3C `traceparent` header becomes the trace context its rows are submitted in, so
   * a producer with `tracing: true` records it and the batch that commits them links to the caller.
   * Needs `@opentelemetry/api`. (An app with OpenTelemetry's HTTP instrumentation gets this already.)
   * @defaultValue false
   */
  tracing?: boolean;
}

/** Defaults of {@link IngestRouterOptions}. */
export const INGEST_DEFAULTS = Object.freeze({ bodyLimit: '1mb' as string | number, submitTimeoutMs: 10_000 });

/** One rejected row in a 400 response; `row` is null when the error concerns the request as a whole. */
export interface IngestRowError {
  row: number | null;
  column?: string;
  kind: string;
  message: string;
}

/** Rows listed in a 400 response at most; `errorCount` gives the full number. */
const MAX_REPORTED_ERRORS = 100;
const SHAPE = 'the body must be a row object, an array of rows, or { "rows": [...] }';

/**
 * HTTP ingest for apps that are not written in Node. Mount it at `/v1`:
 *
 * `POST /v1/schemas/:schema/requests` with `Content-Type: application/json` and a body that is one
 * row object, an array of rows, or `{ "rows": [...] }`. Values follow the schema's declared types
 * (see {@link jsonToRequest}: int64 as number or decimal string, timestamps as ISO-8601, bytes as base64).
 *
 * - 202 `{ accepted: n }` once every row is durably enqueued;
 * - 400 `{ error, errors: [{ row, column, kind, message }], errorCount }` for malformed JSON, a wrong
 *   shape or invalid rows; all rows are checked first, so then nothing is enqueued;
 * - 401 without the right token; 404 for an unknown schema; 413 over `bodyLimit`;
 *   415 unless the body is JSON (which also keeps other web sites from posting forms here);
 * - 503 when the queue did not confirm every row (e.g. Redis is down): retry later; a retry may
 *   store some rows twice, which a key with a conflict strategy makes harmless.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use('/v1', createIngestRouter({ producer, token: process.env.INGEST_TOKEN }));
 * // curl -H 'Authorization: Bearer …' -H 'Content-Type: application/json' \
 * //   -d '[{"id":"1","name":"Ada"}]' http://127.0.0.1:9464/v1/schemas/users/requests
 * ```
 */
export function createIngestRouter(options: IngestRouterOptions): Router {
  const { producer, token, onError = () => {} } = options;
  const submitTimeoutMs = options.submitTimeoutMs ?? INGEST_DEFAULTS.submitTimeoutMs;
  if (token !== undefined && (typeof token !== 'string' || token.length === 0)) throw new ConfigError('token', 'must be a non-empty string');
  if (!Number.isInteger(submitTimeoutMs) || submitTimeoutMs <= 0) throw new ConfigError('submitTimeoutMs', 'must be a positive integer');
  const schemas = new Map(producer.schemas.map((schema) => [schema.name, schema]));
  const inContext = options.tracing ? remoteContextRunner(loadOtelApi()) : undefined;
  const router = Router();
  router.post(
    '/schemas/:schema/requests',
    token === undefined ? skip : requireAuth({ token }, 'BatchFlow ingest'),
    knownSchema(schemas),
    requireJson,
    express.json({ limit: options.bodyLimit ?? INGEST_DEFAULTS.bodyLimit, strict: true, type: isJson }),
    async (req, res) => {
      const schema = schemas.get(String(req.params.schema)) as Schema;
      const rows = rowsOf(req.body);
      if (!rows) return void res.status(400).json(rejection([{ row: null, kind: 'invalid_body', message: SHAPE }]));
      if (rows.length === 0) return void res.status(400).json(rejection([{ row: null, kind: 'invalid_body', message: 'no rows given' }]));
      const errors: IngestRowError[] = [];
      const requests = rows.flatMap((json, row) => {
        try {
          return [jsonToRequest(schema, json)];
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          errors.push(rowError(row, err));
          return [];
        }
      });
      if (errors.length > 0) return void res.status(400).json(rejection(errors));
      try {
        await (inContext ? inContext(req.headers.traceparent, () => submitWithin(producer, requests, submitTimeoutMs)) : submitWithin(producer, requests, submitTimeoutMs));
      } catch (err) {
        if (err instanceof ValidationError) return void res.status(400).json(rejection([rowError(null, err)]));
        onError(err);
        // Large bodies go in several addBulk calls, so some rows may be stored already: say so.
        return void res.status(503).set('Retry-After', '1').json({ error: 'the queue did not confirm every row; retry later (delivery is at-least-once: a retry may store some rows twice)' });
      }
      res.status(202).json({ accepted: requests.length });
    },
  );
  router.use(bodyErrors(onError));
  return router;
}

const skip: RequestHandler = (_req, _res, next) => next();

/** 404 before the body is read: no point parsing a megabyte for a schema that does not exist. */
function knownSchema(schemas: ReadonlyMap<string, Schema>): RequestHandler {
  return (req, res, next) => {
    if (schemas.has(String(req.params.schema))) return next();
    res.status(404).json({ error: `unknown schema ${JSON.stringify(req.params.schema)}` });
  };
}

function submitWithin(producer: IngestProducer, requests: Request[], timeoutMs: number): Promise<void> {
  const timedOut = () => new BatchFlowError('ERR_INGEST_TIMEOUT', `Redis did not confirm ${requests.length} row(s) within ${timeoutMs} ms`);
  return withTimeout(producer.submitMany(requests), timeoutMs, timedOut);
}

function isJson(req: { headers: { 'content-type'?: string | undefined } }): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

const requireJson: RequestHandler = (req, res, next) => {
  if (isJson(req)) return next();
  res.status(415).json({ error: 'Content-Type must be application/json' });
};

function rowsOf(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (body === null || typeof body !== 'object') return undefined;
  // A row value is never an array, so { "rows": [...] } is always the wrapper, even for a column named rows.
  const keys = Object.keys(body);
  const wrapped = (body as { rows?: unknown }).rows;
  if (keys.length === 1 && keys[0] === 'rows' && Array.isArray(wrapped)) return wrapped;
  return [body];
}

function rowError(row: number | null, err: ValidationError): IngestRowError {
  return { row, ...(err.column !== undefined ? { column: err.column } : {}), kind: err.kind, message: err.message };
}

function rejection(errors: IngestRowError[]) {
  return { error: 'nothing was enqueued', errors: errors.slice(0, MAX_REPORTED_ERRORS), errorCount: errors.length };
}

/** Maps body-parser failures to their status; everything else is a 500 that reveals nothing. */
function bodyErrors(onError: (err: unknown) => void): ErrorRequestHandler {
  return (err: { type?: string; status?: number }, _req, res, _next) => {
    if (err.type === 'entity.too.large') return void res.status(413).json({ error: 'request body is over the size limit' });
    if (err.type === 'entity.parse.failed') return void res.status(400).json(rejection([{ row: null, kind: 'malformed_json', message: 'the body is not valid JSON' }]));
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return void res.status(415).json({ error: 'unsupported body encoding' });
    if (err.status === 400 || err.type === 'request.aborted') return void res.status(400).json({ error: 'unreadable request body' });
    onError(err);
    res.status(500).json({ error: 'internal error' });
  };
}

/** Runs work in the context of a caller's `traceparent` header (as is when there is none, or it is malformed). */
function remoteContextRunner(api: OtelApiModule) {
  return <T>(traceparent: unknown, work: () => Promise<T>): Promise<T> => {
    const remote = parseTraceparent(traceparent);
    return remote ? api.context.with(api.trace.setSpanContext(api.context.active(), remote), work) : work();
  };
}
