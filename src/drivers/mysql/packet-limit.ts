import type { Value } from '../../core/column-type.js';
import { SinkError } from '../../errors/sink-error.js';
import { field, resultRows, type MySqlQuery } from './unique-indexes.js';

/**
 * MySQL/MariaDB refuse any statement larger than `max_allowed_packet` (errno 1153, and the server
 * drops the connection). The driver reads the limit once per pool (`SELECT @@max_allowed_packet`)
 * and uses it twice: statements are chunked under it, and a row that could never fit is refused
 * before anything is sent, with a `non_retryable` error naming the limit, so bisection
 * dead-letters that row alone while its neighbours commit.
 */

/** Bytes a statement needs besides its rows' values (INSERT, column list, ON DUPLICATE KEY …), kept free (at most a quarter of the packet). */
export const STATEMENT_OVERHEAD_BYTES = 16 * 1024;

function overhead(maxPacket: number): number {
  return Math.min(STATEMENT_OVERHEAD_BYTES, Math.floor(maxPacket / 4));
}

/** SQLSTATE-less code the refusal carries: the server's own errno for the same condition (ER_NET_PACKET_TOO_LARGE). */
export const PACKET_TOO_LARGE = '1153';

/** `SELECT @@max_allowed_packet AS max_allowed_packet`: the session's (and so the statement's) limit in bytes. */
export const MYSQL_MAX_PACKET_SQL = 'SELECT @@max_allowed_packet AS max_allowed_packet';

// Characters mysql2 escapes with a backslash: NUL, \b, \t, \n, \r, \x1a, quotes, backslash.
// eslint-disable-next-line no-control-regex -- the control characters are exactly what is counted
const ESCAPED = /[\0\b\t\n\r\x1a"'\\]/g;

/** The exact size of a row as mysql2 writes it into `VALUES (…)`: UTF-8 bytes plus escapes, quotes and separators. */
export function rowLiteralBytes(row: readonly Value[]): number {
  let bytes = 2 + row.length;
  for (const value of row) {
    if (typeof value === 'string') bytes += Buffer.byteLength(value, 'utf8') + (value.match(ESCAPED)?.length ?? 0) + 2;
    else if (value instanceof Uint8Array) bytes += value.byteLength * 2 + 3; // X'…'
    else bytes += 40; // numbers, dates, booleans, NULL: short literals
  }
  return bytes;
}

/**
 * Throws a `non_retryable` {@link SinkError} (code 1153) when one of `rows` cannot fit a statement
 * under `maxPacket`, whatever the chunking: the batch fails before anything is sent, and bisection
 * isolates that row. Only long string and binary values are measured exactly; a cheap upper bound
 * clears every other row.
 */
export function refuseOversizedRows(sink: string, rows: readonly (readonly Value[])[], maxPacket: number): void {
  const budget = maxPacket - overhead(maxPacket);
  for (const row of rows) {
    if (upperBoundBytes(row) <= budget) continue;
    const bytes = rowLiteralBytes(row);
    if (bytes > budget) {
      throw new SinkError('non_retryable', `${sink}: a row of ${bytes} bytes cannot fit the server's max_allowed_packet (${maxPacket} bytes) in any statement`, {
        sinkCode: PACKET_TOO_LARGE,
      });
    }
  }
}

/** A bound no row's literal exceeds: every UTF-16 unit as 3 bytes (an escaped ASCII character takes 2). */
function upperBoundBytes(row: readonly Value[]): number {
  let bytes = 2 + row.length;
  for (const value of row) {
    if (typeof value === 'string') bytes += value.length * 3 + 2;
    else if (value instanceof Uint8Array) bytes += value.byteLength * 2 + 3;
    else bytes += 40;
  }
  return bytes;
}

/** The statement budget under a packet limit: the configured one, or the packet less the overhead if smaller. */
export function statementBudget(maxStatementBytes: number, maxPacket: number | undefined): number {
  if (maxPacket === undefined) return maxStatementBytes;
  return Math.max(1, Math.min(maxStatementBytes, maxPacket - overhead(maxPacket)));
}

/** The session's `max_allowed_packet` in bytes (MariaDB's own default, 16 MiB, should the answer be unreadable). */
export async function readMaxPacket(query: MySqlQuery): Promise<number> {
  const value = Number(field(resultRows(await query(MYSQL_MAX_PACKET_SQL))[0] ?? {}, 'max_allowed_packet', 0));
  return Number.isSafeInteger(value) && value > 0 ? value : 16 * 1024 * 1024;
}

/** The server's `max_allowed_packet`, read on a driver's first batch and kept. */
export class ServerPacketLimit {
  #bytes: number | undefined;

  /** The limit in bytes; read on the batch's connection the first time. */
  async read(query: MySqlQuery): Promise<number> {
    return (this.#bytes ??= await readMaxPacket(query));
  }
}
