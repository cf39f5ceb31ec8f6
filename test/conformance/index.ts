// The SQL conformance adapters, one per dialect, by sink type. They are test harness, so they
// live here and not in the library's driver folders; a new SQL sink adds its adapter file here
// and one line below, and the shared suites (test/integration/sql-*conformance*.test.ts) run it.
import type { DialectAdapter } from './conformance-dialect.js';

export type { ColumnSpec, DialectAdapter, ReadRow } from './conformance-dialect.js';

/** One dialect's conformance adapter: its test database and how to load the adapter factory. */
export interface ConformanceEntry {
  /** The test database (the local service), unless the suite is given another. */
  readonly defaultUrl?: string;
  /** Loads the dialect adapter factory (which loads the client library). */
  load(): Promise<(url: string | undefined) => DialectAdapter>;
}

/** Conformance adapters by sink type, in the order the suites run them. */
export const CONFORMANCE: Readonly<Record<string, ConformanceEntry>> = Object.freeze({
  postgres: { defaultUrl: 'postgres://postgres@127.0.0.1:5432/test', load: async () => (await import('./postgres-conformance.js')).postgresConformance },
  mysql: { defaultUrl: 'mysql://root@127.0.0.1:3306/test', load: async () => (await import('./mysql-conformance.js')).mysqlConformance },
  sqlite: { load: async () => (await import('./sqlite-conformance.js')).sqliteConformance },
});
