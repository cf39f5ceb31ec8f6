// DeliveryLedger.recorded on every SQL dialect in the sink registry: which delivery ids committed,
// as the failed-job sweeper asks for a job BullMQ failed (issue 19, class 1). Checked against the
// rows a batch really committed, a batch that rolled back, and a ledger table not created yet.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Request, SQLSchema, type BatchExecutor, type DeliveryId, type Row } from '../../src/index.js';
import { conformanceDialects, uniqueTable, type ColumnSpec, type DialectAdapter } from './sql-dialects.js';

const LOG: Record<string, ColumnSpec> = { req: { type: 'string', notNull: true }, n: { type: 'int64', notNull: true } };
const DIALECTS = await conformanceDialects();

describe.each(DIALECTS)('DeliveryLedger.recorded: $name', (db: DialectAdapter) => {
  let driver: BatchExecutor;
  const tables: string[] = [];
  const table = async () => {
    const name = uniqueTable(`bf_rec_${db.name}`);
    tables.push(name, `${name}__batchflow_ledger`);
    await db.createTable(name, LOG, ['req']); // a unique req, so a batch can be made to fail
    return name;
  };
  const delivered = (schema: SQLSchema, source: string, rows: readonly Row[]) =>
    rows.map((row, i) => {
      const request = Request.fromRow(schema, row);
      request.delivery = { source, seq: i };
      return request;
    });
  const sorted = (ids: DeliveryId[]) => [...ids].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.seq - b.seq));

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

  it('names exactly the ids whose batch committed; a missing ledger table holds none', async () => {
    const t = await table();
    const schema = SQLSchema(t, 'insert', { req: 'string', n: 'int64' }, { delivery: 'exactly-once' });
    const ledger = driver.ledger;
    if (!ledger?.recorded) throw new Error(`${db.name}: the driver's ledger cannot answer recorded()`);
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    // Nothing written yet: the ledger table does not exist, and the answer is "none", not an error.
    expect(await ledger.recorded(schema, [{ source: a, seq: 0 }])).toEqual([]);
    await driver.execute(schema, delivered(schema, a, [{ req: 'x', n: 1n }, { req: 'y', n: 2n }]));
    // A batch that fails (a req already there: unique violation) rolls back with its ledger ids.
    await expect(driver.execute(schema, delivered(schema, b, [{ req: 'x', n: 3n }]))).rejects.toThrow();
    const asked = [{ source: a, seq: 0 }, { source: a, seq: 1 }, { source: a, seq: 2 }, { source: b, seq: 0 }];
    expect(sorted(await ledger.recorded(schema, asked))).toEqual([{ source: a, seq: 0 }, { source: a, seq: 1 }]);
    expect(await ledger.recorded(schema, [])).toEqual([]);
  });
});
