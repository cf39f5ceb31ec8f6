import type { Value } from '../../core/column-type.js';
import type { SQLSchema } from '../../core/schema.js';

/**
 * `Date` values as UTC text, written by the driver itself rather than by the client library
 * (PostgreSQL always, MySQL on a user's pool; the MySQL driver's own pool has mysql2 write the
 * same text with `timezone: 'Z'`). The client libraries format a `Date` in the *process's* local
 * zone unless told otherwise (mysql2's `timezone: 'local'` default, node-postgres always, in
 * whole minutes, so a historical offset such as −03:30:52 loses its seconds), so a worker in another zone
 * than its producers, or a user's pool with other settings, would shift every instant. UTC
 * text means the same instant whatever the process, pool or session zone: for a zone-less
 * column (`DATETIME`, PostgreSQL `timestamp`) it is the UTC wall time, for a zoned one the
 * instant (see docs on time zones).
 */

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `YYYY-MM-DD{sep}HH:MM:SS.mmm{end}` for a four-digit year. Hand-built like the codec's ISO
 * string: about a third of the time of `padStart` templates, which showed up at batch rates.
 */
function utcText(date: Date, year: number, sep: string, end: string): string {
  const day = `${year < 1000 ? pad(year, 4) : year}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
  return `${day}${sep}${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}.${pad3(date.getUTCMilliseconds())}${end}`;
}

/**
 * `YYYY-MM-DD HH:MM:SS.mmm` in UTC, MySQL's literal for `DATETIME(3)` and `TIMESTAMP(3)`.
 * A year MySQL cannot hold (outside 0–9999) gives a literal it rejects (errno 1292: bad data),
 * never a silently different date.
 */
export function mySqlUtcText(date: Date): string {
  const year = date.getUTCFullYear();
  return year >= 0 ? utcText(date, year, ' ', '') : `-${utcText(date, -year, ' ', '')}`;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` for PostgreSQL, with `BC` for years before 1 (JavaScript's year 0
 * is 1 BC) and more than four digits when needed (PostgreSQL takes years up to 294276).
 * `timestamptz` reads it as the instant; `timestamp` ignores the zone and keeps the UTC wall
 * time; neither depends on the session's `TimeZone`.
 */
export function postgresUtcText(date: Date): string {
  const year = date.getUTCFullYear();
  return year > 0 ? utcText(date, year, 'T', 'Z') : utcText(date, 1 - year, 'T', 'Z BC');
}

/** The columns that can hold a `Date`: a declared schema's `timestamp` columns, or every column of an untyped one. */
function dateColumns(schema: SQLSchema): number[] {
  return schema.types ? schema.types.flatMap((type, i) => (type.base === 'timestamp' ? [i] : [])) : schema.columns.map((_, i) => i);
}

/**
 * The rows with every `Date` replaced by `format(date)`; a row without one is passed through
 * as it is (no copy), and the rows themselves are never changed (they are the requests' values).
 */
export function datesAsText<R extends readonly Value[]>(schema: SQLSchema, rows: readonly R[], format: (date: Date) => string): (R | Value[])[] {
  const columns = dateColumns(schema);
  if (columns.length === 0) return [...rows];
  return rows.map((row) => {
    let copy: Value[] | undefined;
    for (const c of columns) {
      const value = row[c];
      if (value instanceof Date) (copy ??= [...row])[c] = format(value);
    }
    return copy ?? row;
  });
}

/**
 * Replaces, in place, every `Date` in column-major arrays the caller owns (built for array
 * binding) by `format(date)`: no row is copied.
 */
export function columnDatesAsText(schema: SQLSchema, columns: Value[][], format: (date: Date) => string): Value[][] {
  for (const c of dateColumns(schema)) {
    const column = columns[c];
    if (!column) continue;
    for (let r = 0; r < column.length; r++) {
      const value = column[r];
      if (value instanceof Date) column[r] = format(value);
    }
  }
  return columns;
}
