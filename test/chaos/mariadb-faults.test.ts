// Real MariaDB faults on a private server (never the shared one at 3306): a kill -9 restart over
// TCP, a clean restart over the Unix socket (ENOENT while the socket file is gone), a
// failover-style read_only=ON for a non-SUPER user (1290), and an InnoDB lock wait (1205) held by
// another connection. Under each, with 1% poison rows (a name too long for its VARCHAR: 1406 in
// strict mode): no good row dead-lettered, exactly the poison dead-lettered, nothing lost or
// duplicated, and the first commit within 5 s of the fault clearing.
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MySqlDriver, SQLSchema } from '../../src/index.js';
import { atScale } from '../helpers/chaos-figures.js';
import { useCleanups } from '../helpers/cleanups.js';
import { runFaultScenario, type FaultContext, type FaultScenario } from '../helpers/fault-scenario.js';
import { PrivateMariaDb } from '../helpers/private-mariadb.js';

const defer = useCleanups();
const RESTART_DOWN_MS = atScale(10_000, 8000);
const READ_ONLY_MS = atScale(15_000, 10_000);
// 20 s at both scales: shorter, and a core that spends attempts on a lock still outlasts it.
const LOCK_MS = 20_000;

let server: PrivateMariaDb;
let tables = 0;

beforeAll(async () => {
  // innodb_lock_wait_timeout=0 (MariaDB: do not wait): while a lock is held every write fails at
  // once with 1205, as with an app's short lock timeout. With 1 s waits, a core that retries a
  // lock to maxAttempts and then bisects needs ~50 s to reach single rows, so the bug it has
  // (dead-lettering good rows as retry_exhausted) would hide behind a 20 s lock.
  server = await PrivateMariaDb.create({ args: ['--innodb-lock-wait-timeout=0'] });
});
afterAll(async () => {
  await server?.remove();
});

interface MySqlError {
  errno?: number;
  code?: string;
}

/** A keyed table, its schema (`update`), the app user's driver and the read side. */
async function mariaScenario(label: string, options: { socket?: boolean } = {}) {
  const table = `bf_${label}_${++tables}_${process.pid}`;
  await server.query(`CREATE TABLE ${table} (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, score INT NOT NULL) ENGINE=InnoDB`);
  const schema = SQLSchema(table, 'update', { id: 'int64', name: 'string', score: 'int32' });
  // Over the Unix socket: the user's own mysql2 pool (the driver accepts one and never ends it).
  const pool = options.socket
    ? mysql.createPool({ socketPath: server.socket, user: server.appUser, database: 'test', connectionLimit: 4, connectTimeout: 2000, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: true })
    : undefined;
  defer(async () => {
    await pool?.end().catch(() => {});
    if (server.running) await server.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
  });
  const base = {
    schema,
    // As the app user (no SUPER / READ ONLY ADMIN), over TCP or the socket.
    executor: () => (pool ? new MySqlDriver({ pool }) : new MySqlDriver({ connectionString: server.appUrl, connectTimeoutMs: 2000, poolSize: 4 })),
    // Poison: 64 characters into VARCHAR(32), refused in strict mode (1406), on every attempt.
    row: (id: number, poison: boolean) => ({ id: BigInt(id), name: poison ? `poison ${id} `.padEnd(64, 'x') : `row ${id}`, score: id % 1000 }),
    readKeys: async () => (await server.query<Array<{ id: string }>>(`SELECT id FROM ${table}`)).map((r) => String(r.id)),
    expectBreakerOpen: true,
  } satisfies Partial<FaultScenario>;
  return { table, schema, base };
}

/** What an insert by the app user fails with right now (proves the fault is real), or 'ok'. */
async function appInsertError(table: string): Promise<string> {
  const connection = await server.connect('app');
  try {
    await connection.query(`INSERT INTO ${table} (id, name, score) VALUES (?, 'probe', 0)`, [-1]);
    await connection.query(`DELETE FROM ${table} WHERE id = ?`, [-1]);
    return 'ok';
  } catch (err) {
    return String((err as MySqlError).errno ?? (err as MySqlError).code);
  } finally {
    connection.destroy();
  }
}

describe('chaos: MariaDB faults (private server)', () => {
  it(`restart: kill -9 mid-run, down ${RESTART_DOWN_MS / 1000} s, start`, async () => {
    const { base } = await mariaScenario('restart');
    await runFaultScenario({
      ...base,
      scenario: `mariadb restart (kill -9, down ${RESTART_DOWN_MS / 1000} s)`,
      label: 'mdb_restart',
      async fault(ctx: FaultContext) {
        try {
          await server.kill();
          await sleep(RESTART_DOWN_MS);
        } finally {
          await server.start();
          ctx.cleared();
        }
      },
    });
  });

  it(`restart over the Unix socket: clean stop (the socket file goes: ENOENT), down ${RESTART_DOWN_MS / 1000} s, start`, async () => {
    const { base } = await mariaScenario('sockrestart', { socket: true });
    let seen = '';
    await runFaultScenario({
      ...base,
      scenario: `mariadb restart over the Unix socket (stop, ENOENT, down ${RESTART_DOWN_MS / 1000} s)`,
      label: 'mdb_sock_restart',
      async fault(ctx: FaultContext) {
        try {
          await server.stop();
          seen = await mysql
            .createConnection({ socketPath: server.socket, user: server.appUser, connectTimeout: 1000 })
            .then((c) => (c.destroy(), 'ok'), (err: MySqlError) => String(err.code));
          await sleep(RESTART_DOWN_MS);
        } finally {
          await server.start();
          ctx.cleared();
        }
      },
    });
    expect(seen, 'a connect over the socket must fail with ENOENT while the server is down').toBe('ENOENT');
  });

  it(`read_only=ON for a non-SUPER user (1290) for ${READ_ONLY_MS / 1000} s`, async () => {
    const { table, base } = await mariaScenario('readonly');
    let seen = '';
    await runFaultScenario({
      ...base,
      scenario: `mariadb read_only=ON (1290, ${READ_ONLY_MS / 1000} s)`,
      label: 'mdb_readonly',
      async fault(ctx: FaultContext) {
        try {
          await server.query('SET GLOBAL read_only = ON');
          ctx.down();
          seen = await appInsertError(table);
          await sleep(READ_ONLY_MS);
        } finally {
          await server.query('SET GLOBAL read_only = OFF');
          ctx.cleared();
        }
      },
    });
    expect(seen, 'the app user must be refused with 1290 while read_only is on').toBe('1290');
  });

  it(`lock wait (1205): another connection holds SELECT … FOR UPDATE on the whole table for ${LOCK_MS / 1000} s`, async () => {
    const { table, base } = await mariaScenario('lockwait');
    let seen = '';
    await runFaultScenario({
      ...base,
      scenario: `mariadb lock wait (1205, FOR UPDATE held ${LOCK_MS / 1000} s)`,
      label: 'mdb_lock',
      async fault(ctx: FaultContext) {
        const holder = await server.connect('root');
        try {
          // REPEATABLE READ: a full scan FOR UPDATE takes next-key locks on every row and the
          // supremum gap, so every insert and upsert fails with 1205 (at once, lock wait timeout 0).
          await holder.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
          await holder.query('START TRANSACTION');
          await holder.query(`SELECT id FROM ${table} FOR UPDATE`);
          ctx.down();
          seen = await appInsertError(table);
          await sleep(LOCK_MS);
          await holder.query('ROLLBACK');
          ctx.cleared();
        } finally {
          await holder.end().catch(() => holder.destroy());
        }
      },
    });
    expect(seen, 'an insert by the app user must fail with 1205 while the lock is held').toBe('1205');
  });
});
