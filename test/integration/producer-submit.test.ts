// Producer.submit on both queue backends (Redis, and PostgreSQL through BullMQ's PostgreSQL backend).
import { describe, expect, it } from 'vitest';
import { AbortedError, Producer, QueueUnavailableError, Request, SQLSchema, Schema, ValidationError, type ValidationKind } from '../../src/index.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { useCleanups } from '../helpers/cleanups.js';
import { QUEUE_BACKENDS, openSpace } from '../helpers/queue-backends.js';

const users = SQLSchema('users', 'update', { id: 'int64', name: 'string', nickname: 'string?' });
const other = Schema('other', ['a']);
const defer = useCleanups();

async function kindOf(p: Promise<unknown>): Promise<ValidationKind | 'aborted' | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof AbortedError) return 'aborted';
    if (err instanceof ValidationError) return err.kind;
    throw err;
  }
}

describe.each(QUEUE_BACKENDS)('Producer.submit on $name', (backend) => {
  async function setup(packing: false | { maxRequestsPerJob: number; lingerMs: number } = false) {
    const at = await openSpace(backend, 'prod', defer);
    const producer = new Producer({ connection: at.connection, schemas: [users], prefix: at.prefix, maxPayloadBytes: 1000, packing });
    const queue = openQueue('users', at.client(), at.prefix);
    defer(async () => {
      await producer.close();
      await queue.close();
    });
    const jobs = async () => Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
    return { at, producer, queue, jobs };
  }

  it('gives each kind of bad input its own clear error and enqueues nothing', async () => {
    const { producer, jobs } = await setup();
    const aborted = AbortSignal.abort();
    expect(await kindOf(producer.submit('nope', { id: 1n }))).toBe('unknown_schema');
    expect(await kindOf(producer.submit(new Request(other).set('a', 1)))).toBe('unknown_schema');
    expect(await kindOf(producer.submit(users, { id: 1n, name: 'a', extra: 1 } as never))).toBe('unknown_column');
    expect(await kindOf(producer.submit(users, { id: 1n } as never))).toBe('missing_column');
    expect(await kindOf(producer.submit(users, { id: 'one', name: 'a' } as never))).toBe('wrong_type');
    expect(await kindOf(producer.submit(users, { id: 2n ** 64n, name: 'a' }))).toBe('out_of_range');
    expect(await kindOf(producer.submit(users, { id: 1n, name: 'x'.repeat(5000) }))).toBe('payload_too_large');
    expect(await kindOf(producer.submit(users, { id: 1n, name: 'a' }, { signal: aborted }))).toBe('aborted');
    // one bad row in a batch rejects the whole call before anything is stored
    const rows = [{ id: 1n, name: 'a' }, { id: 2n, name: 'b' }, { id: 3n, name: 7 }];
    expect(await kindOf(producer.submitMany(users, rows as never))).toBe('wrong_type');
    expect(await jobs()).toBe(0);
    await expect(producer.submit(users, { id: 1n, name: 'a' }, {})).resolves.toBeUndefined();
    await expect(producer.submit('nope', { id: 1n })).rejects.toThrow(/unknown schema "nope"; registered: users/);
    expect(await jobs()).toBe(1);
  });

  it('deduplicates a repeated submit with the same idempotency key', async () => {
    const { producer, queue } = await setup();
    for (let i = 0; i < 3; i++) await producer.submit(users, { id: 9n, name: 'z' }, { idempotencyKey: 'order:9' });
    await producer.submit(users, { id: 10n, name: 'y' }, { idempotencyKey: 'order:10' });
    expect(await queue.getWaitingCount()).toBe(2);
  });

  it('packs many requests per job and resolves each submit once stored', async () => {
    const { producer, queue } = await setup({ maxRequestsPerJob: 50, lingerMs: 20 });
    await Promise.all(Array.from({ length: 120 }, (_, i) => producer.submit(users, { id: BigInt(i), name: `n${i}` })));
    await producer.submitMany(users, Array.from({ length: 100 }, (_, i) => ({ id: BigInt(1000 + i), name: 'm' })));
    const waiting = await queue.getWaiting(0, -1);
    const rows = waiting.reduce((n, job) => n + (job.data as { rows: unknown[] }).rows.length, 0);
    expect(rows).toBe(220);
    expect(waiting.length).toBeLessThanOrEqual(8);
    expect(Math.max(...waiting.map((j) => (j.data as { rows: unknown[] }).rows.length))).toBeLessThanOrEqual(50);
  });

  it('rejects with QueueUnavailableError instead of hanging while the store is unreachable', async () => {
    const { at } = await setup();
    const producer = new Producer({ connection: at.connectionVia(1), schemas: [users], prefix: at.prefix, enqueueTimeoutMs: 500 }); // nothing listens on port 1
    defer(() => producer.close());
    const started = Date.now();
    await expect(producer.submit(users, { id: 1n, name: 'a' })).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
