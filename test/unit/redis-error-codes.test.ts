import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { classifyRedisError, REDIS_ERROR_PREFIXES, redisErrorPrefix } from '../../src/index.js';

/** A reply error exactly as ioredis's parser builds it. */
const reply = (message: string): Error => new (ReplyError as new (m: string) => Error)(message);

describe('Redis error classification', () => {
  it.each([
    ['LOADING Redis is loading the dataset in memory', 'io'],
    ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.', 'timeout'],
    ['TRYAGAIN Multiple keys request during rehashing of slot', 'io'],
    ['CLUSTERDOWN The cluster is down', 'io'],
    ['MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.', 'io'],
    ["OOM command not allowed when used memory > 'maxmemory'.", 'io'],
    ["READONLY You can't write against a read only replica.", 'connection'],
    ['NOAUTH Authentication required.', 'connection'],
    ['WRONGTYPE Operation against a key holding the wrong kind of value', 'non_retryable'],
    ['ERR value is not an integer or out of range', 'non_retryable'],
    ['NOSCRIPT No matching script. Please use EVAL.', 'non_retryable'],
    ['SOMENEWPREFIX unknown to this table', 'non_retryable'],
  ])('%s', (message, reason) => {
    const prefix = message.split(' ')[0];
    expect(classifyRedisError(reply(message))).toEqual({ reason, code: prefix });
  });

  it('only reads a prefix from error replies, never from other errors', () => {
    expect(redisErrorPrefix(new Error('LOADING but not a reply'))).toBeUndefined();
    expect(classifyRedisError(new Error('LOADING but not a reply')).reason).toBe('non_retryable');
    expect(redisErrorPrefix(reply('lowercase message'))).toBeUndefined();
  });

  it('classifies EXECABORT by the rejections that caused it', () => {
    const abort = Object.assign(reply('EXECABORT Transaction discarded because of previous errors.'), {
      previousErrors: [reply('ERR wrong number of arguments'), reply('LOADING Redis is loading')],
    });
    expect(classifyRedisError(abort)).toEqual({ reason: 'io', code: 'LOADING' });
    expect(classifyRedisError(reply('EXECABORT Transaction discarded')).reason).toBe('non_retryable');
  });

  it('classifies Node errno and ioredis client errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifyRedisError(refused)).toEqual({ reason: 'connection', code: 'ECONNREFUSED' });
    const maxRetries = Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' });
    expect(classifyRedisError(maxRetries)).toEqual({ reason: 'connection', code: 'MaxRetriesPerRequestError' });
    expect(classifyRedisError(new Error('Connection is closed.')).reason).toBe('connection');
    expect(classifyRedisError(new Error('Command timed out')).reason).toBe('timeout');
    expect(classifyRedisError(new TypeError('a bug')).reason).toBe('non_retryable');
  });

  it('keeps the prefix table frozen', () => {
    expect(Object.isFrozen(REDIS_ERROR_PREFIXES)).toBe(true);
  });
});
