// The shared SQL conformance suite, continued (sql-conformance.test.ts is at its size limit):
// the `insert` strategy for append-only tables and `delivery: 'exactly-once'`, on every SQL
// dialect in the sink registry, checked through the rows and the ledger table a user would read.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Request, SinkError, SQLSchema, type BatchExecutor, type DeliveryLedger, type Row, type SQLSchemaOptions } from '../../src/index.js';
import { sinkErrorOf as failure } from '../helpers/sink-error.js';
import { conformanceDialects, uniqueTable, type ColumnSpec, type DialectAdapter } from './sql-dialects.js';

/** An append-only table: no primary key, a payload column carrying the request id. */
const LOG: Record<string, ColumnSpec> = { req: { type: 'string', notNull: true }, n: { type: 'int64', notNull: true } };
const DIALECTS = await conformanceDialects();

describe.each(DIALECTS)('SQL conformance, append-only and exactly-once: $name', (db: DialectAdapter) => {
  let driver: BatchExecutor;
  const tables: string[] = [];

  async function table(key: readonly string[] = [], extra?: string): Promise<string> {
    const name = uniqueTable(`bf_once_${db.name}`);
    tables.push(name, `${name}__batchflow_ledger`);
    await db.createTable(name, LOG, key, extra);
    return name;
  }
  const log = (t: string, options: SQLSchemaOptions = {}) => SQLSchema(t, 'insert', { req: 'string', n: 'int64' }, options);
  /** Requests as the queue would hand them over: ids from one "job" `source`, seq = position. */
  const delivered = (schema: SQLSchema, source: string, rows: readonly Row[], from = 0) =>
    rows.map((row, i) => {
      const request = Request.fromRow(schema, row);
      request.delivery = { source, seq: from + i };
      return request;
    });
  const rowsOf = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ req: `r${from + i}`, n: BigInt(from + i) }));
  const ledgerOf = (t: string) => `${t}__batchflow_ledger`;
  const ledger = (): DeliveryLedger => {
    if (!driver.ledger) throw new Error(`${db.name}: the driver has no ledger`);
    return driver.ledger;
  };

  beforeAll(async () => {
    await db.open();
    driver = db.ownedDriver();
  });
  afterEach(async () => {
    for (const name of tables.splice(0).reverse()) await db.dropTable(name);
  });
  afterAll(async () => {
    await driver.close?.();
    await db.close();
  });

  it('insert needs no key and appends: the same batch twice lands twice (at-least-once)', async () => {
    const t = await table();
    const schema = log(t);
    expect(schema.keys).toEqual([]);
    const batch = rowsOf(3).map((row) => Request.fromRow(schema, row));
    await driver.execute(schema, batch);
    await driver.execute(schema, batch);
    expect((await db.read(t, LOG, 'n, req')).map((r) => r.req)).toEqual(['r0', 'r0', 'r1', 'r1', 'r2', 'r2']);
  });

  it('insert: a row that collides on a unique index fails the batch as non_retryable with the unique-violation code and writes nothing', async () => {
    const t = await table([], 'UNIQUE (req)');
    const schema = log(t);
    await driver.execute(schema, rowsOf(2).map((row) => Request.fromRow(schema, row)));
    const err = await failure(driver.execute(schema, [...rowsOf(2, 5), { req: 'r1', n: 99n }].map((row) => Request.fromRow(schema, row))));
    expect(err.reason).toBe('non_retryable');
    expect(err.sinkCode).toBe(db.uniqueViolationCode);
    // Alone it fails the same way, so bisection dead-letters it and commits its neighbours.
    const alone = await failure(driver.execute(schema, [Request.fromRow(schema, { req: 'r0', n: 98n })]));
    expect(alone.reason).toBe('non_retryable');
    await driver.execute(schema, rowsOf(2, 5).map((row) => Request.fromRow(schema, row)));
    expect((await db.read(t, LOG, 'n')).map((r) => r.req)).toEqual(['r0', 'r1', 'r5', 'r6']);
  });

  it('insert on a keyed table: an existing key is a data error, not skipped (unlike ignore)', async () => {
    const t = await table(['req']);
    const schema = SQLSchema(t, 'insert', { req: 'string', n: 'int64' }, { keys: ['req'] });
    await driver.execute(schema, [Request.fromRow(schema, { req: 'a', n: 1n })]);
    const err = await failure(driver.execute(schema, [Request.fromRow(schema, { req: 'a', n: 2n })]));
    expect(err.reason).toBe('non_retryable');
    expect(await db.read(t, LOG, 'n')).toEqual([{ req: 'a', n: '1' }]);
  });

  it('exactly-once: a redelivered batch writes nothing twice; a partly new one writes only its new requests; the ledger holds one row per request', async () => {
    const t = await table();
    const schema = log(t, { delivery: 'exactly-once' });
    expect(schema.ledgerTable).toBe(ledgerOf(t));
    await driver.execute(schema, delivered(schema, 'job-a', rowsOf(50)));
    await driver.execute(schema, delivered(schema, 'job-a', rowsOf(50))); // the redelivery
    expect(await db.count(t)).toBe(50);
    // A bisected or re-split redelivery: the old half is skipped, the rest is new.
    await driver.execute(schema, delivered(schema, 'job-a', rowsOf(60, 25), 25));
    const read = await db.read(t, LOG, 'n');
    expect(read).toHaveLength(85);
    expect(new Set(read.map((r) => r.req)).size).toBe(85);
    expect(await db.count(ledgerOf(t))).toBe(85);
  });

  it('exactly-once: the same id twice in one batch is written once; requests without an id (not from a queue) are always written', async () => {
    const t = await table();
    const schema = log(t, { delivery: 'exactly-once' });
    const [a, b] = delivered(schema, 'job-b', rowsOf(2));
    const twin = Request.fromRow(schema, { req: 'r0', n: 0n });
    twin.delivery = { source: 'job-b', seq: 0 };
    const direct = Request.fromRow(schema, { req: 'direct', n: 7n });
    await driver.execute(schema, [a as Request, twin, b as Request, direct]);
    await driver.execute(schema, [direct]);
    expect((await db.read(t, LOG, 'n, req')).map((r) => r.req)).toEqual(['r0', 'r1', 'direct', 'direct']);
  });

  it('exactly-once: a failed batch records nothing, so its redelivery is written', async () => {
    const t = await table([], 'UNIQUE (req)');
    const schema = log(t, { delivery: 'exactly-once' });
    await driver.execute(schema, [Request.fromRow(schema, { req: 'taken', n: 0n })]);
    const bad = delivered(schema, 'job-c', [{ req: 'ok', n: 1n }, { req: 'taken', n: 2n }]);
    expect((await failure(driver.execute(schema, bad))).reason).toBe('non_retryable');
    expect(await db.count(ledgerOf(t))).toBe(0);
    await driver.execute(schema, bad.slice(0, 1)); // bisection's good half
    expect((await db.read(t, LOG, 'n')).map((r) => r.req)).toEqual(['taken', 'ok']);
  });

  it('exactly-once: two drivers writing the same requests at once write each one once', async () => {
    const t = await table();
    const schema = log(t, { delivery: 'exactly-once' });
    const other = db.ownedDriver();
    try {
      await ledger().prepare(schema);
      // What the consumer does with a retryable failure: try the same batch again.
      const write = async (d: BatchExecutor): Promise<void> => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await d.execute(schema, delivered(schema, 'job-d', rowsOf(2000)));
          } catch (err) {
            if (!(err instanceof SinkError) || err.reason !== 'deadlock' || attempt > 5) throw err;
          }
        }
      };
      await Promise.all([write(driver), write(other), write(driver)]);
    } finally {
      await other.close?.();
    }
    const read = await db.read(t, LOG, 'n');
    expect(read).toHaveLength(2000);
    expect(new Set(read.map((r) => r.req)).size).toBe(2000);
  });

  it('exactly-once ledger: prepare creates it (idempotently), forget drops the rows of given sources, sweep the rows written before a cutoff', async () => {
    const t = await table();
    const schema = log(t, { delivery: 'exactly-once', ledgerTable: `${t}_ids` });
    tables.push(`${t}_ids`);
    expect(await ledger().prepare(schema)).toMatch(/^CREATE TABLE IF NOT EXISTS .*_ids/);
    await ledger().prepare(schema);
    await driver.execute(schema, delivered(schema, 'job-e', rowsOf(10)));
    await driver.execute(schema, delivered(schema, 'job-f', rowsOf(5, 10)));
    expect(await db.count(`${t}_ids`)).toBe(15);
    expect(await ledger().forget(schema, ['job-e', 'no-such-job'])).toBe(10);
    expect(await db.count(`${t}_ids`)).toBe(5);
    expect(await ledger().sweep(schema, Date.now() - 60_000)).toBe(0);
    expect(await ledger().sweep(schema, Date.now() + 1)).toBe(5);
    expect(await db.count(`${t}_ids`)).toBe(0);
    // Once forgotten, the same ids are new again: pruning must wait until no redelivery can come.
    await driver.execute(schema, delivered(schema, 'job-e', rowsOf(1)));
    expect(await db.count(t)).toBe(16);
  });
});
