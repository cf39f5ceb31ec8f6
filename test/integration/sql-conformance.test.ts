// One conformance suite for the three SQL drivers, run against the real servers: what a user
// checks is the rows in the table after execute() resolved or rejected.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sinkErrorOf as failure } from '../helpers/sink-error.js';
import {
  MySqlDriver,
  Request,
  Schema,
  SchemaDefinitionError,
  SqliteDriver,
  SQLSchema,
  type BatchExecutor,
  type ConflictStrategy,
  type Row,
} from '../../src/index.js';
import { conformanceDialects, MYSQL_URL, uniqueTable, type ColumnSpec, type DialectAdapter } from './sql-dialects.js';

const KV: Record<string, ColumnSpec> = { id: { type: 'int64', notNull: true }, name: { type: 'string', notNull: true }, note: { type: 'string' } };
const I64_MAX = 2n ** 63n - 1n;
/** A table keyed on `id` with a second unique index on `email` (see `peopleTable`). */
const PEOPLE: Record<string, ColumnSpec> = { id: { type: 'int64', notNull: true }, email: { type: 'string' }, name: { type: 'string' } };
const CHILD: Record<string, ColumnSpec> = { id: { type: 'int64', notNull: true }, parent: { type: 'int64', notNull: true } };
const STRATEGIES = ['ignore', 'replace', 'update'] as const;

const DIALECTS = await conformanceDialects();

it('runs against every SQL dialect in the sink registry', () => {
  expect(DIALECTS.map((d) => d.name)).toEqual(['postgres', 'mysql', 'sqlite']);
});

describe.each(DIALECTS)('SQL driver conformance: $name', (db: DialectAdapter) => {
  let driver: BatchExecutor;
  const tables: string[] = [];

  async function table(columns: Record<string, ColumnSpec> = KV, key: readonly string[] = ['id'], extra?: string): Promise<string> {
    const name = uniqueTable(`bf_conf_${db.name}`);
    tables.push(name);
    await db.createTable(name, columns, key, extra);
    return name;
  }
  const requests = (schema: SQLSchema, rows: readonly Row[]) => rows.map((row) => Request.fromRow(schema, row));
  const kv = (name: string, conflict: ConflictStrategy) => SQLSchema(name, conflict, { id: 'int64', name: 'string', note: 'string?' });
  const people = (name: string, conflict: ConflictStrategy) => SQLSchema(name, conflict, { id: 'int64', email: 'string?', name: 'string?' });
  /** PEOPLE with `UNIQUE (email)` (or only the key), holding (1, 'a@x', 'Ann') and (2, 'b@x', 'Bo'). */
  async function peopleTable(secondUnique = true): Promise<string> {
    const t = await table(PEOPLE, ['id'], secondUnique ? 'UNIQUE (email)' : undefined);
    await db.exec(`INSERT INTO ${db.quote(t)} (id, email, name) VALUES (1, 'a@x', 'Ann'), (2, 'b@x', 'Bo')`);
    return t;
  }
  const ANN = { id: '1', email: 'a@x', name: 'Ann' };
  const BO = { id: '2', email: 'b@x', name: 'Bo' };

  beforeAll(async () => {
    await db.open();
    driver = db.ownedDriver();
  });
  afterEach(async () => {
    // Newest first: a child table goes before the table it references.
    for (const name of tables.splice(0).reverse()) await db.dropTable(name);
  });
  afterAll(async () => {
    await driver.close?.();
    await db.close();
  });

  it('inserts a batch, and an empty batch is a no-op', async () => {
    const t = await table();
    const schema = kv(t, 'ignore');
    await driver.execute(schema, []);
    await driver.execute(schema, requests(schema, [{ id: 1n, name: 'a' }, { id: 2n, name: 'b', note: 'x' }]));
    expect(await db.read(t, KV)).toEqual([
      { id: '1', name: 'a', note: null },
      { id: '2', name: 'b', note: 'x' },
    ]);
  });

  it.each([
    ['ignore', 'old'],
    ['replace', 'new'],
    ['update', 'new'],
  ] as const)('conflict %s keeps the %s row and inserts the rest', async (conflict, winner) => {
    const t = await table();
    const schema = kv(t, conflict);
    await driver.execute(schema, requests(schema, [{ id: 1n, name: 'old' }]));
    await driver.execute(schema, requests(schema, [{ id: 1n, name: 'new', note: 'n' }, { id: 2n, name: 'two' }]));
    const rows = await db.read(t, KV);
    expect(rows).toEqual([
      winner === 'old' ? { id: '1', name: 'old', note: null } : { id: '1', name: 'new', note: 'n' },
      { id: '2', name: 'two', note: null },
    ]);
  });

  it('update leaves columns the schema does not list untouched', async () => {
    const t = await table();
    const schema = SQLSchema(t, 'update', { id: 'int64', name: 'string' });
    await db.exec(`INSERT INTO ${db.name === 'mysql' ? `\`${t}\`` : `"${t}"`} (id, name, note) VALUES (1, 'old', 'kept')`);
    await driver.execute(schema, requests(schema, [{ id: 1n, name: 'new' }]));
    expect(await db.read(t, KV)).toEqual([{ id: '1', name: 'new', note: 'kept' }]);
  });

  it.each([
    ['ignore', 'first'],
    ['replace', 'second'],
    ['update', 'second'],
  ] as const)('with %s, a key twice in one batch keeps the %s row', async (conflict, winner) => {
    const t = await table();
    const schema = kv(t, conflict);
    await driver.execute(schema, requests(schema, [{ id: 1n, name: 'first' }, { id: 2n, name: 'x' }, { id: 1n, name: 'second' }]));
    expect((await db.read(t, KV)).map((r) => r.name)).toEqual([winner, 'x']);
  });

  it.each(['ignore', 'replace', 'update'] as const)('composite key with %s', async (conflict) => {
    const columns: Record<string, ColumnSpec> = { tenant: { type: 'int32', notNull: true }, id: { type: 'int64', notNull: true }, v: { type: 'string' } };
    const t = await table(columns, ['tenant', 'id']);
    const schema = SQLSchema(t, conflict, { tenant: 'int32', id: 'int64', v: 'string?' }, { keys: ['tenant', 'id'] });
    await driver.execute(schema, requests(schema, [{ tenant: 1, id: 1n, v: 'a' }, { tenant: 2, id: 1n, v: 'b' }]));
    await driver.execute(schema, requests(schema, [{ tenant: 1, id: 1n, v: 'c' }, { tenant: 1, id: 2n, v: 'd' }]));
    const rows = await db.read(t, columns, 'tenant, id');
    expect(rows).toEqual([
      { tenant: 1, id: '1', v: conflict === 'ignore' ? 'a' : 'c' },
      { tenant: 1, id: '2', v: 'd' },
      { tenant: 2, id: '1', v: 'b' },
    ]);
  });

  it('writes 20,000 rows of 5 columns in one batch (more values than any bound-parameter limit)', async () => {
    const columns: Record<string, ColumnSpec> = {
      id: { type: 'int64', notNull: true }, name: { type: 'string' }, score: { type: 'float64' }, n: { type: 'int32' }, flag: { type: 'bool' },
    };
    const t = await table(columns);
    const schema = SQLSchema(t, 'update', { id: 'int64', name: 'string', score: 'float64', n: 'int32', flag: 'bool' });
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: BigInt(i + 1), name: `row ${i}`, score: i / 4, n: i % 1000, flag: i % 2 === 0 }));
    await driver.execute(schema, requests(schema, rows));
    const read = await db.read(t, columns);
    expect(read).toHaveLength(20_000);
    expect(read[0]).toEqual({ id: '1', name: 'row 0', score: 0, n: 0, flag: true });
    expect(read[19_999]).toEqual({ id: '20000', name: 'row 19999', score: 19_999 / 4, n: 999, flag: false });
    expect(new Set(read.map((r) => r.id)).size).toBe(20_000);
  });

  it.each(['declared', 'untyped'] as const)(
    'round-trips int64 extremes, unicode, bytes, null, floats, booleans and ms timestamps (%s column types)',
    async (typing) => {
      const columns: Record<string, ColumnSpec> = {
        id: { type: 'int64', notNull: true }, big: { type: 'int64' }, text: { type: 'string' }, bin: { type: 'bytes' },
        at: { type: 'timestamp' }, score: { type: 'float64' }, flag: { type: 'bool' },
      };
      const t = await table(columns);
      const declared = { id: 'int64', big: 'int64?', text: 'string?', bin: 'bytes?', at: 'timestamp?', score: 'float64?', flag: 'bool?' } as const;
      // Untyped: PostgreSQL reads the column types from the catalog instead.
      const schema = typing === 'declared' ? SQLSchema(t, 'ignore', declared) : SQLSchema(t, 'ignore', Object.keys(declared));
      const at = new Date('2024-02-29T23:59:58.123Z');
      await driver.execute(schema, requests(schema, [
        { id: 1n, big: I64_MAX, text: 'héllo 世界 😀👩‍💻', bin: new Uint8Array([0x00, 0xff, 0x00, 0x7f]), at, score: 0.1 + 0.2, flag: true },
        { id: 2n, big: -(2n ** 63n), text: "it's \\ \"quoted\" -- ;", bin: new Uint8Array([]), at: new Date(0), score: -1.5e300, flag: false },
        { id: 3n, big: null, text: null, bin: null, at: null, score: null, flag: null },
      ]));
      expect(await db.read(t, columns)).toEqual([
        { id: '1', big: I64_MAX.toString(), text: 'héllo 世界 😀👩‍💻', bin: '00ff007f', at: at.getTime(), score: 0.1 + 0.2, flag: true },
        { id: '2', big: (-(2n ** 63n)).toString(), text: "it's \\ \"quoted\" -- ;", bin: '', at: 0, score: -1.5e300, flag: false },
        { id: '3', big: null, text: null, bin: null, at: null, score: null, flag: null },
      ]);
    },
  );

  it('untyped (seed-style) schemas write the same rows', async () => {
    const t = await table();
    const schema = SQLSchema(t, 'update', ['id', 'name', 'note']);
    await driver.execute(schema, requests(schema, [{ id: 7n, name: 'seven', note: null }, { id: 8, name: 'eight', note: 'n' }]));
    expect(await db.read(t, KV)).toEqual([
      { id: '7', name: 'seven', note: null },
      { id: '8', name: 'eight', note: 'n' },
    ]);
  });

  it.each(['ignore', 'replace', 'update'] as const)('with %s, one bad row fails the whole batch as non_retryable and writes nothing', async (conflict) => {
    const t = await table();
    const schema = SQLSchema(t, conflict, ['id', 'name', 'note']); // untyped: the NULL reaches the database
    await driver.execute(schema, requests(schema, [{ id: 1n, name: 'before', note: null }]));
    // 12,000 rows span several statements; the bad row is the very last one.
    const rows: Row[] = Array.from({ length: 12_000 }, (_, i) => ({ id: BigInt(i + 1), name: `new ${i}`, note: null }));
    rows.push({ id: 99_999n, name: null, note: null });
    const err = await failure(driver.execute(schema, requests(schema, rows)));
    expect(err.reason).toBe('non_retryable');
    expect(err.sinkCode).toMatch(/^(23502|1048|SQLITE_CONSTRAINT_NOTNULL)$/);
    expect(await db.read(t, KV)).toEqual([{ id: '1', name: 'before', note: null }]);
  });

  describe('a unique index other than the key', () => {
    it.each(STRATEGIES)('with %s, a row colliding on it fails with the unique-violation code and changes no row', async (conflict) => {
      const t = await peopleTable();
      const schema = people(t, conflict);
      const alone = await failure(driver.execute(schema, requests(schema, [{ id: 3n, email: 'a@x', name: 'Bob' }])));
      expect(alone.reason).toBe('non_retryable');
      expect(alone.sinkCode).toBe(db.uniqueViolationCode);
      // Among good rows (a new key, an existing key) the whole batch fails, so bisection can isolate it.
      const mixed = [{ id: 4n, email: 'd@x', name: 'Dee' }, { id: 3n, email: 'a@x', name: 'Bob' }, { id: 2n, email: 'b@x', name: 'Bo2' }];
      const err = await failure(driver.execute(schema, requests(schema, mixed)));
      expect(err.reason).toBe('non_retryable');
      expect(err.sinkCode).toBe(db.uniqueViolationCode);
      expect(await db.read(t, PEOPLE)).toEqual([ANN, BO]);
    });

    it.each(STRATEGIES)('with %s, an existing key moving onto a taken value fails too', async (conflict) => {
      const t = await peopleTable();
      const schema = people(t, conflict);
      const attempt = driver.execute(schema, requests(schema, [{ id: 1n, email: 'b@x', name: 'Ann2' }]));
      if (conflict === 'ignore') {
        await attempt; // the key exists, so the row is skipped and its email never written
      } else {
        const err = await failure(attempt);
        expect(err.reason).toBe('non_retryable');
        expect(err.sinkCode).toBe(db.uniqueViolationCode);
      }
      expect(await db.read(t, PEOPLE)).toEqual([ANN, BO]);
    });

    it.each(STRATEGIES)('with %s, good rows still insert new keys and merge existing ones on the key', async (conflict) => {
      const t = await peopleTable();
      const schema = people(t, conflict);
      await driver.execute(schema, requests(schema, [
        { id: 3n, email: 'c@x', name: 'first' },
        { id: 1n, email: 'z@x', name: 'Ann2' }, // an existing key, and a fresh email
        { id: 4n, email: null, name: 'Dee' }, // NULLs never collide
        { id: 3n, email: 'c2@x', name: 'second' }, // the same key twice in one batch
        { id: 5n, email: null, name: 'Eve' },
      ]));
      const merged = conflict !== 'ignore';
      expect(await db.read(t, PEOPLE)).toEqual([
        merged ? { id: '1', email: 'z@x', name: 'Ann2' } : ANN,
        BO,
        merged ? { id: '3', email: 'c2@x', name: 'second' } : { id: '3', email: 'c@x', name: 'first' },
        { id: '4', email: null, name: 'Dee' },
        { id: '5', email: null, name: 'Eve' },
      ]);
    });

    it.each(STRATEGIES)('with %s, a NULL in a NOT NULL column still fails as bad data', async (conflict) => {
      const t = await table({ ...PEOPLE, name: { type: 'string', notNull: true } }, ['id'], 'UNIQUE (email)');
      await db.exec(`INSERT INTO ${db.quote(t)} (id, email, name) VALUES (1, 'a@x', 'Ann')`);
      const schema = SQLSchema(t, conflict, ['id', 'email', 'name']); // untyped: the NULL reaches the database
      // ignore skips an existing key, so only a new row can carry the NULL there.
      const row = conflict === 'ignore' ? { id: 2n, email: 'b@x', name: null } : { id: 1n, email: 'a@x', name: null };
      const err = await failure(driver.execute(schema, requests(schema, [{ id: 3n, email: 'c@x', name: 'Cy' }, row])));
      expect(err.reason).toBe('non_retryable');
      expect(err.sinkCode).toMatch(/^(23502|1048|SQLITE_CONSTRAINT_NOTNULL)$/);
      expect(await db.read(t, PEOPLE)).toEqual([ANN]);
    });

    it.each(STRATEGIES)('with %s, a batch spanning many statements merges every row', async (conflict) => {
      const t = await peopleTable();
      const schema = people(t, conflict);
      const rows: Row[] = Array.from({ length: 12_000 }, (_, i) => ({ id: BigInt(i + 1), email: `e${i + 1}@x`, name: `n${i + 1}` }));
      await driver.execute(schema, requests(schema, rows));
      const read = await db.read(t, PEOPLE);
      expect(read).toHaveLength(12_000);
      expect(read.slice(0, 3)).toEqual(conflict === 'ignore' ? [ANN, BO, { id: '3', email: 'e3@x', name: 'n3' }] : [
        { id: '1', email: 'e1@x', name: 'n1' }, { id: '2', email: 'e2@x', name: 'n2' }, { id: '3', email: 'e3@x', name: 'n3' },
      ]);
      expect(read.at(-1)).toEqual({ id: '12000', email: 'e12000@x', name: 'n12000' });
    });
  });

  it.each([
    ['with a second unique index', true],
    ['keyed only', false],
  ] as const)('replace (%s) never deletes a row, so no ON DELETE CASCADE child disappears', async (_, secondUnique) => {
    const t = await peopleTable(secondUnique);
    const child = await table(CHILD, ['id'], `FOREIGN KEY (parent) REFERENCES ${db.quote(t)} (id) ON DELETE CASCADE`);
    await db.exec(`INSERT INTO ${db.quote(child)} (id, parent) VALUES (10, 1), (20, 2)`);
    const schema = people(t, 'replace');
    const fk = db.foreignKeyDriver();
    try {
      if (secondUnique) {
        // REPLACE INTO / INSERT OR REPLACE would delete row 1 (matched through email) and its child.
        const err = await failure(fk.driver.execute(schema, requests(schema, [{ id: 3n, email: 'a@x', name: 'Bob' }])));
        expect(err.sinkCode).toBe(db.uniqueViolationCode);
      }
      // Replacing by key must not delete-and-insert either.
      await fk.driver.execute(schema, requests(schema, [{ id: 1n, email: 'a@x', name: 'Ann2' }, { id: 2n, email: 'b2@x', name: 'Bo2' }]));
    } finally {
      await fk.dispose();
    }
    expect(await db.read(t, PEOPLE)).toEqual([{ id: '1', email: 'a@x', name: 'Ann2' }, { id: '2', email: 'b2@x', name: 'Bo2' }]);
    expect(await db.read(child, CHILD)).toEqual([{ id: '10', parent: '1' }, { id: '20', parent: '2' }]);
  });

  it.runIf(db.name === 'mysql')('MySQL: a unique index added later is honoured once the cached indexes expire', async () => {
    const t = await peopleTable(false);
    const schema = people(t, 'update');
    const own = new MySqlDriver({ connectionString: MYSQL_URL, indexCacheTtlMs: 0 });
    try {
      await own.execute(schema, requests(schema, [{ id: 3n, email: 'c@x', name: 'Cy' }])); // fast path
      await db.exec(`ALTER TABLE ${db.quote(t)} ADD UNIQUE (email)`);
      const err = await failure(own.execute(schema, requests(schema, [{ id: 4n, email: 'a@x', name: 'Bob' }])));
      expect(err.sinkCode).toBe('1062');
    } finally {
      await own.close();
    }
    expect(await db.read(t, PEOPLE)).toEqual([ANN, BO, { id: '3', email: 'c@x', name: 'Cy' }]);
  });

  it('an already aborted signal writes nothing and fails with reason context', async () => {
    const t = await table();
    const schema = kv(t, 'ignore');
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    const err = await failure(driver.execute(schema, requests(schema, [{ id: 1n, name: 'a' }]), controller.signal));
    expect(err.reason).toBe('context');
    expect(await db.count(t)).toBe(0);
  });

  it.runIf(db.holdKey)('an abort while a statement waits for a lock returns at once and writes nothing', async () => {
    const t = await table();
    const schema = kv(t, 'ignore');
    const release = await db.holdKey!(t, 1);
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const started = Date.now();
      const err = await failure(driver.execute(schema, requests(schema, [{ id: 2n, name: 'b' }, { id: 1n, name: 'a' }]), controller.signal));
      expect(err.reason).toBe('context');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await release();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await db.count(t)).toBe(0);
  });

  it("writes through the user's own pool/database and leaves it open on close()", async () => {
    const t = await table();
    const schema = kv(t, 'update');
    const user = await db.userDriver();
    try {
      expect(user.driver.ping).toBeTypeOf('function');
      await user.driver.ping?.();
      await user.driver.execute(schema, requests(schema, [{ id: 1n, name: 'mine' }]));
      await user.driver.close?.();
      expect(await user.stillWorks()).toBe(true);
    } finally {
      await user.dispose();
    }
    expect(await db.read(t, KV)).toEqual([{ id: '1', name: 'mine', note: null }]);
  });

  it('never runs SQL for an injected identifier, and rejects non-SQL schemas', async () => {
    const victim = await table();
    // The schema refuses the name before any driver call can be made.
    await expect(async () => driver.execute(SQLSchema(victim, 'ignore', [`id; DROP TABLE ${victim}`]), [])).rejects.toThrow(SchemaDefinitionError);
    expect(await db.count(victim)).toBe(0); // still there
    const generic = Schema('cache', ['cmd', 'key']);
    const err = await failure(driver.execute(generic, [Request.fromRow(generic, { cmd: 'SET', key: 'k' })]));
    expect(err.reason).toBe('non_retryable');
  });

  it('ping() answers, and close() is idempotent', async () => {
    const own = db.ownedDriver();
    // The breaker's health probe depends on it: a missing ping() must fail here, not pass silently.
    expect(own.ping).toBeTypeOf('function');
    await expect(own.ping?.()).resolves.toBeUndefined();
    await own.close?.();
    await own.close?.();
  });
});

describe('SQLite storage choices', () => {
  it('opens its own file in WAL mode; dates as ISO text or epoch ms, booleans as 0/1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchflow-sqlite-opts-'));
    const file = join(dir, 'opts.db');
    const check = new Database(file);
    try {
      check.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, at, flag)');
      const schema = SQLSchema('t', 'replace', { id: 'int64', at: 'timestamp', flag: 'bool' });
      const at = new Date('2024-05-01T12:00:00.123Z');
      for (const [id, timestampFormat] of [[1n, 'iso'], [2n, 'epoch_ms']] as const) {
        const driver = new SqliteDriver({ filename: file, timestampFormat });
        await driver.execute(schema, [Request.fromRow(schema, { id, at, flag: id === 1n })]);
        await driver.close();
      }
      expect(check.prepare('SELECT id, at, typeof(at) AS type, flag FROM t ORDER BY id').all()).toEqual([
        { id: 1, at: '2024-05-01T12:00:00.123Z', type: 'text', flag: 1 },
        { id: 2, at: at.getTime(), type: 'integer', flag: 0 },
      ]);
      expect(check.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      check.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
