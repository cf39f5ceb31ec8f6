// A real SQLite lock fault: another PROCESS (a child node with better-sqlite3) runs BEGIN
// IMMEDIATE and sleeps, holding the database's write lock far past the driver's busyTimeoutMs, so
// every batch fails with SQLITE_BUSY until it lets go. With 1% poison rows (a CHECK violation):
// no good row dead-lettered, exactly the poison dead-lettered, nothing lost or duplicated, and the
// first commit within 5 s of the lock's release.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SQLSchema, SqliteDriver } from '../../src/index.js';
import { useCleanups } from '../helpers/cleanups.js';
import { runFaultScenario, type FaultContext } from '../helpers/fault-scenario.js';

const defer = useCleanups();
// 20 s at both scales, with a short busy timeout: a core that spends attempts on SQLITE_BUSY and
// then bisects reaches single rows within the lock (and dead-letters good ones) only if attempts
// are short and the lock long.
const LOCK_MS = 20_000;
const BUSY_TIMEOUT_MS = 100;

const dir = mkdtempSync(path.join(tmpdir(), 'bf-sqlite-faults-'));
const holders = new Set<ChildProcess>();
const killHolders = () => {
  for (const child of holders) child.kill('SIGKILL');
};
process.once('exit', () => {
  killHolders();
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => {
  killHolders();
  rmSync(dir, { recursive: true, force: true });
});

// The lock holder: a separate process, as another application or a migration would be. It exits
// by itself after HOLD_MS, so even an interrupted test never leaves the lock held for long.
const HOLDER = `
import Database from 'better-sqlite3';
const db = new Database(process.env.DB_FILE, { timeout: 5000 });
db.pragma('journal_mode = WAL');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
setTimeout(() => {
  db.exec('ROLLBACK');
  db.close();
  process.stdout.write('released\\n');
  process.exit(0);
}, Number(process.env.HOLD_MS));
`;

/** Spawns the holder and resolves once it holds the write lock; `released` resolves when it let go. */
async function holdWriteLock(file: string, holdMs: number): Promise<{ released: Promise<void> }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', HOLDER], {
    cwd: process.cwd(), // resolves better-sqlite3 from the project
    env: { ...process.env, DB_FILE: file, HOLD_MS: String(holdMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  holders.add(child);
  let out = '';
  let err = '';
  const released = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => {
      holders.delete(child);
      if (code === 0 && out.includes('released')) resolve();
      else reject(new Error(`lock holder exited ${code}: ${err}`));
    });
  });
  released.catch(() => {});
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lock holder did not lock within 10 s: ${err}`)), 10_000);
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('locked')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      if (!out.includes('locked')) reject(new Error(`lock holder exited before locking: ${err}`));
    });
  });
  return { released };
}

/** What a write by a third connection fails with right now (proves the lock is real), or 'ok'. */
function writeError(file: string): string {
  const db = new Database(file, { timeout: 0 });
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return 'ok';
  } catch (err) {
    return String((err as { code?: string }).code);
  } finally {
    db.close();
  }
}

describe('chaos: SQLite faults', () => {
  it(`another process holds the write lock (SQLITE_BUSY) past busyTimeoutMs for ${LOCK_MS / 1000} s`, async () => {
    const file = path.join(dir, 'lock.db');
    const table = 'rows_lock';
    const setup = new Database(file);
    setup.pragma('journal_mode = WAL');
    setup.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score INTEGER NOT NULL CHECK (score >= 0))`);
    setup.close();
    const reader = new Database(file, { readonly: true, timeout: 5000 });
    defer(() => reader.close());
    const schema = SQLSchema(table, 'update', { id: 'int64', name: 'string', score: 'int32' });
    let seen = '';

    await runFaultScenario({
      scenario: `sqlite write lock held by another process (SQLITE_BUSY, ${LOCK_MS / 1000} s, busyTimeoutMs ${BUSY_TIMEOUT_MS})`,
      label: 'sqlite_busy',
      schema,
      executor: () => new SqliteDriver({ filename: file, busyTimeoutMs: BUSY_TIMEOUT_MS }),
      // Poison: a negative score, refused by the CHECK constraint (SQLITE_CONSTRAINT_CHECK).
      row: (id, poison) => ({ id: BigInt(id), name: `row ${id}`, score: poison ? -1 : id % 1000 }),
      readKeys: async () => (reader.prepare(`SELECT id FROM ${table}`).all() as Array<{ id: number }>).map((r) => String(r.id)),
      expectBreakerOpen: true,
      async fault(ctx: FaultContext) {
        const { released } = await holdWriteLock(file, LOCK_MS);
        ctx.down();
        seen = writeError(file);
        await released;
        ctx.cleared();
      },
    });
    expect(seen, 'a third connection must get SQLITE_BUSY while the lock is held').toBe('SQLITE_BUSY');
  });
});
