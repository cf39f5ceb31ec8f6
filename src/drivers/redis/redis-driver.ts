import type { BatchExecutor } from '../../core/batch-executor.js';
import type { Request } from '../../core/request.js';
import type { Schema } from '../../core/schema.js';
import { ConfigError } from '../../errors/config-error.js';
import { SinkError } from '../../errors/sink-error.js';
import { abortedSinkError, throwIfAborted } from '../abort-guard.js';
import { buildCommands, DEFAULT_REDIS_ALLOWLIST, NEVER_ALLOWED_REDIS_COMMANDS } from './command-builder.js';
import { throwOnFailedReplies } from './command-replies.js';
import { toRedisSinkError } from './error-codes.js';
import { createOwnedClient, type RedisClientLike } from './redis-client.js';

const SINK = 'redis';
/** Why an abort before `exec()` loses nothing: no command has left the process yet. */
const NOT_SENT = 'batch aborted before it was sent';

/** Options of {@link RedisDriver}. Give exactly one of `client` and `url`. */
export interface RedisDriverOptions {
  /**
   * Your own client; the driver never closes it.
   * @defaultValue none: give `client` or `url`
   */
  client?: RedisClientLike;
  /**
   * `redis://` or `rediss://` URL; the driver creates an ioredis client for it and closes it in `close()`.
   * @defaultValue none: give `client` or `url`
   */
  url?: string;
  /**
   * Command names (case-insensitive) a request may carry. Anything else fails the batch as
   * `non_retryable` before a single command is sent. Connection-state commands (MULTI, SELECT,
   * SUBSCRIBE, AUTH, ...) cannot be allowed.
   * @defaultValue SET, SETEX, PSETEX, HSET, DEL, EXPIRE, INCRBY, LPUSH, RPUSH, SADD, ZADD, XADD
   */
  allowlist?: readonly string[];
  /**
   * Wrap each batch in MULTI/EXEC instead of a plain pipeline.
   *
   * Redis has no rollback, so in both modes each command commits on its own, and the driver
   * reports per command what committed: when some commands fail, it throws a
   * `PartialWriteError` listing only the failed ones, and the pipeline never sends the others
   * again. A command refused for its data (WRONGTYPE, `ERR value is not an integer`) is
   * dead-lettered alone; one refused by a sick server (OOM, MISCONF, LOADING, READONLY) is held
   * and retried.
   *
   * What MULTI/EXEC adds: isolation (no other client's command runs in between) and
   * all-or-nothing for what Redis detects while queueing and for a connection lost before EXEC.
   * Then nothing applied, and the driver throws a plain `SinkError` for the whole batch: an
   * unknown command or wrong arity (EXECABORT) is `non_retryable` and the batch is bisected; OOM
   * or MISCONF at queue time (EXECABORT caused by them) is `io` and the batch is held. A plain
   * pipeline instead refuses each such command alone and applies the rest.
   *
   * Either way, when the connection drops after the commands were sent, the driver cannot know
   * whether they applied (a lost EXEC reply, or a pipeline command with no reply); they are
   * held and sent again, so a non-idempotent command (INCRBY, RPUSH, XADD `*`) may apply twice.
   * That is at-least-once delivery; prefer idempotent commands (SET, HSET, DEL, SADD, ZADD) where
   * exactly-once matters.
   * @defaultValue false
   */
  transaction?: boolean;
}

/** Defaults of {@link RedisDriverOptions}. */
export const REDIS_DRIVER_DEFAULTS = Object.freeze({ allowlist: DEFAULT_REDIS_ALLOWLIST, transaction: false });

/**
 * A {@link BatchExecutor} that writes each batch to Redis as one pipeline (or one MULTI/EXEC
 * with `transaction: true`). Each request is one command: the first column holds the command
 * name, the others its arguments, trailing nulls dropped. Only allowlisted commands run, because
 * the command comes from job data; a refused command fails the batch before anything is sent.
 *
 * Per-command replies decide what committed. When some commands fail, `execute()` throws a
 * `PartialWriteError` (a {@link SinkError}) whose `failures` name each failed request's index
 * with its own classified error (by Redis error prefix and Node errno, see
 * `REDIS_ERROR_PREFIXES`); every other request applied. Its own `reason` is the most severe of
 * the failures', so a batch that met an `OOM` server is reported as `io` (held), never as bad
 * data. When the batch failed as a whole (EXECABORT: nothing applied; a connection lost before
 * EXEC's reply or before any pipeline reply: nothing confirmed), it throws a plain `SinkError`.
 *
 * Delivery is at-least-once: a command whose reply was lost to a dropped connection may have
 * applied, and is sent again. See {@link RedisDriverOptions.transaction}.
 *
 * @example
 * ```ts
 * const cache = Schema('cache', ['cmd', 'key', 'ttl', 'value']);
 * const driver = new RedisDriver({ url: 'redis://127.0.0.1:6379' });
 * await driver.execute(cache, [
 *   Request.fromRow(cache, { cmd: 'SETEX', key: 'user:1', ttl: 60, value: 'Ada' }),
 *   Request.fromRow(cache, { cmd: 'DEL', key: 'user:2', ttl: null, value: null }),
 * ]);
 * await driver.close();
 * ```
 */
export class RedisDriver implements BatchExecutor {
  /** Sink name for metric labels and logs. */
  readonly sink = SINK;
  readonly #client: RedisClientLike;
  readonly #owned: ReturnType<typeof createOwnedClient> | undefined;
  readonly #allowlist: ReadonlySet<string>;
  readonly #transaction: boolean;
  #closed = false;

  constructor(options: RedisDriverOptions) {
    const { client, url } = options;
    // `??` rather than a spread, so an explicit `undefined` also means "the default".
    const allowlist = options.allowlist ?? REDIS_DRIVER_DEFAULTS.allowlist;
    const transaction = options.transaction ?? REDIS_DRIVER_DEFAULTS.transaction;
    this.#allowlist = validateAllowlist(allowlist);
    if (typeof transaction !== 'boolean') throw new ConfigError('transaction', 'must be a boolean');
    if ((client === undefined) === (url === undefined)) throw new ConfigError('client', 'give exactly one of client and url');
    if (url !== undefined) {
      validateUrl(url);
      this.#owned = createOwnedClient(url);
      this.#client = this.#owned;
    } else {
      validateClient(client);
      this.#client = client as RedisClientLike;
    }
    this.#transaction = transaction;
  }

  /**
   * Sends the batch as one pipeline (or MULTI/EXEC). Every command is checked against the
   * allowlist before anything is sent. An abort before sending sends nothing; an abort after
   * sending returns at once as `context`, but commands already sent may still apply.
   *
   * @throws `PartialWriteError` when some commands failed and the others applied: one failure
   *   per failed request, by its index in `requests`, with its own classified error.
   * @throws {@link SinkError} when the batch failed as a whole: nothing applied (a refused
   *   command, EXECABORT, an abort before sending) or nothing is confirmed (the connection dropped
   *   before EXEC's reply or before any pipeline reply; the batch is sent again, at-least-once).
   */
  async execute(schema: Schema, requests: readonly Request[], signal?: AbortSignal): Promise<void> {
    throwIfAborted(SINK, signal, NOT_SENT);
    const commands = buildCommands(requests, this.#allowlist);
    if (commands.length === 0) return;
    throwIfAborted(SINK, signal, NOT_SENT);
    const batch = this.#transaction ? this.#client.multi() : this.#client.pipeline();
    for (const { name, args } of commands) batch.call(name, ...args);
    let results: Awaited<ReturnType<typeof batch.exec>>;
    try {
      results = await untilAborted(batch.exec(), signal);
    } catch (err) {
      throw toRedisSinkError(err, `${schema.name}: ${this.#transaction ? 'EXEC' : 'pipeline'} failed`);
    }
    // Only a WATCHed key makes EXEC return nil, and the driver watches none; nothing applied.
    if (results === null) throw new SinkError('unknown', `redis: ${schema.name}: EXEC returned nil, the transaction was aborted`);
    throwOnFailedReplies(schema, commands, results, this.#transaction ? 'EXEC' : 'pipeline');
  }

  /** Sends PING; a failure is classified like a batch failure. */
  async ping(signal?: AbortSignal): Promise<void> {
    throwIfAborted(SINK, signal, 'ping aborted before it was sent');
    try {
      await untilAborted(this.#client.ping(), signal);
    } catch (err) {
      throw toRedisSinkError(err, 'PING failed');
    }
  }

  /** Closes the client the driver created from `url` (QUIT, then disconnect if that fails). Never closes your own client. */
  async close(): Promise<void> {
    if (this.#closed || !this.#owned) return;
    this.#closed = true;
    try {
      await this.#owned.quit();
    } catch {
      this.#owned.disconnect(); // QUIT cannot reach a dead server; drop the socket and stop reconnecting
    }
  }
}

/** Settles with `promise`, or rejects as `context` as soon as `signal` aborts (the commands cannot be recalled). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedSinkError(SINK, signal, 'aborted while waiting for the reply; sent commands may still apply'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function validateAllowlist(allowlist: unknown): ReadonlySet<string> {
  if (!Array.isArray(allowlist) || allowlist.length === 0) throw new ConfigError('allowlist', 'must be a non-empty array of command names');
  const names = new Set<string>();
  for (const entry of allowlist as unknown[]) {
    if (typeof entry !== 'string' || !/^[A-Za-z][A-Za-z0-9_|-]*$/.test(entry)) {
      throw new ConfigError('allowlist', `${JSON.stringify(entry)} is not a command name`);
    }
    const name = entry.toUpperCase();
    if (NEVER_ALLOWED_REDIS_COMMANDS.includes(name)) throw new ConfigError('allowlist', `${name} changes the connection's state and cannot be allowed`);
    names.add(name);
  }
  return names;
}

function validateUrl(url: unknown): void {
  // The URL may hold a password, so the message never repeats it.
  let protocol: string | undefined;
  try {
    protocol = typeof url === 'string' ? new URL(url).protocol : undefined;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw new ConfigError('url', 'must be a redis:// or rediss:// URL');
}

function validateClient(client: unknown): void {
  const c = client as Partial<Record<keyof RedisClientLike, unknown>> | null;
  if (typeof c?.pipeline !== 'function' || typeof c.multi !== 'function' || typeof c.ping !== 'function') {
    throw new ConfigError('client', 'must have pipeline(), multi() and ping() methods');
  }
}
