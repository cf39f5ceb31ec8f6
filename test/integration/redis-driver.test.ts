import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, RedisDriver, Request, Schema } from '../../src/index.js';
import type { Value } from '../../src/index.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { sinkErrorOf } from '../helpers/sink-error.js';

const cache = Schema('cache', ['cmd', 'key', 'a1', 'a2', 'a3', 'a4']);

/** One request from a command line; missing trailing arguments are nulls. */
function cmd(...parts: Value[]): Request {
  const values = [...parts, ...new Array<null>(cache.columns.length - parts.length).fill(null)];
  return Request.fromRow(cache, Object.fromEntries(cache.columns.map((c, i) => [c, values[i] ?? null])));
}

describe('RedisDriver (real Redis)', () => {
  const prefix = uniquePrefix('redis_driver');
  const k = (name: string) => `${prefix}:${name}`;
  let redis: Redis;
  let driver: RedisDriver;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
    driver = new RedisDriver({ client: redis });
  });

  afterAll(async () => {
    await deletePrefix(prefix);
    await driver.close(); // must leave the user's client open
    expect(await redis.ping()).toBe('PONG');
    await redis.quit();
  });

  it('lands an allowlisted pipeline, converting values to Redis arguments', async () => {
    const at = new Date('2024-05-01T12:00:00.123Z');
    await driver.execute(cache, [
      cmd('SET', k('str'), 'v1'),
      cmd('setex', k('ttl'), 100, 'v2'),
      cmd('HSET', k('hash'), 'big', 9007199254740993n, 'flag', true),
      cmd('HSET', k('hash'), 'at', at, 'bytes', new Uint8Array([0, 255, 10])),
      cmd('RPUSH', k('list'), 'a', 'b', false),
      cmd('ZADD', k('zset'), 1.5, 'm1'),
      cmd('XADD', k('stream'), '*', 'field', 'value'),
      cmd('SET', k('gone'), 'x'),
      cmd('DEL', k('gone')),
    ]);
    expect(await redis.get(k('str'))).toBe('v1');
    const ttl = await redis.ttl(k('ttl'));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.get(k('ttl'))).toBe('v2');
    const hash = await redis.hgetall(k('hash'));
    expect(hash).toMatchObject({ big: '9007199254740993', flag: '1', at: String(at.getTime()) });
    expect(await redis.hgetBuffer(k('hash'), 'bytes')).toEqual(Buffer.from([0, 255, 10]));
    expect(await redis.lrange(k('list'), 0, -1)).toEqual(['a', 'b', '0']);
    expect(await redis.zscore(k('zset'), 'm1')).toBe('1.5');
    const entries = await redis.xrange(k('stream'), '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([['field', 'value']]);
    expect(await redis.exists(k('gone'))).toBe(0);
  });

  it.each(['FLUSHALL', 'CONFIG', 'EVAL', 'flushall'])('refuses %s before sending anything', async (name) => {
    const canary = k(`canary-${name}`);
    const args: Value[] = name === 'EVAL' ? ["return redis.call('FLUSHALL')", 0] : name === 'CONFIG' ? ['SET', 'maxmemory', '1'] : [];
    const err = await sinkErrorOf(driver.execute(cache, [cmd('SET', canary, 'must not land'), cmd(name, ...args)]));
    expect(err.reason).toBe('non_retryable');
    expect(err.sinkCode).toBe('BATCHFLOW_COMMAND_NOT_ALLOWED');
    expect(err.message).toMatch(/request 1 of 2/);
    expect(await redis.exists(canary)).toBe(0);
  });

  it('refuses a null between arguments instead of shifting the ones after it', async () => {
    const err = await sinkErrorOf(driver.execute(cache, [cmd('HSET', k('shift'), 'f1', null, 'f2', 'v2')]));
    expect(err.sinkCode).toBe('BATCHFLOW_BAD_COMMAND');
    expect(await redis.exists(k('shift'))).toBe(0);
  });

  it('classifies WRONGTYPE as non_retryable; a plain pipeline still applies the other commands', async () => {
    await redis.set(k('wrongtype'), 'a string');
    const err = await sinkErrorOf(driver.execute(cache, [cmd('SET', k('applied'), '1'), cmd('LPUSH', k('wrongtype'), 'x')]));
    expect(err.reason).toBe('non_retryable');
    expect(err.retryable).toBe(false);
    expect(err.sinkCode).toBe('WRONGTYPE');
    expect(err.message).toMatch(/1 of 2 commands failed, 1 applied; request 1 \(LPUSH\)/);
    expect(await redis.get(k('applied'))).toBe('1');
  });

  describe('transaction: true (MULTI/EXEC)', () => {
    let tx: RedisDriver;
    beforeAll(() => {
      tx = new RedisDriver({ client: redis, transaction: true });
    });

    it('lands a batch', async () => {
      await tx.execute(cache, [cmd('SET', k('tx1'), 'a'), cmd('INCRBY', k('tx2'), 5), cmd('SADD', k('tx3'), 'm')]);
      expect(await redis.mget(k('tx1'), k('tx2'))).toEqual(['a', '5']);
      expect(await redis.sismember(k('tx3'), 'm')).toBe(1);
    });

    it('applies nothing when Redis rejects a command while queueing (EXECABORT)', async () => {
      // SET with its value dropped as a trailing null has the wrong arity.
      const err = await sinkErrorOf(tx.execute(cache, [cmd('SET', k('tx-none'), 'a'), cmd('SET', k('tx-arity'))]));
      expect(err.reason).toBe('non_retryable');
      expect(err.sinkCode).toBe('ERR');
      expect(await redis.exists(k('tx-none'), k('tx-arity'))).toBe(0);
    });

    it('documents that Redis has no rollback: a WRONGTYPE during EXEC leaves the others applied', async () => {
      await redis.set(k('tx-wrongtype'), 'a string');
      const err = await sinkErrorOf(tx.execute(cache, [cmd('SET', k('tx-applied'), '1'), cmd('RPUSH', k('tx-wrongtype'), 'x')]));
      expect(err.sinkCode).toBe('WRONGTYPE');
      expect(await redis.get(k('tx-applied'))).toBe('1');
    });
  });

  it('sends nothing once the signal has aborted', async () => {
    const err = await sinkErrorOf(driver.execute(cache, [cmd('SET', k('aborted'), '1')], AbortSignal.abort()));
    expect(err.reason).toBe('context');
    expect(await redis.exists(k('aborted'))).toBe(0);
  });

  it('creates, uses and closes its own client from a url', async () => {
    const owned = new RedisDriver({ url: REDIS_URL });
    await owned.ping();
    await owned.execute(cache, [cmd('SET', k('owned'), 'yes')]);
    expect(await redis.get(k('owned'))).toBe('yes');
    await owned.close();
    expect((await sinkErrorOf(owned.execute(cache, [cmd('SET', k('after-close'), '1')]))).reason).toBe('connection');
  });

  it('classifies an unreachable server as connection', async () => {
    const down = new RedisDriver({ url: 'redis://127.0.0.1:1' });
    try {
      const err = await sinkErrorOf(down.execute(cache, [cmd('SET', k('unreachable'), '1')]));
      expect(err.reason).toBe('connection');
      expect((await sinkErrorOf(down.ping())).reason).toBe('connection');
      // While the client is still trying to reconnect, an abort returns at once instead of waiting.
      const started = performance.now();
      const aborted = await sinkErrorOf(down.execute(cache, [cmd('SET', k('unreachable'), '1')], AbortSignal.timeout(20)));
      expect(aborted.reason).toBe('context');
      expect(performance.now() - started).toBeLessThan(250);
    } finally {
      await down.close();
    }
  });

  it('fails fast on invalid options, naming the field and never echoing the url', () => {
    expect(() => new RedisDriver({})).toThrow(ConfigError);
    expect(() => new RedisDriver({ client: redis, url: REDIS_URL })).toThrow(/client: give exactly one/);
    expect(() => new RedisDriver({ url: 'http://user:s3cret@host' })).toThrow(/^url: must be a redis/);
    expect(() => new RedisDriver({ url: 'http://user:s3cret@host' })).not.toThrow(/s3cret/);
    expect(() => new RedisDriver({ client: redis, allowlist: ['SET', 'MULTI'] })).toThrow(/allowlist: MULTI/);
    expect(() => new RedisDriver({ client: redis, allowlist: [] })).toThrow(/allowlist/);
  });
});
