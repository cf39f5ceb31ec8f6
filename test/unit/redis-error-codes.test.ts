import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { throwOnFailedReplies } from '../../src/drivers/redis/command-replies.js';
import { PartialWriteError, Schema, SinkError } from '../../src/index.js';
import { classifyRedisError, REDIS_ERROR_PREFIXES, redisErrorPrefix } from '../../src/drivers/redis/error-codes.js';
import { failureAction } from '../../src/errors/failure-reason.js';

/** A reply error exactly as ioredis's parser builds it. */
const reply = (message: string): Error => new (ReplyError as new (m: string) => Error)(message);

/** Every prefix the table lists, with a reply Redis really sends (or the shape of one) and the reason. */
const PREFIX_ROWS: ReadonlyArray<[message: string, reason: string]> = [
  // Data errors: the command is at fault, dead-lettered once its neighbours commit.
  ['ERR value is not an integer or out of range', 'non_retryable'],
  ["ERR wrong number of arguments for 'set' command", 'non_retryable'],
  ['WRONGTYPE Operation against a key holding the wrong kind of value', 'non_retryable'],
  ['EXECABORT Transaction discarded because of previous errors.', 'non_retryable'],
  ['NOSCRIPT No matching script. Please use EVAL.', 'non_retryable'],
  ['BUSYKEY Target key name already exists.', 'non_retryable'],
  ['BUSYGROUP Consumer Group name already exists', 'non_retryable'],
  ["NOGROUP No such key 'k' or consumer group 'g'", 'non_retryable'],
  ["CROSSSLOT Keys in request don't hash to the same slot", 'non_retryable'],
  // The server cannot take writes right now: held, never dead-lettered (issue 9: OOM, MISCONF).
  ["OOM command not allowed when used memory > 'maxmemory'.", 'io'],
  ['MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.', 'io'],
  ['LOADING Redis is loading the dataset in memory', 'io'],
  ['TRYAGAIN Multiple keys request during rehashing of slot', 'io'],
  ['CLUSTERDOWN The cluster is down', 'io'],
  ['MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.', 'io'],
  ['NOREPLICAS Not enough good replicas to write.', 'io'],
  ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.', 'timeout'],
  ["READONLY You can't write against a read only replica.", 'connection'],
  ['NOAUTH Authentication required.', 'connection'],
  ['WRONGPASS invalid username-password pair or user is disabled.', 'connection'],
  ["NOPERM User default has no permissions to run the 'set' command", 'connection'],
  // A prefix no table lists is no evidence of bad data.
  ['SOMENEWPREFIX unknown to this table', 'unknown'],
];

describe('Redis error classification', () => {
  it.each(PREFIX_ROWS)('%s', (message, reason) => {
    const prefix = message.split(' ')[0];
    expect(classifyRedisError(reply(message))).toEqual({ reason, code: prefix });
  });

  it('has a row above for every prefix in the table', () => {
    const tested = new Set(PREFIX_ROWS.map(([message]) => message.split(' ')[0]));
    expect(Object.keys(REDIS_ERROR_PREFIXES).filter((prefix) => !tested.has(prefix))).toEqual([]);
  });

  it('never dead-letters a sick server: only data prefixes lead to bisection', () => {
    const bisected = Object.entries(REDIS_ERROR_PREFIXES).filter(([, reason]) => failureAction(reason) === 'bisect').map(([prefix]) => prefix);
    expect(bisected.sort()).toEqual(['BUSYGROUP', 'BUSYKEY', 'CROSSSLOT', 'ERR', 'EXECABORT', 'NOGROUP', 'NOSCRIPT', 'WRONGTYPE']);
    for (const prefix of ['OOM', 'MISCONF', 'LOADING', 'READONLY', 'NOAUTH']) expect(failureAction(REDIS_ERROR_PREFIXES[prefix] ?? 'non_retryable')).toBe('hold');
  });

  it('only reads a prefix from error replies, never from other errors', () => {
    expect(redisErrorPrefix(new Error('LOADING but not a reply'))).toBeUndefined();
    expect(classifyRedisError(new Error('LOADING but not a reply')).reason).toBe('unknown');
    expect(redisErrorPrefix(reply('lowercase message'))).toBeUndefined();
  });

  it('classifies EXECABORT by the rejections that caused it', () => {
    const abort = (...previous: string[]) =>
      Object.assign(reply('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: previous.map(reply) });
    expect(classifyRedisError(abort('ERR wrong number of arguments', 'LOADING Redis is loading'))).toEqual({ reason: 'io', code: 'LOADING' });
    expect(classifyRedisError(abort("OOM command not allowed when used memory > 'maxmemory'."))).toEqual({ reason: 'io', code: 'OOM' });
    expect(classifyRedisError(abort('ERR unknown command'))).toEqual({ reason: 'non_retryable', code: 'ERR' });
    expect(classifyRedisError(reply('EXECABORT Transaction discarded')).reason).toBe('non_retryable');
  });

  it('classifies Node errno and ioredis client errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifyRedisError(refused)).toEqual({ reason: 'connection', code: 'ECONNREFUSED' });
    const maxRetries = Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' });
    expect(classifyRedisError(maxRetries)).toEqual({ reason: 'connection', code: 'MaxRetriesPerRequestError' });
    expect(classifyRedisError(new Error('Connection is closed.')).reason).toBe('connection');
    expect(classifyRedisError(new Error('Command timed out')).reason).toBe('timeout');
    expect(classifyRedisError(new TypeError('a bug')).reason).toBe('unknown');
  });

  it('keeps the prefix table frozen', () => {
    expect(Object.isFrozen(REDIS_ERROR_PREFIXES)).toBe(true);
  });
});

describe('Redis replies: what committed', () => {
  const schema = Schema('replies', ['cmd', 'key']);
  const commands = ['INCRBY', 'INCRBY', 'LPUSH', 'INCRBY'].map((name) => ({ name, args: ['k'] }));
  const ok = [null, 1] as const;
  const thrown = (replies: ReadonlyArray<readonly [Error | null, unknown]>): unknown => {
    try {
      throwOnFailedReplies(schema, commands, replies, 'pipeline');
    } catch (err) {
      return err;
    }
    return undefined;
  };

  it('returns when every command succeeded', () => {
    expect(thrown([ok, ok, ok, ok])).toBeUndefined();
  });

  it('names only the failed commands, each with its own error; the most severe is the reason', () => {
    const err = thrown([ok, [reply('WRONGTYPE Operation against a key'), null], [reply("OOM command not allowed when used memory > 'maxmemory'."), null], ok]);
    expect(err).toBeInstanceOf(PartialWriteError);
    const partial = err as PartialWriteError;
    expect(partial).toMatchObject({ reason: 'io', sinkCode: 'OOM' });
    expect(partial.failures.map((f) => [f.index, f.error.reason, f.error.sinkCode])).toEqual([
      [1, 'non_retryable', 'WRONGTYPE'],
      [2, 'io', 'OOM'],
    ]);
    expect(partial.failures[0]?.error.message).toMatch(/request 1 of 4 \(INCRBY\): WRONGTYPE/);
    expect(partial.message).toMatch(/2 of 4 commands failed, 2 applied; request 2 \(LPUSH\): OOM/);
  });

  it('is still a partial write when every command was refused on its own (nothing applied)', () => {
    const oom = (): [Error, null] => [reply("OOM command not allowed when used memory > 'maxmemory'."), null];
    const err = thrown([oom(), oom(), oom(), oom()]) as PartialWriteError;
    expect(err).toBeInstanceOf(PartialWriteError);
    expect(err.reason).toBe('io');
    expect(err.failures.map((f) => f.index)).toEqual([0, 1, 2, 3]);
  });

  it('classifies a transport error mid-pipeline as connection: it may have applied, so it is held, never dead-lettered', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const err = thrown([ok, ok, [reset, null], [new Error('Connection is closed.'), null]]) as PartialWriteError;
    expect(err).toBeInstanceOf(PartialWriteError);
    expect(err.failures.map((f) => [f.index, f.error.reason])).toEqual([
      [2, 'connection'],
      [3, 'connection'],
    ]);
    expect(err.message).toMatch(/2 with no reply: they may have applied/);
  });

  it('throws a plain SinkError when no command got a reply at all', () => {
    const closed = (): [Error, null] => [new Error('Connection is closed.'), null];
    const err = thrown([closed(), closed(), closed(), closed()]);
    expect(err).toBeInstanceOf(SinkError);
    expect(err).not.toBeInstanceOf(PartialWriteError);
    expect((err as SinkError).reason).toBe('connection');
  });

  it('holds commands a client left without a reply', () => {
    const err = thrown([ok, ok]) as PartialWriteError;
    expect(err.failures.map((f) => [f.index, f.error.reason])).toEqual([
      [2, 'unknown'],
      [3, 'unknown'],
    ]);
  });
});
