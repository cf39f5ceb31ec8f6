// Real PostgreSQL faults (issue 9), each against a private server of its own so the shared one at
// 5432 is never touched: restart over TCP and over the Unix socket, a table lock held by another
// connection, read-only via default_transaction_read_only, a statement-timeout wave, and a full
// disk (a tablespace on a small tmpfs). Keyed rows (conflict `update`) with 1% poison go through
// the real Producer + BatchConsumer + PostgresDriver. The rule under test: the DLQ is for bad
// data, never for a sick sink — good rows dead-lettered 0, exactly the poison rows dead-lettered,
// nothing lost or duplicated, and the first commit within 5 s of the fault clearing.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PostgresDriver, SQLSchema, type PostgresDriverOptions } from '../../src/index.js';
import { atScale } from '../helpers/chaos-figures.js';
import { useCleanups } from '../helpers/cleanups.js';
import { runFaultScenario, type FaultContext, type FaultScenarioResult } from '../helpers/fault-scenario.js';
import { uniqueTable } from '../helpers/pg.js';
import { PrivatePostgres } from '../helpers/private-postgres.js';

const defer = useCleanups();
/** How long the lock, timeout and disk-full faults last (the 20 s at full scale). */
const FAULT_MS = atScale(20_000, 8000);
const READ_ONLY_MS = atScale(15_000, 8000);
/** How long the server stays stopped in the second phase of the restart scenarios. */
const STOPPED_MS = atScale(10_000, 6000);

const COLUMNS = { id: 'int64', name: 'string', score: 'int32' } as const;

/**
 * A good row, or a poison one the table rightly refuses: alternately a CHECK violation (23514) and
 * a name too long for varchar(64) (22001), both data errors.
 */
const row = (i: number, poison: boolean) => {
  if (!poison) return { id: BigInt(i), name: `row ${i}`, score: i % 1000 };
  return Math.floor(i / 100) % 2 === 0 ? { id: BigInt(i), name: `row ${i}`, score: -1 } : { id: BigInt(i), name: 'x'.repeat(65), score: 1 };
};

/** A private server, started, with the scenario's table; stopped and removed after the test. */
async function privateTable(label: string, options: { tablespace?: string; beforeTable?: (server: PrivatePostgres) => Promise<string | undefined> } = {}) {
  // autovacuum off: it could truncate a full tablespace's empty pages and end a disk-full fault early.
  const server = await PrivatePostgres.create({ settings: { autovacuum: 'off' } });
  defer(() => server.cleanup());
  await server.start();
  const tablespace = await options.beforeTable?.(server);
  const table = uniqueTable(label);
  const where = tablespace === undefined ? { table: '', index: '' } : { table: ` TABLESPACE ${tablespace}`, index: ` USING INDEX TABLESPACE ${tablespace}` };
  await server.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY${where.index}, name varchar(64) NOT NULL, score int NOT NULL CHECK (score >= 0))${where.table}`);
  const schema = SQLSchema(table, 'update', COLUMNS);
  const readKeys = async () => (await server.query<{ id: string }>(`SELECT id::text AS id FROM ${table}`)).map((r) => r.id);
  return { server, table, schema, readKeys };
}

/** The SQLSTATE (or Node code) a statement fails with, or `ok`. */
async function failsWith(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return 'ok';
  } catch (err) {
    return String((err as { code?: unknown }).code ?? (err as Error).message);
  }
}

/** Codes the executor threw during the run (the part after `reason/`). */
const codesSeen = (r: FaultScenarioResult) => Object.keys(r.errorsSeen).map((tag) => tag.slice(tag.indexOf('/') + 1));

const driver = (url: string, extra: Partial<PostgresDriverOptions> = {}) => () => new PostgresDriver({ connectionString: url, connectTimeoutMs: 1000, ...extra });

/** Restart mid-run, then stopped for STOPPED_MS and started again; always leaves the server running. */
async function restartThenStop(server: PrivatePostgres, ctx: FaultContext, stopMode: 'fast' | 'immediate'): Promise<void> {
  try {
    await server.restart('fast');
    ctx.cleared();
    await sleep(3000);
    ctx.down();
    await server.stop(stopMode);
    await sleep(STOPPED_MS);
    await server.start();
    ctx.cleared();
  } finally {
    if (!(await server.running())) await server.start();
  }
}

describe('chaos: real PostgreSQL faults (private server)', () => {
  it('restart over TCP (pg_ctl restart -m fast, then stopped and started again): nothing good dead-lettered, recovery ≤ 5 s', async () => {
    const t = await privateTable('pgf_tcp');
    const r = await runFaultScenario({
      scenario: `PG restart over TCP (restart -m fast; stop ${STOPPED_MS / 1000} s, start)`,
      label: 'pgf_tcp',
      schema: t.schema,
      executor: driver(t.server.url),
      row,
      readKeys: t.readKeys,
      expectBreakerOpen: true,
      fault: (ctx) => restartThenStop(t.server, ctx, 'fast'),
    });
    // The fault reached the pipeline: refused connections or sessions terminated by the shutdown.
    expect.soft(codesSeen(r).some((c) => ['ECONNREFUSED', '57P01', 'ECONNRESET', '-'].includes(c)), JSON.stringify(r.errorsSeen)).toBe(true);
  });

  it('restart over the Unix socket (ENOENT / ECONNREFUSED while down): nothing good dead-lettered, recovery ≤ 5 s', async () => {
    const t = await privateTable('pgf_sock');
    const r = await runFaultScenario({
      scenario: `PG restart over the Unix socket (restart -m fast; stop -m immediate ${STOPPED_MS / 1000} s, start)`,
      label: 'pgf_sock',
      schema: t.schema,
      executor: driver(t.server.socketUrl),
      row,
      readKeys: t.readKeys,
      expectBreakerOpen: true,
      fault: (ctx) => restartThenStop(t.server, ctx, 'immediate'),
    });
    expect.soft(codesSeen(r).some((c) => c === 'ENOENT' || c === 'ECONNREFUSED'), JSON.stringify(r.errorsSeen)).toBe(true);
  });

  it(`a table lock held ${FAULT_MS / 1000} s by another connection (lockTimeoutMs 100, 55P03): held, not dead-lettered`, async () => {
    const t = await privateTable('pgf_lock');
    const r = await runFaultScenario({
      scenario: `PG table lock held ${FAULT_MS / 1000} s (ACCESS EXCLUSIVE, lockTimeoutMs 100)`,
      label: 'pgf_lock',
      schema: t.schema,
      executor: driver(t.server.url, { lockTimeoutMs: 100 }),
      row,
      readKeys: t.readKeys,
      expectBreakerOpen: true,
      fault: async (ctx) => {
        const holder = await t.server.client();
        try {
          await holder.query('BEGIN');
          await holder.query(`LOCK TABLE ${t.table} IN ACCESS EXCLUSIVE MODE`);
          ctx.down();
          const probe = t.server.query(['BEGIN', 'SET LOCAL lock_timeout = 100', `INSERT INTO ${t.table} VALUES (-1, 'probe', 1)`]);
          expect(await failsWith(probe), 'an insert while the table is locked').toBe('55P03');
          await sleep(FAULT_MS);
          await holder.query('COMMIT');
          ctx.cleared();
        } finally {
          await holder.end().catch(() => undefined); // ending the session releases the lock in any case
        }
      },
    });
    expect.soft(codesSeen(r), 'the driver hit the lock').toContain('55P03');
  });

  it(`read-only via default_transaction_read_only + reload for ${READ_ONLY_MS / 1000} s (25006): held, not dead-lettered`, async () => {
    const t = await privateTable('pgf_ro');
    await t.server.query('CREATE TABLE probe (x int)');
    const r = await runFaultScenario({
      scenario: `PG read-only ${READ_ONLY_MS / 1000} s (ALTER SYSTEM default_transaction_read_only + reload)`,
      label: 'pgf_ro',
      schema: t.schema,
      executor: driver(t.server.url),
      row,
      readKeys: t.readKeys,
      expectBreakerOpen: true,
      fault: async (ctx) => {
        try {
          await t.server.query('ALTER SYSTEM SET default_transaction_read_only = on');
          await t.server.reload();
          // A reload reaches every backend, pooled sessions included (a user-settable GUC they did
          // not override): a fresh session and the driver's pooled ones both refuse writes.
          await sleep(200);
          expect(await failsWith(t.server.query('INSERT INTO probe VALUES (1)')), 'a write while read-only').toBe('25006');
          ctx.down();
          await sleep(READ_ONLY_MS);
        } finally {
          // ALTER SYSTEM is refused in a read-only transaction: switch this session back first.
          await t.server.query(['SET default_transaction_read_only = off', 'ALTER SYSTEM RESET default_transaction_read_only']);
          await t.server.reload();
          ctx.cleared();
        }
        expect(await failsWith(t.server.query('INSERT INTO probe VALUES (2)')), 'a write after the reload').toBe('ok');
      },
    });
    expect.soft(codesSeen(r), 'the driver hit read-only').toContain('25006');
  });

  it(`a statement-timeout wave for ${FAULT_MS / 1000} s (every INSERT outlasts statementTimeoutMs, 57014): held, not dead-lettered`, async () => {
    const t = await privateTable('pgf_timeout');
    const TIMEOUT_MS = 300;
    // The slow database: a statement trigger sleeping past the driver's statement_timeout, on for the wave.
    await t.server.query(`CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$`);
    const r = await runFaultScenario({
      scenario: `PG statement-timeout wave ${FAULT_MS / 1000} s (statementTimeoutMs ${TIMEOUT_MS}, inserts take 2 s)`,
      label: 'pgf_timeout',
      schema: t.schema,
      executor: driver(t.server.url, { statementTimeoutMs: TIMEOUT_MS }),
      row,
      readKeys: t.readKeys,
      expectBreakerOpen: true,
      fault: async (ctx) => {
        try {
          await t.server.query(`CREATE TRIGGER slow BEFORE INSERT ON ${t.table} FOR EACH STATEMENT EXECUTE FUNCTION slow_insert()`);
          ctx.down();
          const probe = t.server.query(['BEGIN', `SET LOCAL statement_timeout = ${TIMEOUT_MS}`, `INSERT INTO ${t.table} VALUES (-1, 'probe', 1)`]);
          expect(await failsWith(probe), 'an insert during the wave').toBe('57014');
          await sleep(FAULT_MS);
        } finally {
          await t.server.query(`DROP TRIGGER IF EXISTS slow ON ${t.table}`);
          ctx.cleared();
        }
      },
    });
    expect.soft(codesSeen(r), 'the driver hit the statement timeout').toContain('57014');
  });

  it(`disk full: the table's tablespace on a 16 MB tmpfs filled for ${FAULT_MS / 1000} s (53100), then space freed`, async () => {
    let mount = '';
    const t = await privateTable('pgf_disk', {
      beforeTable: async (server) => {
        mount = await server.mountTmpfs('small_ts', 16);
        await server.query(`CREATE TABLESPACE small LOCATION '${mount}'`);
        await server.query('CREATE TABLE filler (x text) TABLESPACE small');
        return 'small';
      },
    });
    /** Fills the tablespace until even the scenario's table cannot grow: an insert into it fails with 53100. */
    const fill = async (): Promise<string> => {
      let probe = 'ok';
      for (let round = 0; round < 10 && probe !== '53100'; round++) {
        // Big chunks first, then ever smaller ones, so the last free pages fill up too.
        for (const rows of [2000, 100, 1]) {
          let outcome = 'ok';
          while (outcome === 'ok') outcome = await failsWith(t.server.query(`INSERT INTO filler SELECT repeat('x', 1500) FROM generate_series(1, ${rows})`));
        }
        // Rolled back either way: it only asks whether the table can still grow.
        probe = await failsWith(t.server.query(['BEGIN', `INSERT INTO ${t.table} SELECT -g, 'probe', 1 FROM generate_series(1, 500) g`, 'ROLLBACK']));
      }
      return probe;
    };
    const r = await runFaultScenario({
      scenario: `PG disk full ${FAULT_MS / 1000} s (tablespace on a 16 MB tmpfs, then filler dropped)`,
      label: 'pgf_disk',
      schema: t.schema,
      executor: driver(t.server.url),
      row,
      readKeys: t.readKeys,
      expectBreakerOpen: true,
      fault: async (ctx) => {
        try {
          expect(await fill(), 'an insert into the full tablespace').toBe('53100');
          ctx.down();
          await sleep(FAULT_MS);
        } finally {
          await t.server.query('DROP TABLE IF EXISTS filler');
          ctx.cleared();
        }
        const probe = await failsWith(t.server.query(['BEGIN', `INSERT INTO ${t.table} SELECT -g, 'probe', 1 FROM generate_series(1, 500) g`, 'ROLLBACK']));
        expect(probe, 'an insert once the filler is dropped').toBe('ok');
      },
    });
    expect.soft(codesSeen(r), 'the driver hit the full disk').toContain('53100');
  });
});
