import { InvalidArgumentError, type Command } from 'commander';

/** The sinks the benchmark knows. */
export const SINK_NAMES = ['postgres', 'mysql', 'sqlite', 'redis'] as const;
/** One of {@link SINK_NAMES}. */
export type SinkName = (typeof SINK_NAMES)[number];

/** Scenarios `--scenarios` can pick (the RSS run has its own flag, `--rss`). */
export const SCENARIO_NAMES = ['bullmq-noop', 'raw', 'naive', 'batchflow-one-job', 'batchflow-packing', 'latency'] as const;
/** One of {@link SCENARIO_NAMES}. */
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Options of {@link runBench}; every field has a default in {@link BENCH_DEFAULTS}. */
export interface BenchOptions {
  /** Small, fast smoke run (CI): few rows, short latency phase; targets are printed but not judged. @defaultValue false */
  quick: boolean;
  /** Rows (or jobs) per scenario. @defaultValue 200000, or 3000 with `quick` */
  rows: number;
  /**
   * BatchConsumer `flushSize` for the BatchFlow scenarios: its own default. Measured side by side
   * against 250 and 1000: one-job-per-request throughput alike; 1000 doubles p99 latency at half
   * load (the Worker then holds 3,000 jobs); 250 loses 20–35% of the packing throughput.
   * @defaultValue 500
   */
  flushSize: number;
  /** BatchConsumer `flushIntervalMs`; also the latency target's base. @defaultValue 1000 */
  flushIntervalMs: number;
  /** Requests per job in the producer-packing scenario. @defaultValue 100 */
  packing: number;
  /** Sinks to run, in order. @defaultValue all of {@link SINK_NAMES} */
  sinks: SinkName[];
  /** Scenarios to run (latency needs `batchflow-one-job` for its rate). @defaultValue all of {@link SCENARIO_NAMES} */
  scenarios: ScenarioName[];
  /** Directory for `latest.json` and `latest.md`. @defaultValue `bench/results` */
  out: string;
  /**
   * Also measure worker RSS after 100,000 and 1,000,000 rows (with producer packing: about 15 s,
   * so the full run includes it). @defaultValue true, or false with `quick`
   */
  rss: boolean;
  /** Seconds the paced producer runs in the latency scenario. @defaultValue 15, or 3 with `quick` */
  latencySeconds: number;
  /** Write V8 CPU profiles of the consumer child processes into this directory. @defaultValue none */
  cpuProfDir: string | undefined;
  /** Redis URL for queues and the Redis sink. @defaultValue `redis://127.0.0.1:6379` */
  redisUrl: string;
  /** PostgreSQL connection string. @defaultValue `postgres://postgres@127.0.0.1:5432/test` */
  postgresUrl: string;
  /** MariaDB/MySQL connection string. @defaultValue `mysql://root@127.0.0.1:3306/test` */
  mysqlUrl: string;
}

/** Defaults of {@link BenchOptions} (quick mode overrides `rows` and `latencySeconds`). */
export const BENCH_DEFAULTS: Readonly<BenchOptions> = Object.freeze({
  quick: false,
  rows: 200_000,
  flushSize: 500,
  flushIntervalMs: 1000,
  packing: 100,
  sinks: [...SINK_NAMES],
  scenarios: [...SCENARIO_NAMES],
  out: 'bench/results',
  rss: true,
  latencySeconds: 15,
  cpuProfDir: undefined,
  redisUrl: 'redis://127.0.0.1:6379',
  postgresUrl: 'postgres://postgres@127.0.0.1:5432/test',
  mysqlUrl: 'mysql://root@127.0.0.1:3306/test',
});

/** What `--quick` changes, unless the flag for it is given explicitly. */
export const QUICK_OVERRIDES = Object.freeze({ rows: 3000, latencySeconds: 3, rss: false });

/** Fills in defaults (quick-mode ones first) for options a caller left out. */
export function resolveBenchOptions(given: Partial<BenchOptions>): BenchOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<BenchOptions>;
  const quick = defined.quick ? QUICK_OVERRIDES : {};
  return { ...BENCH_DEFAULTS, sinks: [...BENCH_DEFAULTS.sinks], scenarios: [...BENCH_DEFAULTS.scenarios], ...quick, ...defined };
}

function positiveInt(value: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** A parser for a comma-separated list of names out of `known`. */
function listOf<T extends string>(what: string, known: readonly T[]): (value: string) => T[] {
  return (value) => {
    const names = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const name of names) {
      if (!(known as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown ${what} "${name}" (known: ${known.join(', ')})`);
    }
    if (names.length === 0) throw new InvalidArgumentError(`name at least one ${what}`);
    return names as T[];
  };
}

/**
 * Registers the benchmark's flags on a commander command, so `bench/main.ts` and the
 * `batchflow bench` subcommand accept exactly the same options. Defaults are left to
 * {@link resolveBenchOptions} so that `--quick` can change them.
 */
export function addBenchOptions(command: Command): Command {
  return command
    .option('--quick', `smoke run: ${QUICK_OVERRIDES.rows} rows per scenario, targets not judged`)
    .option('--rows <n>', `rows per scenario (default ${BENCH_DEFAULTS.rows})`, positiveInt)
    .option('--flush-size <n>', `BatchConsumer flushSize (default ${BENCH_DEFAULTS.flushSize})`, positiveInt)
    .option('--flush-interval-ms <n>', `BatchConsumer flushIntervalMs (default ${BENCH_DEFAULTS.flushIntervalMs})`, positiveInt)
    .option('--packing <n>', `requests per job with producer packing (default ${BENCH_DEFAULTS.packing})`, positiveInt)
    .option('--sinks <list>', `comma-separated sinks (default ${SINK_NAMES.join(',')})`, listOf('sink', SINK_NAMES))
    .option('--scenarios <list>', `comma-separated scenarios (default ${SCENARIO_NAMES.join(',')})`, listOf('scenario', SCENARIO_NAMES))
    .option('--out <dir>', `result directory (default ${BENCH_DEFAULTS.out})`)
    .option('--rss', 'report worker RSS after 100,000 and 1,000,000 rows (default on, off with --quick)')
    .option('--no-rss', 'skip the 1,000,000-row RSS run')
    .option('--latency-seconds <n>', `paced-producer duration (default ${BENCH_DEFAULTS.latencySeconds})`, positiveInt)
    .option('--cpu-prof-dir <dir>', 'write CPU profiles of the consumer processes here')
    .option('--redis-url <url>', `Redis for queues and the Redis sink (default ${BENCH_DEFAULTS.redisUrl})`)
    .option('--postgres-url <url>', `PostgreSQL (default ${BENCH_DEFAULTS.postgresUrl})`)
    .option('--mysql-url <url>', `MariaDB/MySQL (default ${BENCH_DEFAULTS.mysqlUrl})`);
}
