// Found by the chaos suite (secrets in logs): ioredis attaches the failed command to its errors,
// so a refused AUTH carried the password in `err.command.args`, and the worker logged it.
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchConsumer, MockExecutor, Producer, RedisDriver, Schema } from '../../src/index.js';
import { redactCommandCredentials } from '../../src/core/redact-credentials.js';
import { waitFor } from '../helpers/redis.js';
import { RedisServer } from '../helpers/redis-server.js';

const PASSWORD = 'the-real-pw-41c9';
const WRONG = 'a-wrong-pw-7d2e';
const schema = Schema('auth_events', ['a']);
let server: RedisServer;
let wrongUrl: string;

beforeAll(async () => {
  server = await RedisServer.create({ args: [], password: PASSWORD });
  await server.start();
  wrongUrl = `redis://:${WRONG}@127.0.0.1:${server.port}`;
});
afterAll(() => server.remove());

const shows = (err: unknown) => inspect(err, { depth: 10 });

describe('errors of a refused Redis AUTH carry no password', () => {
  it('scrubs credential-bearing command arguments along the cause chain, and leaves other commands alone', () => {
    const auth = Object.assign(new Error('WRONGPASS'), { command: { name: 'auth', args: ['user', WRONG] } });
    const wrapped = new Error('outer', { cause: auth });
    const set = Object.assign(new Error('WRONGTYPE'), { command: { name: 'set', args: ['k', 'v'] } });
    expect(shows(redactCommandCredentials(wrapped))).not.toContain(WRONG);
    expect(auth.command.args).toEqual(['***', '***']);
    expect(redactCommandCredentials(set).command.args).toEqual(['k', 'v']);
    expect(redactCommandCredentials(null)).toBeNull();
  });

  it('in BatchConsumer error events, Producer rejections and RedisDriver errors', async () => {
    const consumer = new BatchConsumer({ connection: wrongUrl, schema, executor: new MockExecutor(), prefix: 'auth', queueDepthIntervalMs: 0 });
    const errors: Error[] = [];
    consumer.on('error', (err) => errors.push(err));
    expect(await waitFor(() => errors.some((e) => /WRONGPASS/.test(e.message)), 10_000)).toBe(true);
    await consumer.close();

    const producer = new Producer({ connection: wrongUrl, schemas: [schema], prefix: 'auth', enqueueTimeoutMs: 1000 });
    await producer.submit(schema, { a: 1 }).catch((err: Error) => errors.push(err));
    await producer.close();

    const driver = new RedisDriver({ url: wrongUrl });
    await driver.ping().catch((err: Error) => errors.push(err));
    await driver.close();

    expect(errors.length).toBeGreaterThan(2);
    for (const err of errors) expect(shows(err)).not.toContain(WRONG);
  });
});
