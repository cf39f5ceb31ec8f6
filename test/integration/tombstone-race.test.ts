// The race tombstones must close between two workers: worker A deletes key 1 at version 5 while
// worker B writes an *older* version (3) of key 1, in two concurrent transactions. Whatever the
// interleaving, the row must stay deleted. The test forces the worst interleaving: A's transaction
// is stopped right after recording its tombstone (a trigger on the tombstone table waits for a
// gate row the test holds locked), uncommitted; then B runs its upsert and its tombstone check.
// Without a lock between the two, B sees neither A's delete nor A's tombstone and commits the
// row; with it, B waits for A and its check then finds the tombstone.
//
// PostgreSQL (READ COMMITTED): the mechanism is the driver's per-key advisory lock (delete-keys.ts).
// MySQL/MariaDB: no extra lock: B's tombstone check (`DELETE t FROM t JOIN tombstones …`) is a
// locking read, so it waits for A's uncommitted tombstone row and then sees it; shown at
// REPEATABLE READ (the default) and READ COMMITTED (a server or pool set so). Each case also with
// a key the column folds ('key' and 'KEY'): the lock must be the database's key, not the spelling.
// Control: with the PostgreSQL advisory lock commented out, B does not wait and the row comes
// back ({ bWaited: false, rows: [{ id: '1', … }] }).
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MySqlDriver, PostgresDriver, Request, SQLSchema, type BatchExecutor } from '../../src/index.js';
import { MYSQL_URL, PG_URL } from './sql-dialects.js';

/** The versioned schema; `folded`: a string key the column compares case-insensitively (citext, *_ci), and the two workers spell it differently. */
const schemaOf = (table: string, folded: boolean) =>
  SQLSchema(table, 'update', { id: folded ? 'string' : 'int64', name: 'string', v: 'int64' }, { keys: ['id'], versionColumn: 'v', versionSource: 'row', tombstones: true });
/** The keys: A's delete, B's older write (one key to the database), and two warm-up keys. */
const keysOf = (folded: boolean) => (folded ? { a: 'key', b: 'KEY', warmA: 'w1', warmB: 'w2' } : { a: 1n, b: 1n, warmA: 900n, warmB: 901n });

/** Polls `condition` until true; fails after `ms`. */
async function until(condition: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What a dialect's race needs from the test: DDL for the table and the gate trigger, and who is waiting on a lock. */
interface RaceDb {
  exec(sql: string): Promise<void>;
  /** A session on which the test holds the gate row locked (`FOR UPDATE` in an open transaction); resolves to the release. */
  holdGate(gate: string): Promise<() => Promise<void>>;
  /** True when worker `who`'s transaction waits on a lock. */
  waiting(who: 'a' | 'b', table: string): Promise<boolean>;
  rows(table: string): Promise<{ id: string; v: string }[]>;
  drivers(): { a: BatchExecutor; b: BatchExecutor; close: () => Promise<void> };
  close(): Promise<void>;
}

/** Plays the race on `db`; resolves to what B did (waited for A or not) and the rows left. */
async function race(db: RaceDb, folded: boolean, ddl: { table: (t: string) => string; gate: (g: string) => string[]; trigger: (t: string, tomb: string, gate: string) => string[]; drop?: (t: string) => string }) {
  const suffix = randomBytes(4).toString('hex');
  const table = `bf_race_${suffix}`;
  const gate = `bf_gate_${suffix}`;
  const schema = schemaOf(table, folded);
  const keys = keysOf(folded);
  await db.exec(ddl.table(table));
  for (const sql of ddl.gate(gate)) await db.exec(sql);
  const { a, b, close } = db.drivers();
  try {
    // First batches create the tombstone table and warm both drivers (caches, connections).
    await a.execute(schema, [Request.deleteOf(schema, { id: keys.warmA, v: 1n })]);
    await b.execute(schema, [Request.deleteOf(schema, { id: keys.warmB, v: 1n })]);
    for (const sql of ddl.trigger(table, `${table}_bf_tombstones`, gate)) await db.exec(sql);
    const release = await db.holdGate(gate);
    let released = false;
    try {
      // A: delete key 1 at v5. It records its tombstone, then waits on the gate, uncommitted.
      const deleting = a.execute(schema, [Request.deleteOf(schema, { id: keys.a, v: 5n })]);
      deleting.catch(() => {});
      await until(() => db.waiting('a', table), 'worker A to wait on the gate');
      // B: an older write of key 1 (v3), e.g. a redelivery. It either completes (no lock between
      // the two: the race is open) or waits for A.
      let bDone = false;
      const writing = b.execute(schema, [Request.fromRow(schema, { id: keys.b, name: 'late', v: 3n })]).finally(() => (bDone = true));
      writing.catch(() => {});
      await until(async () => bDone || (await db.waiting('b', table)), 'worker B to finish or wait for A');
      const bWaited = !bDone;
      await release();
      released = true;
      await Promise.all([deleting, writing]);
      return { bWaited, rows: await db.rows(table) };
    } finally {
      if (!released) await release();
    }
  } finally {
    await close();
    for (const t of [table, `${table}_bf_tombstones`, gate]) await db.exec(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    if (ddl.drop) await db.exec(ddl.drop(table)).catch(() => {});
  }
}

describe('tombstones: a delete and a concurrent older write of its key, in two workers', () => {
  const opened: RaceDb[] = [];
  afterAll(async () => {
    for (const db of opened) await db.close();
  });

  it.each([false, true])('PostgreSQL (citext key spelled two ways: %s): the older write waits for the delete and stays deleted (per-key advisory lock)', async (folded) => {
    const admin = new pg.Pool({ connectionString: PG_URL, max: 3 });
    const app = `bf_race_${randomBytes(3).toString('hex')}`;
    const pools: pg.Pool[] = [];
    const db: RaceDb = {
      exec: async (sql) => void (await admin.query(sql)),
      async holdGate(g) {
        const client = await admin.connect();
        await client.query('BEGIN');
        await client.query(`SELECT 1 FROM ${g} WHERE id = 1 FOR UPDATE`);
        return async () => {
          await client.query('COMMIT');
          client.release();
        };
      },
      async waiting(who) {
        const result = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [`${app}_${who}`]);
        return (result.rows[0] as { n: number }).n > 0;
      },
      rows: async (t) => (await admin.query(`SELECT id::text AS id, v::text AS v FROM ${t} ORDER BY id`)).rows as { id: string; v: string }[],
      drivers() {
        const pool = (who: string) => {
          const p = new pg.Pool({ connectionString: PG_URL, max: 2, application_name: `${app}_${who}` });
          pools.push(p);
          return p;
        };
        const a = new PostgresDriver({ pool: pool('a') });
        const b = new PostgresDriver({ pool: pool('b') });
        return { a, b, close: async () => void (await Promise.all(pools.splice(0).map((p) => p.end()))) };
      },
      close: () => admin.end(),
    };
    opened.push(db);
    if (folded) await admin.query('CREATE EXTENSION IF NOT EXISTS citext').catch(() => {});
    const outcome = await race(db, folded, {
      table: (t) => `CREATE TABLE ${t} (id ${folded ? 'citext' : 'bigint'} PRIMARY KEY, name text NOT NULL, v bigint NOT NULL)`,
      gate: (g) => [`CREATE TABLE ${g} (id int PRIMARY KEY)`, `INSERT INTO ${g} VALUES (1)`],
      trigger: (t, tomb, g) => [
        `CREATE FUNCTION ${t}_gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM 1 FROM ${g} WHERE id = 1 FOR UPDATE; RETURN NULL; END $$`,
        `CREATE TRIGGER ${t}_gate AFTER INSERT ON ${tomb} FOR EACH STATEMENT EXECUTE FUNCTION ${t}_gate()`,
      ],
      drop: (t) => `DROP FUNCTION IF EXISTS ${t}_gate()`,
    });
    expect(outcome).toEqual({ bWaited: true, rows: [] });
  }, 60_000);

  for (const isolation of ['REPEATABLE READ', 'READ COMMITTED'] as const) {
    it.each([false, true])(`MySQL/MariaDB, pool sessions at ${isolation} (*_ci key spelled two ways: %s): the older write waits for the delete and stays deleted`, async (folded) => {
      const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 3 });
      const db: RaceDb = {
        exec: async (sql) => void (await admin.query(sql)),
        async holdGate(g) {
          const connection = await admin.getConnection();
          await connection.query('START TRANSACTION');
          await connection.query(`SELECT id FROM ${g} WHERE id = 1 FOR UPDATE`);
          return async () => {
            await connection.query('COMMIT');
            connection.release();
          };
        },
        async waiting(who, t) {
          // A waits in its tombstone insert's trigger (the server shows the trigger's statement, on
          // the gate); B in a statement on the data table (its upsert, or its tombstone check).
          const statement = who === 'a' ? `%FROM ${t.replace('bf_race_', 'bf_gate_')} WHERE%` : `%\`${t}\`%`;
          // Blocked: the statement has been running far longer than it takes (MariaDB's TIME_MS; the
          // optimizer's row-lock wait on a primary-key lookup shows no InnoDB LOCK WAIT yet).
          const [rows] = await admin.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%' AND TIME_MS > 300", [statement]);
          return Number((rows as { n: unknown }[])[0]?.n) > 0;
        },
        rows: async (t) => ((await admin.query(`SELECT CAST(id AS CHAR) AS id, CAST(v AS CHAR) AS v FROM ${t} ORDER BY id`))[0] as { id: string; v: string }[]),
        drivers() {
          const pools = [0, 1].map(() => {
            const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
            // What a server (or pool) configured for READ COMMITTED gives every session.
            pool.on('connection', (c) => {
              const core = c as unknown as { query(sql: string): unknown };
              core.query("SET time_zone = '+00:00'");
              core.query(`SET SESSION TRANSACTION ISOLATION LEVEL ${isolation}`);
            });
            return pool;
          });
          return { a: new MySqlDriver({ pool: pools[0] as mysql.Pool }), b: new MySqlDriver({ pool: pools[1] as mysql.Pool }), close: async () => void (await Promise.all(pools.map((p) => p.end()))) };
        },
        close: () => admin.end(),
      };
      opened.push(db);
      const outcome = await race(db, folded, {
        table: (t) => `CREATE TABLE ${t} (id ${folded ? 'varchar(16) COLLATE utf8mb4_general_ci' : 'bigint'} PRIMARY KEY, name varchar(16) NOT NULL, v bigint NOT NULL) ENGINE=InnoDB`,
        gate: (g) => [`CREATE TABLE ${g} (id int PRIMARY KEY) ENGINE=InnoDB`, `INSERT INTO ${g} VALUES (1)`],
        trigger: (t, tomb, g) => [`CREATE TRIGGER ${t}_gate AFTER INSERT ON ${tomb} FOR EACH ROW BEGIN DECLARE gate_id INT; SELECT id INTO gate_id FROM ${g} WHERE id = 1 FOR UPDATE; END`],
      });
      expect(outcome).toEqual({ bWaited: true, rows: [] });
    }, 60_000);
  }
});
