import { InvalidArgumentError, type Command } from 'commander';
import { sinkDefinitions } from '../src/drivers/registry.js';
import { BENCH_SINKS } from './sinks/index.js';

/** The sinks the benchmark knows: every registered sink definition with a bench sink in `bench/sinks/`, in registry order. */
export const SINK_NAMES: readonly string[] = Object.freeze(sinkDefinitions().filter((d) => BENCH_SINKS[d.type]).map((d) => d.type));
/** A sink type out of {@link SINK_NAMES}. */
export type SinkName = string;

/** Default database URL of each bench sink that has one (`--<type>-url` overrides it). */
const DEFAULT_SINK_URLS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(BENCH_SINKS).flatMap(([type, bench]) => (bench.defaultUrl ? [[type, bench.defaultUrl]] : []))),
);

/** The commander option key of a sink's `--<type>-url` flag, e.g. `postgresUrl`. */
function urlKey(type: string): string {
  return `${type.replace(/[-_](.)/g, (_m, c: string) => c.toUpperCase())}Url`;
}

/** Scenarios `--scenarios` can pick (the RSS run has its own flag, `--rss`). */
export const SCENARIO_NAMES = ['bullmq-noop', 'raw', 'naive', 'defaults', 'drain', 'flood', 'batchflow-one-job', 'batchflow-packing', 'exactly-once', 'latency', 'latency-sequential', 'flush-sweep', 'cluster', 'hot-keys', 'deletes', 'tracing', 'pg-queue', 'pg-queue-drain', 'pg-queue-naive', 'schemas', 'network', 'wide'] as const;
/** One of {@link SCENARIO_NAMES}. */
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
/**
 * Scenarios that run only when `--scenarios` names them: the flush sweep is eight more runs per
 * sink; `cluster` starts six Redis servers of its own. (`deletes`, two runs of at most 50,000
 * requests per SQL sink, about 45 s for the three, runs by default: issue 22 asks for the mixed
 * upsert/delete figure beside the upsert-only one in the default run.)
 */
export const OPT_IN_SCENARIOS: readonly ScenarioName[] = Object.freeze(['flush-sweep', 'cluster']);
/** What runs without `--scenarios`: every scenario but the {@link OPT_IN_SCENARIOS}. */
const DEFAULT_SCENARIOS: readonly ScenarioName[] = Object.freeze(SCENARIO_NAMES.filter((name) => !OPT_IN_SCENARIOS.includes(name)));

/** Options of {@link runBench}; every field has a default in {@link BENCH_DEFAULTS}. */
export interface BenchOptions {
  /** Small, fast smoke run (CI): few rows, short latency phase; targets are printed but not judged. @defaultValue false */
  quick: boolean;
  /** Rows (or jobs) per scenario; the naive baselines write at most 20,000 (`NAIVE_MAX_ROWS`). @defaultValue 200000, or 3000 with `quick` */
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
  /**
   * Scenarios to run (latency needs `batchflow-one-job` for its rate; `flush-sweep` measures its own when that is absent).
   * @defaultValue all of {@link SCENARIO_NAMES} but the {@link OPT_IN_SCENARIOS}
   */
  scenarios: ScenarioName[];
  /** Directory for `latest.json` and `latest.md`. @defaultValue `bench/results` */
  out: string;
  /**
   * Also measure worker RSS after 100,000 and 1,000,000 rows (with producer packing: about 15 s,
   * so the full run includes it). @defaultValue true, or false with `quick`
   */
  rss: boolean;
  /**
   * Interleaved trials of the hot-key scenario (unique, uniform and Zipf keys each): its ratios
   * are the medians over them, reported with their range. @defaultValue 5, or 1 with `quick`
   */
  hotKeyTrials: number;
  /**
   * Delay the `network` scenario's proxy adds to each chunk, each way, in front of PostgreSQL and
   * MariaDB (a round trip grows by twice this): a managed database is 0.5–2 ms away.
   * @defaultValue 1
   */
  networkDelayMs: number;
  /** Seconds the paced producer runs in the latency scenario. @defaultValue 15, or 3 with `quick` */
  latencySeconds: number;
  /** Write V8 CPU profiles of the consumer child processes into this directory. @defaultValue none */
  cpuProfDir: string | undefined;
  /** Redis URL for queues and the Redis sink. @defaultValue `redis://127.0.0.1:6379` */
  redisUrl: string;
  /**
   * Database URL per sink type, for the sinks whose definition has a `bench.defaultUrl`
   * (`--postgres-url`, `--mysql-url`, …). @defaultValue each definition's `bench.defaultUrl`
   * (`postgres://postgres@127.0.0.1:5432/test`, `mysql://root@127.0.0.1:3306/test`)
   */
  sinkUrls: Readonly<Record<string, string>>;
}

/** What callers may pass: the options, plus `<type>Url` per sink as the `--<type>-url` flags give them. */
export type BenchOptionsInput = Partial<BenchOptions> & { readonly [url: `${string}Url`]: string | undefined };

/** Defaults of {@link BenchOptions} (quick mode overrides `rows` and `latencySeconds`). */
export const BENCH_DEFAULTS: Readonly<BenchOptions> = Object.freeze({
  quick: false,
  rows: 200_000,
  flushSize: 500,
  flushIntervalMs: 1000,
  packing: 100,
  sinks: [...SINK_NAMES],
  scenarios: [...DEFAULT_SCENARIOS],
  out: 'bench/results',
  rss: true,
  hotKeyTrials: 5,
  networkDelayMs: 1,
  latencySeconds: 15,
  cpuProfDir: undefined,
  redisUrl: 'redis://127.0.0.1:6379',
  sinkUrls: DEFAULT_SINK_URLS,
});

/** What `--quick` changes, unless the flag for it is given explicitly. */
/**
 * Most rows a naive baseline writes. It pays a round trip per row (1,000–3,000 rows/s), so the
 * default 200,000 rows took 70–200 s per sink and made a full `npm run bench` too long to judge in
 * one run; 20,000 still last 7–20 s, and the targets compare rows per second, not totals.
 */
export const NAIVE_MAX_ROWS = 20_000;

export const QUICK_OVERRIDES = Object.freeze({ rows: 3000, latencySeconds: 3, rss: false, hotKeyTrials: 1 });

/** Fills in defaults (quick-mode ones first) for options a caller left out. */
export function resolveBenchOptions(given: BenchOptionsInput): BenchOptions {
  const defined: Record<string, unknown> = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const sinkUrls: Record<string, string> = { ...DEFAULT_SINK_URLS, ...(defined.sinkUrls as Record<string, string> | undefined) };
  for (const type of Object.keys(DEFAULT_SINK_URLS)) {
    const flag = defined[urlKey(type)];
    if (typeof flag === 'string') sinkUrls[type] = flag;
    delete defined[urlKey(type)];
  }
  const quick = defined.quick ? QUICK_OVERRIDES : {};
  return { ...BENCH_DEFAULTS, sinks: [...BENCH_DEFAULTS.sinks], scenarios: [...BENCH_DEFAULTS.scenarios], ...quick, ...(defined as Partial<BenchOptions>), sinkUrls };
}

function positiveInt(value: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of at least 0');
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
  command
    .option('--quick', `smoke run: ${QUICK_OVERRIDES.rows} rows per scenario, targets not judged`)
    .option('--rows <n>', `rows per scenario (default ${BENCH_DEFAULTS.rows}; naive baselines at most ${NAIVE_MAX_ROWS})`, positiveInt)
    .option('--flush-size <n>', `BatchConsumer flushSize (default ${BENCH_DEFAULTS.flushSize})`, positiveInt)
    .option('--flush-interval-ms <n>', `BatchConsumer flushIntervalMs (default ${BENCH_DEFAULTS.flushIntervalMs})`, positiveInt)
    .option('--packing <n>', `requests per job with producer packing (default ${BENCH_DEFAULTS.packing})`, positiveInt)
    .option('--sinks <list>', `comma-separated sinks (default ${SINK_NAMES.join(',')})`, listOf('sink', SINK_NAMES))
    .option('--scenarios <list>', `comma-separated scenarios (default ${DEFAULT_SCENARIOS.join(',')}; opt-in: ${OPT_IN_SCENARIOS.join(',')})`, listOf('scenario', SCENARIO_NAMES))
    .option('--out <dir>', `result directory (default ${BENCH_DEFAULTS.out})`)
    .option('--rss', 'report worker RSS after 100,000 and 1,000,000 rows (default on, off with --quick)')
    .option('--no-rss', 'skip the 1,000,000-row RSS run')
    .option('--hot-key-trials <n>', `interleaved trials of the hot-key scenario, median reported (default ${BENCH_DEFAULTS.hotKeyTrials})`, positiveInt)
    .option('--network-delay-ms <n>', `delay per direction of the network scenario's proxy (default ${BENCH_DEFAULTS.networkDelayMs})`, nonNegativeNumber)
    .option('--latency-seconds <n>', `paced-producer duration (default ${BENCH_DEFAULTS.latencySeconds})`, positiveInt)
    .option('--cpu-prof-dir <dir>', 'write CPU profiles of the consumer processes here')
    .option('--redis-url <url>', `Redis for queues and the Redis sink (default ${BENCH_DEFAULTS.redisUrl})`);
  for (const definition of sinkDefinitions()) {
    const url = BENCH_SINKS[definition.type]?.defaultUrl;
    if (url) command.option(`--${definition.type}-url <url>`, `${definition.title} (default ${url})`);
  }
  return command;
}
