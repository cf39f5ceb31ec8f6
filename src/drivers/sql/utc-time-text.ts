import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';

/**
 * `Date` values as UTC text, written by the driver itself rather than by the client library.
 * The client libraries format a `Date` in the *process's* local zone unless told otherwise
 * (mysql2's `timezone: 'local'` default, node-postgres always), so a worker in another zone
 * than its producers, or a user's pool with other settings, would shift every instant. UTC
 * text means the same instant whatever the process, pool or session zone: for a zone-less
 * column (`DATETIME`, PostgreSQL `timestamp`) it is the UTC wall time, for a zoned one the
 * instant (see docs on time zones).
 */

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function clock(date: Date): string {
  return `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${pad(date.getUTCMilliseconds(), 3)}`;
}

/**
 * `YYYY-MM-DD HH:MM:SS.mmm` in UTC, MySQL's literal for `DATETIME(3)` and `TIMESTAMP(3)`.
 * A year MySQL cannot hold (outside 0–9999) gives a literal it rejects (errno 1292: bad data),
 * never a silently different date.
 */
export function mySqlUtcText(date: Date): string {
  const year = date.getUTCFullYear();
  const y = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  return `${y}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)} ${clock(date)}`;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` for PostgreSQL, with `BC` for years before 1 (JavaScript's year 0
 * is 1 BC) and more than four digits when needed (PostgreSQL takes years up to 294276).
 * `timestamptz` reads it as the instant; `timestamp` ignores the zone and keeps the UTC wall
 * time; neither depends on the session's `TimeZone`.
 */
export function postgresUtcText(date: Date): string {
  const year = date.getUTCFullYear();
  const day = `${pad(year > 0 ? year : 1 - year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
  return `${day}T${clock(date)}Z${year > 0 ? '' : ' BC'}`;
}

/**
 * The rows with every `Date` replaced by `format(date)`; rows without one are passed through
 * unchanged (no copy). A declared schema without a `timestamp` column skips the scan.
 */
export function datesAsText<R extends readonly Value[]>(schema: SQLSchema, rows: readonly R[], format: (date: Date) => string): (R | Value[])[] {
  if (schema.types && !schema.types.some((type) => type.base === 'timestamp')) return [...rows];
  return rows.map((row) => (row.some((value) => value instanceof Date) ? row.map((value) => (value instanceof Date ? format(value) : value)) : row));
}
