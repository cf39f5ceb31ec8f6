import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** PostgreSQL the tests talk to; PG_URL overrides the local default. */
export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A unique table name per test. */
export function uniqueTable(label: string): string {
  return `bft_${label}_${randomUUID().slice(0, 8)}`;
}

/** Runs one statement on a short-lived client. */
export async function pgQuery<T = Record<string, unknown>>(sql: string, values: unknown[] = [], url = PG_URL): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Row count of a table. */
export async function pgCount(table: string, url = PG_URL): Promise<number> {
  const [row] = await pgQuery<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`, [], url);
  return Number(row?.n ?? 0);
}
