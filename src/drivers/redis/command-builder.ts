import type { Value } from '../../core/column-type.js';
import type { Request } from '../../core/request.js';
import { SinkError } from '../../errors/sink-error.js';

/** One argument as sent to Redis: text, or raw bytes. */
export type RedisArg = string | Buffer;

/** One command of a pipeline: upper-cased name and its arguments. */
export interface RedisCommand {
  readonly name: string;
  readonly args: readonly RedisArg[];
}

/** `SinkError.sinkCode` of a request whose command is not on the allowlist. */
export const REDIS_COMMAND_NOT_ALLOWED = 'BATCHFLOW_COMMAND_NOT_ALLOWED';
/** `SinkError.sinkCode` of a request that cannot be turned into a command (no name, a null between arguments). */
export const REDIS_BAD_COMMAND = 'BATCHFLOW_BAD_COMMAND';

/**
 * Commands the Redis driver runs unless told otherwise: plain writes of strings, hashes,
 * lists, sets, sorted sets and streams, plus expiry and deletion. Never server, scripting
 * or key-space-wide commands (FLUSHALL, CONFIG, EVAL, KEYS, ...): the command comes from job data.
 */
export const DEFAULT_REDIS_ALLOWLIST: readonly string[] = Object.freeze([
  'SET', 'SETEX', 'PSETEX', 'HSET', 'DEL', 'EXPIRE', 'INCRBY', 'LPUSH', 'RPUSH', 'SADD', 'ZADD', 'XADD',
]);

/**
 * Commands that change the connection's state (transaction, database, protocol, auth, push mode).
 * One of them in a batch would break the pipeline the driver builds around it, so they cannot be
 * allowlisted at all.
 */
export const NEVER_ALLOWED_REDIS_COMMANDS: readonly string[] = Object.freeze([
  'MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH', 'SELECT', 'SWAPDB', 'QUIT', 'RESET', 'AUTH', 'HELLO',
  'MONITOR', 'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE', 'SYNC', 'PSYNC',
]);

/** Longest command name quoted back in an error, so job data cannot flood logs. */
const MAX_QUOTED_NAME = 32;

/**
 * Converts one value to a Redis argument: numbers and bigints as decimal strings, a Date as
 * its millisecond epoch, bytes as a Buffer (sharing memory, no copy), booleans as `1` / `0`.
 */
export function toRedisArg(value: Exclude<Value, null>): RedisArg {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? '1' : '0';
    case 'bigint':
      return value.toString();
    case 'number':
      // String() switches to exponent notation from 1e21 on; integers must stay plain digits.
      return Number.isInteger(value) && Math.abs(value) >= 1e21 ? BigInt(value).toString() : String(value);
    default:
      if (value instanceof Date) return String(value.getTime());
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
}

/**
 * Builds one request's command: the first value is the command name, the rest its arguments,
 * with trailing nulls dropped (so one schema serves `SETEX key ttl value` and `DEL key`).
 * A null before a non-null argument is refused: Redis has no null, and skipping it would
 * silently shift the arguments after it (`HSET h f1 <null> f2 v2` would set f1 to "f2").
 */
export function buildCommand(request: Request, allowlist: ReadonlySet<string>): RedisCommand {
  const values = request.values;
  const head = values[0];
  if (typeof head !== 'string' || head.length === 0) {
    throw new SinkError('non_retryable', `redis: the first column (${request.schema.columns[0] ?? '?'}) must hold the command name`, {
      sinkCode: REDIS_BAD_COMMAND,
    });
  }
  const name = head.toUpperCase();
  if (!allowlist.has(name)) {
    throw new SinkError('non_retryable', `redis: command ${JSON.stringify(head.slice(0, MAX_QUOTED_NAME))} is not on the allowlist`, {
      sinkCode: REDIS_COMMAND_NOT_ALLOWED,
    });
  }
  let end = values.length;
  while (end > 1 && values[end - 1] === null) end--;
  const args: RedisArg[] = [];
  for (let i = 1; i < end; i++) {
    const value = values[i] as Value;
    if (value === null) {
      throw new SinkError('non_retryable', `redis: ${name}: column "${request.schema.columns[i]}" is null but a later argument is set`, {
        sinkCode: REDIS_BAD_COMMAND,
      });
    }
    args.push(toRedisArg(value));
  }
  return { name, args };
}

/**
 * Builds every command of a batch, or throws a non-retryable {@link SinkError} for the first
 * request that is refused, before anything is sent (a refused command must not leave the
 * commands ahead of it half-applied). The message names the request's position in the batch.
 */
export function buildCommands(requests: readonly Request[], allowlist: ReadonlySet<string>): RedisCommand[] {
  return requests.map((request, index) => {
    try {
      return buildCommand(request, allowlist);
    } catch (err) {
      if (!(err instanceof SinkError)) throw err;
      throw new SinkError(err.reason, `${err.message} (request ${index} of ${requests.length})`, { cause: err, sinkCode: err.sinkCode });
    }
  });
}
