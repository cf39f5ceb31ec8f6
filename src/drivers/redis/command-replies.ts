import type { Schema } from '../../core/schema.js';
import { PartialWriteError, type RequestFailure } from '../../errors/partial-write-error.js';
import { SinkError } from '../../errors/sink-error.js';
import type { RedisCommand } from './command-builder.js';
import { mostSevere, redisErrorPrefix, toRedisSinkError } from './error-codes.js';

/** One reply per command, as `RedisCommandQueue.exec()` resolves it. */
export type RedisReplies = ReadonlyArray<readonly [error: Error | null, result: unknown]>;

/**
 * Decides from the per-command replies of one pipeline or EXEC what committed, and throws when
 * something did not:
 *
 * - every reply a success: returns;
 * - some replies are errors: a {@link PartialWriteError} with one classified failure per failed
 *   command (see `REDIS_ERROR_PREFIXES`); its own reason is the most severe of them. Every other
 *   command applied and must never be sent again. This holds too when every command failed with
 *   its own error reply (each was refused, so nothing applied);
 * - no command succeeded and none got an error reply of its own (every reply is a transport
 *   error, e.g. the connection dropped before any reply came): a plain {@link SinkError}, as for a
 *   pipeline that failed as a whole.
 *
 * An error reply from Redis means the command did not apply. A transport error in place of a
 * reply (connection closed or reset, command timed out) cannot tell: the command may have run
 * before the reply was lost. Such a command is classified by its transport error (`connection`,
 * `timeout`), so it is held and sent again, and a non-idempotent command (INCRBY, RPUSH, XADD
 * with `*`) may then apply twice. That is the at-least-once delivery BatchFlow promises; no
 * client can do better without reading the data back.
 */
export function throwOnFailedReplies(schema: Schema, commands: readonly RedisCommand[], replies: RedisReplies, label: string): void {
  const failures: RequestFailure[] = [];
  let refused = 0;
  for (let index = 0; index < commands.length; index++) {
    const reply = replies[index];
    const name = commands[index]?.name ?? '?';
    const context = `${schema.name}: request ${index} of ${commands.length} (${name})`;
    if (reply === undefined) {
      // A client that answers fewer commands than it was given: nothing says this one ran or not.
      failures.push({ index, error: new SinkError('unknown', `redis: ${context}: the ${label} returned no reply for this command; it may have applied`) });
    } else if (reply[0]) {
      if (redisErrorPrefix(reply[0]) !== undefined) refused++;
      failures.push({ index, error: toRedisSinkError(reply[0], context) });
    }
  }
  if (failures.length === 0) return;

  const worst = mostSevere(failures.map((f) => ({ ...f, reason: f.error.reason }))) as RequestFailure;
  const applied = commands.length - failures.length;
  const unconfirmed = failures.length - refused;
  if (applied === 0 && refused === 0) {
    throw new SinkError(worst.error.reason, `redis: ${schema.name}: ${label} failed, no command confirmed (${worst.error.message})`, {
      cause: worst.error,
      sinkCode: worst.error.sinkCode,
    });
  }
  const maybe = unconfirmed > 0 ? ` (${unconfirmed} with no reply: they may have applied)` : '';
  const cause = worst.error.cause instanceof Error ? worst.error.cause.message : worst.error.message;
  throw new PartialWriteError(
    worst.error.reason,
    `redis: ${schema.name}: ${failures.length} of ${commands.length} commands failed${maybe}, ${applied} applied; request ${worst.index} (${commands[worst.index]?.name ?? '?'}): ${cause}`,
    failures,
    { cause: worst.error, sinkCode: worst.error.sinkCode },
  );
}
