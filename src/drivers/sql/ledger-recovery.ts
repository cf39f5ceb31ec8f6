import { SinkError } from '../../errors/sink-error.js';

/**
 * Runs one batch write of an exactly-once schema, and recovers from a ledger table that was
 * dropped while the worker ran: the driver caches that it created the ledger, so without this
 * every later batch (and every probe of the held schema) would fail on the missing table until a
 * restart. When the write fails with the dialect's missing-table code (`missingTable`, by code:
 * PostgreSQL 42P01, MySQL 1146, SQLite `SQLITE_ERROR` confirmed by the catalog), the cache is
 * dropped, the ledger re-created (`CREATE TABLE IF NOT EXISTS`) and the batch written once more.
 * The failed attempt rolled back, so the second one starts clean. If the missing table was the
 * data table, the second attempt fails the same way and that error is the one reported.
 *
 * A re-created ledger is empty: see docs "exactly-once" for what that means for duplicates.
 */
export async function writeWithLedgerRecovery(write: () => Promise<void>, missingTable: (err: SinkError) => boolean | Promise<boolean>, recreate: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!(err instanceof SinkError) || !(await missingTable(err))) throw err;
    await recreate();
    await write();
  }
}
