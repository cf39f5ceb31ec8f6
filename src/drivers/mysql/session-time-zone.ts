import { SinkError } from '../../errors/sink-error.js';
import { field, resultRows, type MySqlQuery } from './unique-indexes.js';

/**
 * What every connection of the driver's own pool runs once, right after connecting:
 * - `time_zone = '+00:00'`: MySQL converts a `TIMESTAMP` literal *from the session zone* to UTC,
 *   so on a server started with `--default-time-zone='+05:30'` the driver's UTC text would be
 *   stored 5½ hours off. `DATETIME` is never converted, so UTC text is its UTC wall time either way.
 * - `STRICT_TRANS_TABLES` added to `sql_mode`: without it a value too long, an unknown enum
 *   label or a malformed number is stored truncated or as a default with only a warning, so bad
 *   data would be written instead of failing and reaching the dead-letter queue.
 */
export const MYSQL_SESSION_SETUP_SQL =
  "SET time_zone = '+00:00', sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_TRANS_TABLES')";

/**
 * Reads the session's zone and whether it is UTC, by how it reads two wall times: one in
 * January and one in July, so a zone that is UTC only in winter (Europe/London) is caught.
 */
const SESSION_ZONE_SQL =
  "SELECT @@SESSION.time_zone AS zone, @@system_time_zone AS system_zone, UNIX_TIMESTAMP('2001-01-01 00:00:00') AS jan, UNIX_TIMESTAMP('2001-07-01 00:00:00') AS jul";

/** Seconds since the epoch of 2001-01-01 and 2001-07-01, 00:00 UTC. */
const UTC_JAN = 978_307_200;
const UTC_JUL = 993_945_600;

/**
 * Checks that a connection of the user's own pool reads `TIMESTAMP` literals as UTC, and
 * rejects when it does not: the driver writes UTC text, which such a session would shift by
 * its offset, silently. The rejection is reason `schema` (the sink's setup is wrong, no request
 * is at fault), so the batch is held, never dead-lettered, until the pool is fixed.
 */
export async function checkSessionTimeZone(query: MySqlQuery, sink: string): Promise<void> {
  const [row] = resultRows(await query(SESSION_ZONE_SQL, []));
  if (!row) return;
  if (Number(field(row, 'jan', 2)) === UTC_JAN && Number(field(row, 'jul', 3)) === UTC_JUL) return;
  const zone = String(field(row, 'zone', 0));
  const shown = zone === 'SYSTEM' ? `SYSTEM (${String(field(row, 'system_zone', 1))})` : zone;
  throw new SinkError(
    'schema',
    `${sink}: the session time zone of your pool is ${shown}, not UTC: TIMESTAMP columns would store every instant shifted by its offset. ` +
      "Run SET time_zone = '+00:00' on each new connection of the pool (see the driver's `pool` option), or let the driver open its own pool",
  );
}
