// The SQL conformance suites run against every dialect in the sink registry: each SQL driver
// folder's definition carries a `conformance` adapter (src/drivers/<db>/conformance.ts).
import { findSink, sinkDefinitions } from '../../src/drivers/registry.js';
import type { DialectAdapter } from '../../src/drivers/sql/conformance-dialect.js';

export type { ColumnSpec, DialectAdapter, ReadRow } from '../../src/drivers/sql/conformance-dialect.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/** The conformance adapter of every registered sink that has one, in registry order. */
export async function conformanceDialects(): Promise<DialectAdapter[]> {
  const withConformance = sinkDefinitions().flatMap((d) => (d.conformance ? [d.conformance] : []));
  return Promise.all(withConformance.map(async (c) => (await c.load())(c.defaultUrl)));
}

/** The adapter of one dialect by sink type. */
export async function dialect(type: string): Promise<DialectAdapter> {
  const conformance = findSink(type)?.conformance;
  if (!conformance) throw new Error(`no conformance dialect for sink type "${type}"`);
  return (await conformance.load())(conformance.defaultUrl);
}

/** A short, unique, valid table name for one test. */
export function uniqueTable(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}
