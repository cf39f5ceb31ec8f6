import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TracingMode, TracingRun } from '../child/tracing-child.js';
import { scenarioNames, type BenchContext } from '../context.js';
import type { ScenarioResult } from '../result.js';

/**
 * Tracing overhead (issue 24): the same pipeline (Producer → Redis → BatchConsumer → SQLite) run
 * in fresh processes, the modes of `bench/child/tracing-child.ts` taking turns within each round
 * (the order rotating between rounds), so neither warms another up. Medians of the rounds.
 */
export const TRACING_BENCH = Object.freeze({ maxRows: 100_000, rounds: 5, quickRounds: 1 });

/** The tracing scenario's figures, per mode. */
export interface TracingMeasurements {
  readonly rounds: number;
  /** Median rows/s of each mode. */
  readonly absentRowsPerSecond: number;
  readonly offRowsPerSecond: number;
  readonly onRowsPerSecond: number;
  /** Median CPU µs per row of each mode's process (producer and consumer): what the off-vs-absent target judges. */
  readonly absentCpuMicrosPerRow: number;
  readonly offCpuMicrosPerRow: number;
  readonly onCpuMicrosPerRow: number;
  /** `@opentelemetry` modules the `off` runs loaded (the most of any round): must be 0. */
  readonly offOtelModulesLoaded: number;
  /** Spans the `on` runs exported (the fewest of any round). */
  readonly onSpans: number;
  /** Every run's rate, in the order they ran: the spread the medians hide. */
  readonly runs: ReadonlyArray<{ readonly mode: TracingMode; readonly rowsPerSecond: number; readonly cpuMicrosPerRow: number }>;
}

const CHILD = fileURLToPath(new URL('../child/tracing-child.js', import.meta.url));
const MODES: readonly TracingMode[] = ['absent', 'off', 'on'];

/** Runs the rounds and reports the `off` median as the scenario's rate, the other modes beside it. */
export async function runTracing(ctx: BenchContext): Promise<ScenarioResult> {
  const rows = Math.min(ctx.options.rows, TRACING_BENCH.maxRows);
  const rounds = ctx.options.quick ? TRACING_BENCH.quickRounds : TRACING_BENCH.rounds;
  const { prefix } = scenarioNames(ctx, 'sqlite', 'tracing');
  const runs: TracingRun[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < MODES.length; i++) {
      const mode = MODES[(round + i) % MODES.length] as TracingMode;
      runs.push(await runChild(mode, rows, ctx.options.redisUrl, `${prefix}_${round}_${mode}`));
    }
  }
  const of = (mode: TracingMode) => runs.filter((r) => r.mode === mode);
  const median = (mode: TracingMode, field: 'rowsPerSecond' | 'cpuMicrosPerRow' = 'rowsPerSecond') => {
    const sorted = of(mode).map((r) => r[field]).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  const off = of('off');
  const offRate = median('off');
  return {
    kind: 'tracing',
    sink: 'sqlite',
    description: `${rounds} round(s) of three fresh processes, ${rows.toLocaleString('en-US')} rows each, 100 per submitMany(): @opentelemetry/api unresolvable (absent), tracing off (the default), tracing on with the real SDK and an app span around each submitMany(); the rate is tracing off's median`,
    rowsSubmitted: rows,
    rowsVerified: Math.min(...off.map((r) => r.rows)),
    verifiedBy: "the consumer's batch:committed sizes summing to the rows submitted",
    seconds: off.map((r) => r.seconds).sort((a, b) => a - b)[Math.floor(off.length / 2)] ?? 0,
    rowsPerSecond: offRate,
    tracing: {
      rounds,
      absentRowsPerSecond: median('absent'),
      offRowsPerSecond: offRate,
      onRowsPerSecond: median('on'),
      absentCpuMicrosPerRow: median('absent', 'cpuMicrosPerRow'),
      offCpuMicrosPerRow: median('off', 'cpuMicrosPerRow'),
      onCpuMicrosPerRow: median('on', 'cpuMicrosPerRow'),
      offOtelModulesLoaded: Math.max(...off.map((r) => r.otelModulesLoaded)),
      onSpans: Math.min(...of('on').map((r) => r.spans)),
      runs: runs.map(({ mode, rowsPerSecond, cpuMicrosPerRow }) => ({ mode, rowsPerSecond, cpuMicrosPerRow })),
    },
  };
}

function runChild(mode: TracingMode, rows: number, redisUrl: string, prefix: string): Promise<TracingRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CHILD, mode, String(rows), redisUrl, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as TracingRun) : reject(new Error(`tracing ${mode} run exited ${code}`))));
  });
}
