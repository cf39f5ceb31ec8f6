import { randomUUID } from 'node:crypto';
import { PG_URL, pgQuery } from './pg.js';
import { PrivateMariaDb } from './private-mariadb.js';

/** The zone of the PostgreSQL database made by {@link nonUtcPostgres}: DST, and 5 hours off UTC. */
export const PG_SERVER_ZONE = 'America/New_York';
/** The offset of the MariaDB started by {@link nonUtcMariaDb}. */
export const MARIADB_SERVER_ZONE = '+05:30';

/**
 * A database of its own on the shared PostgreSQL whose sessions default to {@link PG_SERVER_ZONE}
 * (`ALTER DATABASE … SET TimeZone`): the shared server's own settings are left alone. `drop()`
 * removes it (with any session still in it).
 */
export async function nonUtcPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bf_tz_${randomUUID().slice(0, 8)}`;
  await pgQuery(`CREATE DATABASE ${name}`);
  await pgQuery(`ALTER DATABASE ${name} SET TimeZone = '${PG_SERVER_ZONE}'`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: async () => void (await pgQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

/**
 * A private MariaDB started with `--default-time-zone='+05:30'`, and a `sql_mode` without
 * `STRICT_TRANS_TABLES` (a server configured like that stores a value too long truncated, with
 * only a warning). Call `remove()` when done.
 */
export function nonUtcMariaDb(): Promise<PrivateMariaDb> {
  return PrivateMariaDb.create({ args: [`--default-time-zone=${MARIADB_SERVER_ZONE}`, '--sql-mode=NO_ENGINE_SUBSTITUTION'] });
}
