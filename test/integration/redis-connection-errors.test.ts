import { describe, expect, it } from 'vitest';
import { SQLSchema } from '../../src/core/schema.js';
import { ConfigError } from '../../src/errors/config-error.js';
import { QueueUnavailableError } from '../../src/errors/queue-unavailable-error.js';
import { BatchConsumer } from '../../src/queue/consumer/batch-consumer.js';
import { Producer } from '../../src/queue/producer/producer.js';
import { MockExecutor } from '../../src/testing/mock-executor.js';
import { freePort } from '../helpers/cli.js';
import { useCleanups } from '../helpers/cleanups.js';

const defer = useCleanups();
const users = SQLSchema('redis_err_users', 'update', { id: 'int64', name: 'string' });

describe('Redis connection errors a user can act on', () => {
  it('a submit to a Redis that is not there names the host and port and the cause (ECONNREFUSED)', async () => {
    const port = await freePort();
    const producer = new Producer({ connection: `redis://:secret@127.0.0.1:${port}`, schemas: [users], enqueueTimeoutMs: 3000 });
    defer(() => producer.close());
    const err = await producer.submit(users, { id: 1n, name: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueUnavailableError);
    const message = (err as Error).message;
    expect(message).toContain(`Redis at 127.0.0.1:${port}`);
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('secret');
    expect((err as QueueUnavailableError).address).toBe(`127.0.0.1:${port}`);
    expect(((err as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it.each(['redis//127.0.0.1:6379', 'http://127.0.0.1:6379', '127.0.0.1:6379', 'redis://'])('refuses %j at construction with a ConfigError naming the field', (url) => {
    for (const make of [
      () => new Producer({ connection: url, schemas: [users] }),
      () => new BatchConsumer({ connection: url, schema: users, executor: new MockExecutor(), logger: false }),
    ]) {
      const err = (() => {
        try {
          make();
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('connection');
      expect((err as Error).message).toMatch(/^connection: .*redis:\/\//);
    }
  });
});
