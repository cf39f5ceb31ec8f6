// The SQL conformance suites run against every dialect in the sink registry that has a
// conformance adapter in test/conformance/ (one file per dialect, listed in its index).
import { sinkDefinitions } from '../../src/drivers/registry.js';
import { CONFORMANCE, type DialectAdapter } from '../conformance/index.js';

export type { ColumnSpec, DialectAdapter, ReadRow } from '../conformance/index.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/** The conformance adapter of every registered sink that has one, in registry order. */
export async function conformanceDialects(): Promise<DialectAdapter[]> {
  const withConformance = sinkDefinitions().flatMap((d) => (CONFORMANCE[d.type] ? [CONFORMANCE[d.type]!] : []));
  return Promise.all(withConformance.map(async (c) => (await c.load())(c.defaultUrl)));
}

/** The adapter of one dialect by sink type. */
export async function dialect(type: string): Promise<DialectAdapter> {
  const conformance = CONFORMANCE[type];
  if (!conformance) throw new Error(`no conformance dialect for sink type "${type}"`);
  return (await conformance.load())(conformance.defaultUrl);
}

/** A short, unique, valid table name for one test. */
export function uniqueTable(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}
