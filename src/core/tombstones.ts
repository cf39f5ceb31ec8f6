import { SchemaDefinitionError } from '../errors/schema-definition-error.js';
import { assertTableName, isTableName } from './identifier.js';
import type { RowVersion } from './row-version.js';

/** Options of a versioned SQL schema's delete tombstones (part of `SQLSchemaOptions`). */
export interface TombstoneOptions {
  /**
   * With a `versionColumn`, `true` makes every delete leave a tombstone (its key and version) in a
   * side table, `<table>_bf_tombstones` (created on the first batch), and checks every batch's
   * upserts against it in the same transaction: an upsert older than a tombstone of its key is
   * removed again, so a late redelivery of an older write cannot resurrect a deleted row. `false`
   * accepts deletes without it (a delete only removes the row, and an older write arriving after
   * it brings the row back). Left unset, a versioned schema refuses deletes, so that choice is
   * made knowingly; schemas that never delete pay nothing. Not allowed without a `versionColumn`.
   * @defaultValue unset: no tombstones, and deletes refused on a versioned schema
   */
  tombstones?: boolean;
  /**
   * How long a tombstone is kept, in milliseconds, before it is pruned. An older write of the key
   * that arrives later than this after the delete is no longer recognised as older and brings the
   * row back, so set it above the longest delay a request can have in the queue (backlog,
   * sink outage, DLQ replay).
   * @defaultValue 604,800,000 (7 days)
   */
  tombstoneRetentionMs?: number;
}

/** A schema's tombstones: the side table and the retention. */
export interface Tombstones {
  readonly table: string;
  readonly retentionMs: number;
}

/** Defaults of {@link TombstoneOptions}. */
export const TOMBSTONE_DEFAULTS = Object.freeze({
  /** 7 days: far above BullMQ's own redelivery delays (stalled-job checks every 30 s, retries with capped backoff); see docs "Deletes". */
  tombstoneRetentionMs: 7 * 24 * 60 * 60 * 1000,
});

/** The tombstone table's suffix (appended to the table name, same namespace). */
export const TOMBSTONE_SUFFIX = '_bf_tombstones';

/**
 * Resolves and validates a SQL schema's tombstone options: the tombstones, `false` when a versioned
 * schema takes deletes without them, undefined otherwise.
 */
export function tombstonesOf(table: string, version: RowVersion | undefined, options: TombstoneOptions): Tombstones | false | undefined {
  const retentionMs = options.tombstoneRetentionMs ?? TOMBSTONE_DEFAULTS.tombstoneRetentionMs;
  if (!Number.isSafeInteger(retentionMs) || retentionMs <= 0) {
    throw new SchemaDefinitionError(`table "${table}": tombstoneRetentionMs must be a positive integer, got ${String(options.tombstoneRetentionMs)}`);
  }
  if (options.tombstones === true && !version) throw new SchemaDefinitionError(`table "${table}": tombstones need a versionColumn`);
  if (!version || options.tombstones === undefined) return undefined;
  if (options.tombstones === false) return false;
  const tombstoneTable = table + TOMBSTONE_SUFFIX;
  if (!isTableName(tombstoneTable)) throw new SchemaDefinitionError(`table "${table}": its tombstone table name ${tombstoneTable} is too long (63 characters per part)`);
  assertTableName(tombstoneTable);
  return Object.freeze({ table: tombstoneTable, retentionMs });
}
