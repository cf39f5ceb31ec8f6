import type { Command } from 'commander';
import { addBenchOptions, type BenchOptions } from '../../bench/options.js';
import { CliError } from '../cli-error.js';

/** What the benchmark module exports; imported lazily so the CLI works without it. */
interface BenchModule {
  runBench(options: Partial<BenchOptions>): Promise<{ allVerified: boolean }>;
}

// A variable specifier keeps the import lazy and out of the type check, so a build without the
// benchmark still compiles and only `batchflow bench` reports it missing.
const BENCH_MODULE = '../../bench/run-bench.js';

/** `batchflow bench`: parses the benchmark's flags and hands them to `runBench`. */
export function registerBench(program: Command): void {
  addBenchOptions(
    program.command('bench').summary('run the benchmark').description('run the throughput/latency benchmark against the local Redis, PostgreSQL, MariaDB and SQLite (writes bench/results)'),
  ).action(async (flags: Partial<BenchOptions>) => {
    let bench: BenchModule;
    try {
      bench = (await import(BENCH_MODULE)) as BenchModule;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('run-bench')) {
        throw new CliError('the benchmark is not available: bench/run-bench.ts is missing from this build (run `npm run build` in a checkout that has it)');
      }
      throw err;
    }
    const result = await bench.runBench(flags);
    if (!result.allVerified) throw new CliError('benchmark: a scenario lost rows or failed (see the report above)');
  });
}
