import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchConsumer, ConfigError, PartialWriteError, Producer, RedisDriver, Request, Schema } from '../../src/index.js';
import { classifyRedisError } from '../../src/drivers/redis/error-codes.js';
import type { Value } from '../../src/index.js';
import { useCleanups } from '../helpers/cleanups.js';
import { RedisServer } from '../helpers/redis-server.js';
import { deletePrefix, REDIS_URL, uniquePrefix, waitFor } from '../helpers/redis.js';
import { sinkErrorOf } from '../helpers/sink-error.js';

const cache = Schema('cache', ['cmd', 'key', 'a1', 'a2', 'a3', 'a4']);

/** One request from a command line; missing trailing arguments are nulls. */
function cmd(...parts: Value[]): Request {
  const values = [...parts, ...new Array<null>(cache.columns.length - parts.length).fill(null)];
  return Request.fromRow(cache, Object.fromEntries(cache.columns.map((c, i) => [c, values[i] ?? null])));
}

const defer = useCleanups();

/** 64 × `INCRBY counter 1` with `poison` spliced in at `at`. */
function counterBatch(counter: string, poison: Request, at: number): Request[] {
  const batch = Array.from({ length: 64 }, () => cmd('INCRBY', counter, 1));
  batch.splice(at, 0, poison);
  return batch;
}

/**
 * Fills a server that has a small maxmemory (noeviction) well past it, so that even a tiny write
 * is refused with OOM. Filling until the first OOM is not enough: that OOM is often caused by
 * the filler's own query buffer, and once it is freed small writes fit again.
 */
async function fillPastMaxmemory(client: Redis): Promise<void> {
  const [, limit] = (await client.config('GET', 'maxmemory')) as [string, string];
  await client.config('SET', 'maxmemory', '0');
  const filler = 'x'.repeat(16 * 1024);
  for (let i = 0; (await usedMemory(client)) < Number(limit) + 256 * 1024; i++) await client.set(`filler:${i}`, filler);
  await client.config('SET', 'maxmemory', limit);
  const probe = await client.set('oom-probe', '1').then(
    () => undefined,
    (err: unknown) => classifyRedisError(err).code,
  );
  expect(probe).toBe('OOM');
}

async function usedMemory(client: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1]);
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
    expect(err).toBeInstanceOf(PartialWriteError);
    expect(err.reason).toBe('non_retryable');
    expect(err.retryable).toBe(false);
    expect(err.sinkCode).toBe('WRONGTYPE');
    expect(err.message).toMatch(/1 of 2 commands failed, 1 applied; request 1 \(LPUSH\)/);
    expect(await redis.get(k('applied'))).toBe('1');
  });

  it.each([
    ['pipeline', false],
    ['MULTI/EXEC', true],
  ])('%s: 64 × INCRBY plus one poison command reports only the poison, and the counter is exactly 64', async (_mode, transaction) => {
    const counter = k(`counter-${String(transaction)}`);
    const hash = k(`hash-${String(transaction)}`);
    await redis.hset(hash, 'f', 'v');
    const sink = new RedisDriver({ client: redis, transaction });
    const err = await sinkErrorOf(sink.execute(cache, counterBatch(counter, cmd('INCRBY', hash, 1), 40)));
    expect(err).toBeInstanceOf(PartialWriteError);
    const { failures } = err as PartialWriteError;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ index: 40, error: { reason: 'non_retryable', sinkCode: 'WRONGTYPE' } });
    expect(failures[0]?.error.message).toMatch(/request 40 of 65 \(INCRBY\): WRONGTYPE/);
    expect(err).toMatchObject({ reason: 'non_retryable', sinkCode: 'WRONGTYPE' });
    expect(await redis.get(counter)).toBe('64');
    expect(await redis.hgetall(hash)).toEqual({ f: 'v' });
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
      expect(err).not.toBeInstanceOf(PartialWriteError); // the whole batch failed: a bisection is safe
      expect(err.reason).toBe('non_retryable');
      expect(err.sinkCode).toBe('ERR');
      expect(await redis.exists(k('tx-none'), k('tx-arity'))).toBe(0);
    });

    it('Redis has no rollback: a WRONGTYPE during EXEC is a partial write naming only that command', async () => {
      await redis.set(k('tx-wrongtype'), 'a string');
      const err = await sinkErrorOf(tx.execute(cache, [cmd('SET', k('tx-applied'), '1'), cmd('RPUSH', k('tx-wrongtype'), 'x')]));
      expect(err).toBeInstanceOf(PartialWriteError);
      expect((err as PartialWriteError).failures.map((f) => [f.index, f.error.reason, f.error.sinkCode])).toEqual([[1, 'non_retryable', 'WRONGTYPE']]);
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

describe('RedisDriver against a server out of memory (private redis-server, maxmemory 1mb, noeviction)', () => {
  /** A batch of writes Redis refuses with OOM (all are `denyoom` commands). */
  const writes = () => [cmd('SET', 'oom:str', 'v'), cmd('INCRBY', 'oom:c', 1), cmd('INCRBY', 'oom:c', 1), cmd('HSET', 'oom:h', 'f', 'v'), cmd('RPUSH', 'oom:l', 'x')];

  it('holds the batch as io (never non_retryable); once maxmemory is raised the same requests land', async () => {
    const server = await RedisServer.create({ args: ['--maxmemory', '1mb'] });
    defer(() => server.remove());
    await server.start();
    const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    defer(() => admin.disconnect());
    await fillPastMaxmemory(admin);

    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    defer(() => client.disconnect());
    const pipeline = new RedisDriver({ client });
    const tx = new RedisDriver({ client, transaction: true });

    // Pipeline: each command is refused on its own, so it is a PartialWriteError naming every request, all io.
    const piped = await sinkErrorOf(pipeline.execute(cache, writes()));
    expect(piped).toBeInstanceOf(PartialWriteError);
    expect(piped).toMatchObject({ reason: 'io', sinkCode: 'OOM' });
    const { failures } = piped as PartialWriteError;
    expect(failures.map((f) => f.index)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(failures.map((f) => `${f.error.reason}/${f.error.sinkCode}`))).toEqual(new Set(['io/OOM']));

    // MULTI/EXEC: Redis refuses the commands while queueing (EXECABORT), nothing applies: a plain SinkError, io.
    const aborted = await sinkErrorOf(tx.execute(cache, writes()));
    expect(aborted).not.toBeInstanceOf(PartialWriteError);
    expect(aborted).toMatchObject({ reason: 'io', sinkCode: 'OOM' });
    expect(await admin.exists('oom:str', 'oom:c', 'oom:h', 'oom:l')).toBe(0);

    await admin.config('SET', 'maxmemory', '0');
    await pipeline.execute(cache, writes());
    await tx.execute(cache, writes());
    expect(await admin.mget('oom:str', 'oom:c')).toEqual(['v', '4']);
    expect(await admin.hgetall('oom:h')).toEqual({ f: 'v' });
    expect(await admin.lrange('oom:l', 0, -1)).toEqual(['x', 'x']);
  });
});

describe('RedisDriver through the whole pipeline (Producer + BatchConsumer)', () => {
  // Relies on BatchWriter treating a PartialWriteError as "everything else committed" (issue 9);
  // a writer that bisected the batch instead would re-send the INCRBYs that had applied.
  it('64 × INCRBY plus one poison: the counter is exactly 64 and only the poison is dead-lettered', async () => {
    const prefix = uniquePrefix('redis_partial');
    const target = new Redis(REDIS_URL);
    const counter = `${prefix}:c`;
    const hash = `${prefix}:h`;
    await target.hset(hash, 'f', 'v');
    const producer = new Producer({ connection: REDIS_URL, schemas: [cache], prefix });
    const consumer = new BatchConsumer({ connection: REDIS_URL, schema: cache, executor: new RedisDriver({ client: target }), prefix, flushSize: 100, flushIntervalMs: 200, concurrency: 200 });
    defer(async () => {
      await Promise.all([producer.close(), consumer.close()]);
      await deletePrefix(prefix);
      target.disconnect();
    });
    const rows = Array.from({ length: 64 }, () => ({ cmd: 'INCRBY', key: counter, a1: 1, a2: null, a3: null, a4: null }));
    rows.splice(40, 0, { cmd: 'INCRBY', key: hash, a1: 1, a2: null, a3: null, a4: null });
    await producer.submitMany(cache, rows);
    expect(await waitFor(async () => (await consumer.dlq.count()) >= 1 && (await target.get(counter)) === '64', 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // nothing more may apply after the queue drained
    expect(await target.get(counter)).toBe('64');
    const entries = await consumer.dlq.list();
    expect(entries.map((r) => [r.entry.class, r.entry.errorCode, r.entry.request])).toEqual([['non_retryable', 'WRONGTYPE', expect.objectContaining({ key: hash })]]);
  });

  it('a sink out of memory holds the batch: nothing dead-lettered but the poison, and the counter is exact after the retries', async () => {
    const server = await RedisServer.create({ args: ['--maxmemory', '1mb'] });
    defer(() => server.remove());
    await server.start();
    const target = new Redis(server.url, { maxRetriesPerRequest: 1 });
    defer(() => target.disconnect());
    await target.hset('h', 'f', 'v');
    await fillPastMaxmemory(target);

    const prefix = uniquePrefix('redis_oom');
    const producer = new Producer({ connection: REDIS_URL, schemas: [cache], prefix });
    const consumer = new BatchConsumer({
      connection: REDIS_URL, schema: cache, executor: new RedisDriver({ client: target }), prefix,
      flushSize: 100, flushIntervalMs: 100, concurrency: 200, breakerProbeBaseMs: 100, breakerProbeMaxMs: 500,
    });
    defer(async () => {
      await Promise.all([producer.close(), consumer.close()]);
      await deletePrefix(prefix);
    });
    const held = new Set<string>();
    consumer.on('batch:retry', ({ reason, errorCode }) => held.add(`${reason}/${errorCode ?? ''}`));
    consumer.on('breaker', ({ reason, errorCode }) => reason !== null && held.add(`${reason}/${errorCode ?? ''}`));
    const rows = Array.from({ length: 64 }, () => ({ cmd: 'INCRBY', key: 'c', a1: 1, a2: null, a3: null, a4: null }));
    rows.splice(10, 0, { cmd: 'INCRBY', key: 'h', a1: 1, a2: null, a3: null, a4: null });
    await producer.submitMany(cache, rows);
    // Let the batch meet OOM a few times: held, so nothing reaches the DLQ and nothing applies.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await consumer.dlq.count()).toBe(0);
    expect(await target.exists('c')).toBe(0);
    expect([...held]).toEqual(['io/OOM']);

    await target.config('SET', 'maxmemory', '0');
    expect(await waitFor(async () => (await target.get('c')) === '64' && (await consumer.dlq.count()) === 1, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await target.get('c')).toBe('64');
    const entries = await consumer.dlq.list();
    expect(entries.map((r) => [r.entry.class, r.entry.errorCode])).toEqual([['non_retryable', 'WRONGTYPE']]);
  });
});
