import type { BenchSink, BenchSinkTarget } from './bench-sink.js';

export type { BenchSink, BenchSinkTarget, NaiveWriter, RawWriter } from './bench-sink.js';

/** The benchmark's view of one sink type: where it writes by default and how to load its bench sink. */
export interface BenchSinkEntry {
  /**
   * The database the benchmark writes to by default; `--<type>-url` overrides it. Absent for
   * sinks that need no URL of their own (SQLite writes files, the Redis sink uses `--redis-url`).
   */
  readonly defaultUrl?: string;
  /** Loads the bench sink factory (which may load the client library). */
  load(): Promise<(target: BenchSinkTarget) => BenchSink>;
}

/**
 * Bench sinks by sink type (the `type` of the sink's definition in `src/drivers/registry.ts`).
 * The benchmark lives outside the library, so a sink's bench adapter is listed here, not in its
 * definition: adding a sink to the benchmark is one file in this folder plus one line below.
 */
export const BENCH_SINKS: Readonly<Record<string, BenchSinkEntry>> = Object.freeze({
  postgres: { defaultUrl: 'postgres://postgres@127.0.0.1:5432/test', load: async () => (await import('./postgres-bench-sink.js')).postgresBenchSink },
  mysql: { defaultUrl: 'mysql://root@127.0.0.1:3306/test', load: async () => (await import('./mysql-bench-sink.js')).mysqlBenchSink },
  sqlite: { load: async () => (await import('./sqlite-bench-sink.js')).sqliteBenchSink },
  redis: { load: async () => (await import('./redis-bench-sink.js')).redisBenchSink },
});
