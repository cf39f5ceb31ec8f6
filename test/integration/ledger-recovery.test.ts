// An exactly-once ledger table dropped or truncated while the worker runs, on every SQL dialect:
// the consumer goes on writing without a restart (the driver re-creates a dropped ledger on the
// dialect's missing-table code), and nothing is dead-lettered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchConsumer, Producer, SQLSchema } from '../../src/index.js';
import { useCleanups } from '../helpers/cleanups.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';
import { conformanceDialects, uniqueTable, type ColumnSpec, type DialectAdapter } from './sql-dialects.js';

const LOG: Record<string, ColumnSpec> = { req: { type: 'string', notNull: true }, n: { type: 'int64', notNull: true } };
const DIALECTS = await conformanceDialects();
const defer = useCleanups();

describe.each(DIALECTS)('exactly-once ledger dropped or truncated under a running worker: $name', (db: DialectAdapter) => {
  beforeAll(() => db.open());
  afterAll(() => db.close());

  it('re-creates a dropped ledger and keeps writing; a truncated one keeps working', async () => {
    const table = uniqueTable(`bf_ledrec_${db.name}`);
    const ledger = `${table}__batchflow_ledger`;
    await db.createTable(table, LOG, []);
    defer(() => db.dropTable(table));
    defer(() => db.dropTable(ledger));
    const schema = SQLSchema(table, 'insert', { req: 'string', n: 'int64' }, { delivery: 'exactly-once' });
    const prefix = uniquePrefix(`ledrec_${db.name}`);
    const executor = db.ownedDriver();
    const consumer = new BatchConsumer({ connection: REDIS_URL, schema, executor, prefix, flushSize: 50, flushIntervalMs: 50, retryBaseMs: 50, breakerProbeBaseMs: 100, breakerProbeMaxMs: 500 });
    const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
    defer(() => deletePrefix(prefix));
    defer(() => executor.close?.());
    defer(() => consumer.close());
    defer(() => producer.close());
    const held: string[] = [];
    consumer.on('breaker', ({ state, errorCode }) => held.push(`${state}:${errorCode ?? ''}`));
    await consumer.waitUntilReady();
    const submit = (from: number) => producer.submitMany(schema, Array.from({ length: 100 }, (_, i) => ({ req: `r${from + i}`, n: BigInt(from + i) })));

    await submit(0);
    expect(await waitFor(async () => (await db.count(table)) === 100, 30_000, 100)).toBe(true);

    await db.dropTable(ledger);
    await submit(100);
    const landed = await waitFor(async () => (await db.count(table)) === 200, 30_000, 100);
    console.log(`${db.name}: after DROP of the ledger, rows ${await db.count(table)} of 200; breaker changes: ${held.length} (first: ${held[0] ?? 'none'})`);
    expect(landed).toBe(true);
    expect(await db.count(ledger)).toBeGreaterThanOrEqual(0); // it exists again

    await db.exec(db.name === 'sqlite' ? `DELETE FROM ${db.quote(ledger)}` : `TRUNCATE TABLE ${db.quote(ledger)}`);
    await submit(200);
    expect(await waitFor(async () => (await db.count(table)) === 300, 30_000, 100)).toBe(true);
    expect(await consumer.dlq.count()).toBe(0);
  }, 120_000);
});
