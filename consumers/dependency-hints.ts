import { findSink } from '../src/drivers/registry.js';
import type { SinkConfig } from '../src/drivers/sink-definition.js';
import { BatchFlowError } from '../src/errors/batchflow-error.js';
import { ConfigError } from '../src/errors/config-error.js';
import { SinkError } from '../src/errors/sink-error.js';

/** What is wrong with a dependency, for the operator: one line for the terminal, one hint for `/readyz`. */
export interface DependencyHint {
  /** The full line (stderr and the log): what is wrong, where (URL redacted) and what to do. */
  readonly line: string;
  /** The same without host or URL, for `/readyz`, which anyone who reaches the port may read. */
  readonly advice: string;
  /** Waiting cannot help (a database that does not exist): the worker refuses to start. */
  readonly fatal?: boolean;
}

/** What `/readyz` says of a Redis that does not answer. */
export const REDIS_ADVICE = 'is not reachable: start redis-server or set REDIS_URL';

/** What `/readyz` says when the PostgreSQL queue database does not answer. */
export const POSTGRES_QUEUE_ADVICE = 'is not reachable: start PostgreSQL or set BATCHFLOW_QUEUE_POSTGRES_URL';

/**
 * The hint for a Redis the worker cannot use, from the connection error's code: a Node `errno`
 * (ECONNREFUSED, ENOTFOUND, ETIMEDOUT…) or a Redis error prefix (NOAUTH, WRONGPASS). Names the
 * host and port only, never the URL, which may carry a password.
 *
 * @example `Redis at 127.0.0.1:6379 is not reachable (ECONNREFUSED): start redis-server or set REDIS_URL`
 */
export function redisHint(url: string, err: unknown): DependencyHint {
  const code = errorCode(err);
  const where = `Redis at ${hostAndPort(url, 6379)}`;
  if (code === 'NOAUTH' || code === 'WRONGPASS') {
    const advice = 'refused the credentials: fix the user or password in REDIS_URL';
    return { line: `${where} ${advice.replace(':', ` (${code}):`)}`, advice };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const advice = 'has a host name that does not resolve: fix the host in REDIS_URL';
    return { line: `${where} ${advice.replace(':', ` (${code}):`)}`, advice };
  }
  const advice = REDIS_ADVICE;
  return { line: `${where} ${advice.replace(':', ` (${code ?? 'no answer'}):`)}`, advice };
}

/**
 * The hint for a sink the worker cannot reach or log in to, or `undefined` when the error says
 * something else (a missing table, a bad config), which its own error reports better. Classified
 * by the sink's own error table; the location comes from its `describe`, secrets redacted.
 *
 * @example `PostgreSQL sink "main" (postgres://app:***@db:5432/app) is not reachable (ECONNREFUSED): start PostgreSQL or fix sinks.main in the config`
 */
export function sinkHint(name: string, sink: SinkConfig, err: unknown): DependencyHint | undefined {
  const definition = findSink(sink.type);
  if (!definition) return undefined;
  const classified = err instanceof SinkError ? err : definition.classifyError(err);
  const code = classified.sinkCode ?? errorCode(err);
  const what = `${definition.title} sink "${name}"`;
  let advice: string;
  const fatal = code !== undefined && MISSING_DATABASE_CODES.has(code);
  if (fatal) advice = `names a database that does not exist: create it (CREATE DATABASE) or fix the database in sinks.${name}`;
  else if (classified.reason === 'connection' || classified.reason === 'timeout') advice = `is not reachable: start ${definition.title} or fix sinks.${name} in the config`;
  else if (classified.reason === 'auth') advice = `refused the credentials: fix the user or password in sinks.${name}`;
  else return undefined;
  return { line: `${what} (${definition.describe(sink)}) ${advice.replace(':', ` (${code ?? classified.reason}):`)}`, advice: `${what} ${advice}`, ...(fatal && { fatal }) };
}

/**
 * Codes of a database that does not exist: PostgreSQL SQLSTATE 3D000 (invalid_catalog_name),
 * MySQL/MariaDB errno 1049 (ER_BAD_DB_ERROR). The worker refuses to start on them: waiting
 * would not help.
 */
const MISSING_DATABASE_CODES: ReadonlySet<string> = new Set(['3D000', '1049']);

/**
 * The error a worker stops with when a sink's start-up step (its client, `CREATE TABLE`, the
 * schema check, its ledger) failed: BatchFlow's own errors as they are (they name their field
 * or package), anything else as a `ConfigError` on `sinks.<name>` whose message names the sink,
 * its (redacted) location and code, and says what to do.
 *
 * @example `sinks.main: PostgreSQL sink "main" (postgres://postgres@127.0.0.1:5432/nope) names a database that does not exist (3D000): create it (CREATE DATABASE) or fix the database in sinks.main`
 */
export function sinkStartError(name: string, sink: SinkConfig, err: unknown): Error {
  if (err instanceof BatchFlowError && !(err instanceof SinkError)) return err;
  const hint = sinkHint(name, sink, err);
  if (hint) return new ConfigError(`sinks.${name}`, hint.line);
  const definition = findSink(sink.type);
  const classified = err instanceof SinkError ? err : definition?.classifyError(err);
  const code = classified?.sinkCode ?? errorCode(err) ?? classified?.reason ?? 'no code';
  const where = definition ? `${definition.title} sink "${name}" (${definition.describe(sink)})` : `sink "${name}"`;
  const message = err instanceof Error ? err.message : String(err);
  return new ConfigError(`sinks.${name}`, `${where} failed at start (${code}): ${message}: fix the database or sinks.${name} in the config`);
}

/** `host:port` of a URL, without user or password. */
function hostAndPort(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || defaultPort}`;
  } catch {
    return '<unparseable url>';
  }
}

/**
 * The code of a connection error: a Node `errno` (also on `cause`, or on the first error of an
 * `AggregateError`, as `net` reports a host with several addresses), else a Redis error prefix.
 */
function errorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.length > 0) return code;
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
    else current = current.cause;
  }
  // A Redis reply error starts with its code, in capitals (e.g. "WRONGPASS invalid username-password pair").
  return err instanceof Error ? /^([A-Z]{3,})\s/.exec(err.message)?.[1] : undefined;
}
