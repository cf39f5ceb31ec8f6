import type { HotKeyMeasurements } from './scenarios/hot-keys.js';
import type { DeleteMeasurements } from './scenarios/deletes.js';
import type { TracingMeasurements } from './scenarios/tracing.js';
import type { SchemasMeasurements } from './scenarios/schemas.js';
import type { NetworkMeasurements } from './scenarios/network.js';
import type { WideMeasurements } from './scenarios/wide.js';
import type { SinkName } from './options.js';

/** The scenarios of one run. */
export type ScenarioKind =
  | 'bullmq-noop' // (b) BullMQ ceiling: standard Worker, no-op processor
  | 'naive' // (a) BullMQ worker, one INSERT / command per job
  | 'raw' // (c) fastest direct bulk insert, no queue
  | 'batchflow-one-job' // BatchFlow end to end, one job per request
  | 'batchflow-packing' // BatchFlow end to end, producer packing on
  | 'exactly-once' // batchflow-packing with delivery: 'exactly-once' (the ledger's cost), SQL sinks
  | 'latency' // BatchFlow, paced producer at half the one-job throughput
  | 'defaults' // BatchFlow with nothing tuned (adaptive packing), 64 concurrent single submits: the headline
  | 'pg-queue' // the defaults scenario with the queues on PostgreSQL (BullMQ's PostgreSQL backend), postgres sink
  | 'pg-queue-drain' // the drain scenario with the queues on PostgreSQL, postgres sink
  | 'pg-queue-naive' // naive worker (one INSERT per job) on the same PostgreSQL queue
  | 'drain' // default consumer draining a queue filled beforehand, alone
  | 'flood' // default producer at full speed while the default consumer drains
  | 'latency-sequential' // one submit in flight at a time, packing default vs off
  | 'flush-sweep' // drain at one fixed flushSize (250 … 5000) or 'auto' (opt-in: --scenarios flush-sweep)
  | 'flush-sweep-latency' // latency at ~50% load, flushSize 'auto' vs the default (part of flush-sweep)
  | 'cluster' // defaults on a private Redis Cluster, one schema with 1, 2 or 4 partitions (opt-in)
  | 'deletes' // a default consumer draining upserts only, then upserts mixed with deletes (SQL sinks)
  | 'tracing' // BatchFlow on SQLite in fresh processes: @opentelemetry/api absent, tracing off, tracing on
  | 'schemas' // one worker process with 50 default consumers: idle CPU, Redis connections, RSS, p99 at a low rate
  | 'hot-keys' // 3 default worker processes upserting over 2,000 keys (uniform, Zipf) vs unique keys, PostgreSQL and MySQL
  | 'network' // raw, naive, defaults and drain through a delay proxy in front of the database (PostgreSQL, MySQL)
  | 'wide' // 20-column ~2 KB rows: raw write, then a default consumer draining them (PostgreSQL, MySQL)
  | 'rss'; // BatchFlow, worker RSS after 100k and 1M rows

/** Submit→commit (and submit→stored) latency of sequential submits, per packing mode. */
export interface SequentialLatencyMode {
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The `submit()` promise alone: until Redis stored the job. */
  readonly storedP50Ms: number;
  readonly storedP99Ms: number;
  readonly samples: number;
}

/** The sequential-latency scenario's two modes, measured in alternating phases. */
export interface SequentialLatency {
  readonly packingDefault: SequentialLatencyMode;
  readonly packingOff: SequentialLatencyMode;
}

/** The consumer's memory when it had committed `rows` rows: RSS, and the V8 heap in use (what a leak would grow). */
export interface MemoryMark {
  readonly rows: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

/** What the consumer process measured about itself. */
export interface ConsumerMeasurements {
  readonly maxRssBytes: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly deadLettered: number;
  readonly errors: string[];
}

/** Submit→commit latency under a paced load. */
export interface LatencyMeasurements {
  /** Requests per second the producer aimed at (half the one-job-per-request throughput). */
  readonly targetRate: number;
  readonly achievedRate: number;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** One master's share of a cluster scenario, from `INFO cpu` and `INFO commandstats` before and after. */
export interface ClusterMasterShare {
  /** `127.0.0.1:<port>` of the master. */
  readonly node: string;
  /** The schema's partition queues whose slot this master serves. */
  readonly queues: string[];
  /** used_cpu_user + used_cpu_sys over the run, in seconds. */
  readonly cpuSeconds: number;
  /** That CPU in µs per row submitted. */
  readonly cpuMicrosPerRow: number;
  /** Commands called on this master over the run, and their share of all masters' calls (0–1). */
  readonly calls: number;
  readonly callShare: number;
}

/** What the cluster scenario measured per master. */
export interface ClusterMeasurements {
  readonly partitions: number;
  /** Jobs the producer added over all partitions (BullMQ's id counters): rows ÷ jobs is the packing it reached. */
  readonly jobs: number;
  readonly masters: ClusterMasterShare[];
}

/** One scenario's outcome; every number comes from this run. */
export interface ScenarioResult {
  readonly kind: ScenarioKind;
  /** Null for the sink-independent BullMQ ceiling. */
  readonly sink: SinkName | null;
  readonly description: string;
  readonly rowsSubmitted: number;
  /** Rows found in the sink afterwards (or jobs completed, for the no-op worker). */
  readonly rowsVerified: number;
  readonly verifiedBy: string;
  /** First submit to last commit. */
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** When the producer's last submit resolved, from the first (queue scenarios). */
  readonly enqueueSeconds?: number;
  /** CPU time of the producer process (this one) over the same span. */
  readonly producerCpuSeconds?: number;
  /** Share of all the machine's cores busy over the same span (0–1), whoever used them. */
  readonly machineCpuBusy?: number;
  /** CPU time the Redis server used from the first submit to the last commit (every client's, not only ours). */
  readonly redisCpuSeconds?: number;
  readonly consumer?: ConsumerMeasurements;
  /**
   * Redis `used_memory` before the producer started, and after the queue drained, the consumer
   * closed and the scenario's own output was deleted (the Redis sink's hash is output, not queue memory).
   */
  readonly redisMemory?: RedisMemoryLeft;
  readonly latency?: LatencyMeasurements;
  readonly sequential?: SequentialLatency;
  /** Flood: rows the consumer committed while the producer was still submitting, and that rate. */
  readonly flood?: { readonly rowsDuringFlood: number; readonly consumerRowsPerSecondDuringFlood: number };
  readonly rssAtMarks?: MemoryMark[];
  /** The consumer's `flushSize` when the scenario sets one (the flush sweep). */
  readonly flushSize?: number | 'auto';
  /** The flush sizes the consumer reported: first, largest, last, and the number of changes. */
  readonly flushSizes?: { readonly first: number; readonly max: number; readonly last: number; readonly changes: number };
  readonly cluster?: ClusterMeasurements;
  /** Hot keys: the distribution, deadlock retries and the ratio to the unique-key run. */
  readonly hotKeys?: HotKeyMeasurements;
  /** The deletes scenario's mix and its rate against the upsert-only run. */
  readonly deletes?: DeleteMeasurements;
  /** The tracing scenario's three modes. */
  readonly tracing?: TracingMeasurements;
  /** The many-schemas scenario's idle cost and latency. */
  readonly schemas?: SchemasMeasurements;
  /** The network scenario's mode, the proxy's delay and the ratio to raw through it. */
  readonly network?: NetworkMeasurements;
  /** The wide scenario's mode, row width, MB/s and the drain's ratio to the raw write. */
  readonly wide?: WideMeasurements;
  /** Set when the scenario failed; its numbers are then zero. */
  readonly error?: string;
}

/** One target from the issue, judged on this run's numbers. */
export interface TargetVerdict {
  readonly target: string;
  readonly sink: SinkName | null;
  /** Measured ratio (or value) and the bound it is compared with. */
  readonly measured: number | null;
  readonly bound: string;
  /** `not judged` in quick mode: too few rows for the numbers to mean anything. */
  readonly verdict: 'met' | 'missed' | 'not measured' | 'not judged';
  readonly detail: string;
}

/** Where and how the run happened. */
export interface RunEnvironment {
  readonly startedAt: string;
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryTotalBytes: number;
  readonly loadAverageBefore: number[];
  readonly loadAverageAfter: number[];
  readonly servers: Record<string, string>;
}

/** Everything a run produced; written as `latest.json`. */
export interface BenchResult {
  readonly options: Record<string, unknown>;
  readonly environment: RunEnvironment;
  readonly scenarios: ScenarioResult[];
  readonly targets: TargetVerdict[];
  /** True when every scenario's verified rows equal its submitted rows. */
  readonly allVerified: boolean;
  readonly totalSeconds: number;
}

/**
 * What a scenario left in Redis, summarised: the count and bytes of its keys, and the largest few.
 * (A per-key dump made each flush-sweep result ~110,000 lines; the summary is what the report needs.)
 */
export interface RedisMemoryLeft {
  readonly beforeBytes: number;
  readonly afterBytes: number;
  /** Keys left under the scenario's prefix, and their `MEMORY USAGE` in total. */
  readonly leftKeyCount: number;
  readonly leftKeyBytes: number;
  /** Of those bytes, the queues' events streams (BullMQ caps each). */
  readonly eventsStreamBytes: number;
  /** The largest keys left, at most {@link LARGEST_KEYS_KEPT}, largest first. */
  readonly largestKeys: ReadonlyArray<{ key: string; bytes: number }>;
}

/** How many of the largest leftover keys a result keeps. */
export const LARGEST_KEYS_KEPT = 5;

/** Summarises the keys a scenario left (sorted largest first by the admin). */
export function summarizeLeftKeys(beforeBytes: number, afterBytes: number, keys: ReadonlyArray<{ key: string; bytes: number }>): RedisMemoryLeft {
  const sorted = [...keys].sort((a, b) => b.bytes - a.bytes);
  return { beforeBytes, afterBytes, leftKeyCount: keys.length, leftKeyBytes: keys.reduce((sum, k) => sum + k.bytes, 0), eventsStreamBytes: keys.filter((k) => k.key.endsWith(':events')).reduce((sum, k) => sum + k.bytes, 0), largestKeys: sorted.slice(0, LARGEST_KEYS_KEPT) };
}
