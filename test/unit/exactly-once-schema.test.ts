// Pure parts of `insert` and `delivery: 'exactly-once'`: schema options, the SQL text per
// dialect, delivery ids, the config file fields and the in-memory side of pruning.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../consumers/config/index.js';
import { ConfigError, SchemaDefinitionError, SQLSchema, type DeliveryLedger } from '../../src/index.js';
import { type SQLSchemaLike } from '../../src/core/delivery.js';
import { buildCreateTable } from '../../src/drivers/sql/create-table.js';
import { buildMySqlInsert } from '../../src/drivers/mysql/statement-builder.js';
import { buildMySqlLedgerDdl } from '../../src/drivers/mysql/ledger.js';
import { buildPostgresInsert } from '../../src/drivers/postgres/statement-builder.js';
import { buildPostgresLedgerClaim, buildPostgresLedgerDdl } from '../../src/drivers/postgres/ledger.js';
import { buildSqliteInsert } from '../../src/drivers/sqlite/statement-builder.js';
import { buildSqliteLedgerDdl } from '../../src/drivers/sqlite/ledger.js';
import { POSTGRES_DDL_TYPES } from '../../src/drivers/postgres/postgres-sink.js';
import { deliverySource } from '../../src/queue/delivery-id.js';
import { LedgerPruner } from '../../src/queue/consumer/ledger-pruner.js';

const log = SQLSchema('app.clicks', 'insert', { user_id: 'int64', url: 'string' }, { delivery: 'exactly-once' });

describe('the insert strategy', () => {
  it('needs no key and adds no conflict clause on any dialect', () => {
    expect(log.keys).toEqual([]);
    expect(buildPostgresInsert(log, ['int8', 'text'])).toBe('INSERT INTO "app"."clicks" ("user_id", "url") SELECT * FROM unnest($1::int8[], $2::text[])');
    expect(buildMySqlInsert(log)).toBe('INSERT INTO `app`.`clicks` (`user_id`, `url`) VALUES ?');
    expect(buildSqliteInsert(log, 2)).toBe('INSERT INTO "app"."clicks" ("user_id", "url") VALUES (?, ?), (?, ?)');
    expect(buildCreateTable(log, '"', POSTGRES_DDL_TYPES)).toBe('CREATE TABLE IF NOT EXISTS "app"."clicks" ("user_id" bigint NOT NULL, "url" text NOT NULL)');
  });

  it('still takes keys (for createTable), and other strategies still need one', () => {
    expect(SQLSchema('t', 'insert', ['a', 'b'], { keys: ['a'] }).keys).toEqual(['a']);
    expect(() => SQLSchema('t', 'ignore', ['a'], { keys: [] })).toThrow(SchemaDefinitionError);
    expect(() => SQLSchema('t', 'merge' as never, ['a'])).toThrow(/ignore, replace, update or insert/);
  });
});

describe("delivery: 'exactly-once'", () => {
  it('defaults to at-least-once without a ledger; exactly-once names the ledger next to the table', () => {
    expect(SQLSchema('t', 'ignore', ['a'])).toMatchObject({ delivery: 'at-least-once', ledgerTable: undefined });
    expect(log).toMatchObject({ delivery: 'exactly-once', ledgerTable: 'app.clicks__batchflow_ledger' });
    expect(SQLSchema('t', 'insert', ['a'], { delivery: 'exactly-once', ledgerTable: 'ops.ids' }).ledgerTable).toBe('ops.ids');
  });

  it('refuses a bad delivery, an unsafe ledger name, and a default ledger name over 63 characters', () => {
    expect(() => SQLSchema('t', 'insert', ['a'], { delivery: 'twice' as never })).toThrow(/delivery must be/);
    expect(() => SQLSchema('t', 'insert', ['a'], { delivery: 'exactly-once', ledgerTable: 'x; drop' })).toThrow(SchemaDefinitionError);
    expect(() => SQLSchema('a'.repeat(50), 'insert', ['a'], { delivery: 'exactly-once' })).toThrow(/set ledgerTable/);
  });

  it('builds each dialect’s ledger with (source, seq) as primary key, and PostgreSQL’s claim returns only new ids', () => {
    expect(buildPostgresLedgerDdl(log)).toBe(
      'CREATE TABLE IF NOT EXISTS "app"."clicks__batchflow_ledger" (source text NOT NULL, seq integer NOT NULL, written_ms bigint NOT NULL, PRIMARY KEY (source, seq))',
    );
    expect(buildMySqlLedgerDdl(log)).toMatch(/^CREATE TABLE IF NOT EXISTS `app`.`clicks__batchflow_ledger` \(source VARCHAR\(64\) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, .*PRIMARY KEY \(source, seq\)\) ENGINE=InnoDB$/);
    expect(buildSqliteLedgerDdl(log)).toMatch(/PRIMARY KEY \(source, seq\)\) WITHOUT ROWID$/);
    expect(buildPostgresLedgerClaim(log)).toMatch(/ON CONFLICT \(source, seq\) DO NOTHING RETURNING source, seq$/);
  });

  it('derives a job’s delivery source from queue, id and creation time: stable on redelivery, new for a reused id', () => {
    const job = { queueName: 'clicks', id: 'key-1', timestamp: 1_700_000_000_000 };
    expect(deliverySource(job)).toMatch(/^[0-9a-f]{32}$/);
    expect(deliverySource({ ...job })).toBe(deliverySource(job));
    expect(deliverySource({ ...job, timestamp: job.timestamp + 1 })).not.toBe(deliverySource(job));
    expect(deliverySource({ ...job, queueName: 'other' })).not.toBe(deliverySource(job));
  });
});

describe('ledger pruning (in memory)', () => {
  it('forgets completed jobs once their delay passed, keeps them for a later tick when the sink fails, and sweeps by age', async () => {
    const forgotten: string[][] = [];
    const sweeps: number[] = [];
    let failing = true;
    const ledger: DeliveryLedger = {
      prepare: async () => '',
      async forget(_schema: SQLSchemaLike, sources) {
        if (failing) throw new Error('sink down');
        forgotten.push([...sources]);
        return sources.length;
      },
      async sweep(_schema, beforeMs) {
        sweeps.push(beforeMs);
        return 0;
      },
    };
    const pruner = new LedgerPruner(log, ledger, { schema: log, executor: { ledger }, ledgerPruneDelayMs: 0, ledgerRetentionMs: 3_600_000 }, () => undefined);
    try {
      pruner.completed({ queueName: 'q', id: '1', timestamp: 1 });
      pruner.completed({ queueName: 'q', id: '2', timestamp: 1 });
      await expect(pruner.prune()).rejects.toThrow('sink down');
      failing = false;
      expect(await pruner.prune()).toBe(2);
      expect(forgotten).toEqual([[deliverySource({ queueName: 'q', id: '1', timestamp: 1 }), deliverySource({ queueName: 'q', id: '2', timestamp: 1 })]]);
      expect(await pruner.prune()).toBe(0);
      const before = Date.now();
      await pruner.sweep();
      expect(sweeps[0]).toBeGreaterThanOrEqual(before - 3_600_000);
      expect(sweeps[0]).toBeLessThanOrEqual(Date.now() - 3_600_000);
    } finally {
      await pruner.close();
    }
  });
});

describe('config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bf-once-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (schema: Record<string, unknown>) => {
    const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify({ sinks: { main: { type: 'sqlite', filename: 'x.db' } }, schemas: [{ sink: 'main', table: 'clicks', columns: { url: 'string' }, ...schema }] }));
    return loadConfig({ path, env: {} });
  };

  it('accepts insert without keys, delivery, ledgerTable and the ledger tuning fields', () => {
    const config = load({ conflict: 'insert', delivery: 'exactly-once', ledgerTable: 'clicks_ids', ledgerPruneDelayMs: 0, ledgerRetentionMs: 86_400_000 });
    const [entry] = config.schemas;
    expect(entry?.schema).toMatchObject({ conflict: 'insert', keys: [], delivery: 'exactly-once', ledgerTable: 'clicks_ids' });
    expect(entry?.tuning).toMatchObject({ ledgerPruneDelayMs: 0, ledgerRetentionMs: 86_400_000 });
  });

  it.each([
    [{ conflict: 'insert', delivery: 'twice' }, 'schemas.0.delivery'],
    [{ conflict: 'insert', ledgerRetentionMs: 0 }, 'schemas.0.ledgerRetentionMs'],
  ])('names the field of a bad value (%j)', (schema, field) => {
    expect(() => load(schema)).toThrow(ConfigError);
    try {
      load(schema);
    } catch (err) {
      expect((err as ConfigError).field).toBe(field);
    }
  });
});
