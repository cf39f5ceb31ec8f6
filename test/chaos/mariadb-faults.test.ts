// Real MariaDB faults on a private server (never the shared one at 3306): a kill -9 restart, a
// failover-style read_only=ON for a non-SUPER user (1290), and an InnoDB lock wait (1205) held by
// another connection. Under each, with 1% poison rows (a name too long for its VARCHAR: 1406 in
// strict mode): no good row dead-lettered, exactly the poison dead-lettered, nothing lost or
// duplicated, and the first commit within 5 s of the fault clearing.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MySqlDriver, SQLSchema } from '../../src/index.js';
import { atScale } from '../helpers/chaos-figures.js';
import { useCleanups } from '../helpers/cleanups.js';
import { PrivateMariaDb } from '../helpers/private-mariadb.js';
import { ruleViolations, runSinkFault, type FaultWindow, type SinkFaultScenario } from '../helpers/sink-fault-run.js';

const defer = useCleanups();
const N = atScale(20_000, 4000);
const WARMUP_MS = 3000;
const RESTART_DOWN_MS = atScale(10_000, 8000);
const READ_ONLY_MS = atScale(15_000, 10_000);
const LOCK_MS = atScale(20_000, 10_000);

let server: PrivateMariaDb;
let tables = 0;

beforeAll(async () => {
  // A 1 s InnoDB lock wait, so the app's writes fail with 1205 quickly while a lock is held.
  server = await PrivateMariaDb.create({ args: ['--innodb-lock-wait-timeout=1'] });
});
afterAll(async () => {
  await server?.remove();
});

interface MySqlError {
  errno?: number;
  code?: string;
}

/** A keyed table, its schema (`update`), the app user's driver and the read side. */
async function mariaScenario(label: string) {
  const table = `bf_${label}_${++tables}_${process.pid}`;
  await server.query(`CREATE TABLE ${table} (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, score INT NOT NULL) ENGINE=InnoDB`);
  const schema = SQLSchema(table, 'update', { id: 'int64', name: 'string', score: 'int32' });
  const driver = new MySqlDriver({ connectionString: server.appUrl, connectTimeoutMs: 2000, poolSize: 4 });
  defer(async () => {
    await driver.close().catch(() => {});
    if (server.running) await server.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
  });
  const base = {
    schema,
    executor: driver,
    n: N,
    warmupMs: WARMUP_MS,
    // Poison: 64 characters into VARCHAR(32), refused in strict mode (1406), on every attempt.
    row: (id: number, poison: boolean) => ({ id: BigInt(id), name: poison ? `poison ${id} `.padEnd(64, 'x') : `row ${id}`, score: id % 1000 }),
    storedIds: async () => (await server.query<Array<{ id: string }>>(`SELECT id FROM ${table} WHERE id < ${N}`)).map((r) => Number(r.id)),
    idOfEntry: (request: unknown) => Number((request as { id: { $int64: string } }).id.$int64),
  } satisfies Partial<SinkFaultScenario>;
  return { table, schema, driver, base };
}

/** What an insert by the app user fails with right now (proves the fault is real), or 'ok'. */
async function appInsertError(table: string): Promise<string> {
  const connection = await server.connect('app');
  try {
    await connection.query(`INSERT INTO ${table} (id, name, score) VALUES (?, 'probe', 0)`, [1e12]);
    await connection.query(`DELETE FROM ${table} WHERE id = ?`, [1e12]);
    return 'ok';
  } catch (err) {
    return String((err as MySqlError).errno ?? (err as MySqlError).code);
  } finally {
    connection.destroy();
  }
}

function expectRule(result: Awaited<ReturnType<typeof runSinkFault>>): void {
  expect(ruleViolations(result), result.figures.notes).toEqual([]);
}

describe('chaos: MariaDB faults (private server)', () => {
  it(`restart: kill -9 mid-run, down ${RESTART_DOWN_MS / 1000} s, start`, async () => {
    const { base } = await mariaScenario('restart');
    const result = await runSinkFault({
      ...base,
      scenario: `mariadb restart (kill -9, down ${RESTART_DOWN_MS / 1000} s)`,
      label: 'mdb_restart',
      submitMs: WARMUP_MS + RESTART_DOWN_MS + 3000,
      async fault(): Promise<FaultWindow> {
        const startedAt = performance.now();
        await server.kill();
        await sleep(RESTART_DOWN_MS);
        await server.start();
        return { startedAt, clearedAt: performance.now() };
      },
    });
    expectRule(result);
  });

  it(`read_only=ON for a non-SUPER user (1290) for ${READ_ONLY_MS / 1000} s`, async () => {
    const { table, base } = await mariaScenario('readonly');
    let seen = '';
    const result = await runSinkFault({
      ...base,
      scenario: `mariadb read_only=ON (1290, ${READ_ONLY_MS / 1000} s)`,
      label: 'mdb_readonly',
      submitMs: WARMUP_MS + READ_ONLY_MS + 3000,
      async fault(): Promise<FaultWindow> {
        await server.query('SET GLOBAL read_only = ON');
        const startedAt = performance.now();
        seen = await appInsertError(table);
        await sleep(READ_ONLY_MS - (performance.now() - startedAt));
        await server.query('SET GLOBAL read_only = OFF');
        return { startedAt, clearedAt: performance.now() };
      },
    });
    expect(seen, 'the app user must be refused with 1290 while read_only is on').toBe('1290');
    expectRule(result);
  });

  it(`lock wait (1205): another connection holds SELECT … FOR UPDATE on the whole table for ${LOCK_MS / 1000} s`, async () => {
    const { table, base } = await mariaScenario('lockwait');
    let seen = '';
    const result = await runSinkFault({
      ...base,
      scenario: `mariadb lock wait (1205, FOR UPDATE held ${LOCK_MS / 1000} s)`,
      label: 'mdb_lock',
      submitMs: WARMUP_MS + LOCK_MS + 3000,
      async fault(): Promise<FaultWindow> {
        const holder = await server.connect('root');
        try {
          // REPEATABLE READ: a full scan FOR UPDATE takes next-key locks on every row and the
          // supremum gap, so every insert and upsert waits, and fails after 1 s with 1205.
          await holder.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
          await holder.query('START TRANSACTION');
          await holder.query(`SELECT id FROM ${table} FOR UPDATE`);
          const startedAt = performance.now();
          seen = await appInsertError(table);
          await sleep(LOCK_MS - (performance.now() - startedAt));
          await holder.query('ROLLBACK');
          return { startedAt, clearedAt: performance.now() };
        } finally {
          await holder.end().catch(() => holder.destroy());
        }
      },
    });
    expect(seen, 'an insert by the app user must time out with 1205 while the lock is held').toBe('1205');
    expectRule(result);
  });
});
