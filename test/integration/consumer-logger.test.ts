import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SQLSchema } from '../../src/core/schema.js';
import { PostgresDriver } from '../../src/drivers/postgres/postgres-driver.js';
import { BatchConsumer } from '../../src/queue/consumer/batch-consumer.js';
import type { ConsumerLogger } from '../../src/queue/consumer/consumer-logger.js';
import { Producer } from '../../src/queue/producer/producer.js';
import { useCleanups } from '../helpers/cleanups.js';
import { PG_URL, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const defer = useCleanups();

// A pino logger fits the option as is (checked by the typecheck of this file).
const pinoFits: ConsumerLogger = pino({ level: 'silent' });

interface Said {
  level: 'warn' | 'error' | 'info';
  obj: Record<string, unknown>;
  msg: string;
}

/** A pino-style logger that records what the consumer says. */
function recorder(): ConsumerLogger & { said: Said[] } {
  const said: Said[] = [];
  return {
    said,
    warn: (obj, msg) => said.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => said.push({ level: 'error', obj, msg }),
    info: (obj, msg) => said.push({ level: 'info', obj, msg }),
  };
}

async function pipeline(logger: ConsumerLogger | false) {
  const table = uniqueTable('voice');
  const prefix = uniquePrefix('voice');
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, amount integer NOT NULL CHECK (amount > 0))`);
  const schema = SQLSchema(table, 'ignore', { id: 'int64', amount: 'int32' });
  const driver = new PostgresDriver({ connectionString: PG_URL });
  const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
  const consumer = new BatchConsumer({ connection: REDIS_URL, schema, executor: driver, prefix, flushSize: 50, flushIntervalMs: 50, logger });
  defer(async () => {
    await producer.close();
    await consumer.close();
    await driver.close();
    await deletePrefix(prefix);
    await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  });
  return { table, schema, producer, consumer };
}

describe('BatchConsumer logger', () => {
  it('dead-lettering is said once per cause, with the schema, the reason, the SQLSTATE and the message', async () => {
    expect(typeof pinoFits.warn).toBe('function');
    const logger = recorder();
    const { table, schema, producer, consumer } = await pipeline(logger);
    await producer.submitMany(schema, [1, -1, 2, -2, -3].map((amount, i) => ({ id: BigInt(i + 1), amount })));
    // The line follows the DLQ write: the count can reach 3 a moment before the consumer says it.
    const deadLettered = () => logger.said.filter((s) => s.obj.event === 'dead-lettered');
    expect(await waitFor(async () => (await consumer.dlq.count()) === 3 && deadLettered().length > 0, 20_000)).toBe(true);
    const lines = deadLettered();
    const [first] = lines;
    expect(first?.level).toBe('warn');
    expect(first?.obj).toMatchObject({ schema: table, reason: 'non_retryable', errorCode: '23514' });
    expect(first?.msg).toContain(`schema "${table}"`);
    expect(first?.msg).toContain('non_retryable 23514');
    expect(first?.msg).toContain('check constraint');
    // Bisection isolates the three bad rows over several steps; all within 10 s make one line.
    expect(lines).toHaveLength(1);
    expect(logger.said.filter((s) => s.obj.event === 'breaker')).toEqual([]);
  });

  it('logger: false says nothing', async () => {
    const spy: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void spy.push(args.join(' '));
    try {
      const { schema, producer, consumer } = await pipeline(false);
      // The voice speaks (or not) just before the event: once it fired, anything said is in the spy.
      const told = new Promise((resolve) => consumer.once('dead-lettered', resolve));
      await producer.submitMany(schema, [{ id: 1n, amount: -1 }]);
      expect(await waitFor(async () => (await consumer.dlq.count()) === 1, 20_000)).toBe(true);
      await told;
    } finally {
      console.warn = warn;
    }
    expect(spy.filter((line) => line.startsWith('[batchflow]'))).toEqual([]);
  });
});
