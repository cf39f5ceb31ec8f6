import type { DeliveryGuarantee, Schema } from '../src/index.js';
import { BENCH_SINKS, type BenchSink } from './sinks/index.js';

export type { BenchSink, NaiveWriter, RawWriter } from './sinks/index.js';

/** Where the bench sinks write (plain JSON: it is handed to the consumer child). */
export interface SinkUrls {
  /** Redis for the queues, and the Redis sink's server. */
  readonly redisUrl: string;
  /** Database URL per sink type (`BenchOptions.sinkUrls`). */
  readonly sinkUrls: Readonly<Record<string, string>>;
  /** Directory for SQLite database files. */
  readonly dir: string;
}

/** The {@link BenchSink} of a sink type, from `bench/sinks/` (loaded only now). */
export async function createSink(name: string, urls: SinkUrls): Promise<BenchSink> {
  const bench = BENCH_SINKS[name];
  if (!bench) throw new Error(`the benchmark has no sink "${name}"`);
  const factory = await bench.load();
  return factory({ url: urls.sinkUrls[name] ?? bench.defaultUrl, redisUrl: urls.redisUrl, dir: urls.dir });
}

/**
 * The sink's schema for `target`, spread over `partitions` queues (docs/guides/partitions-and-cluster.md). A schema
 * is a frozen plain object whose queues and routing follow from its `partitions` field alone.
 */
export function partitionedSchema(sink: BenchSink, target: string, partitions: number, delivery?: DeliveryGuarantee): Schema {
  const schema = sink.schema(target, delivery);
  return partitions === 1 ? schema : Object.freeze({ ...schema, partitions });
}
