import type { Command } from 'commander';
import { CliError } from '../cli-error.js';

/** What the benchmark's command module exports; imported lazily so the CLI works without it. */
interface BenchCommandModule {
  runBenchCommand(args: readonly string[]): Promise<{ allVerified: boolean }>;
}

// The benchmark is not shipped in the npm package (it is repository tooling), so the CLI must
// load without it: a variable specifier keeps the import lazy and out of the type check, and the
// flags are parsed by the benchmark itself (bench/options.ts), not here.
const BENCH_MODULE = '../../bench/bench-command.js';

/** `batchflow bench`: hands its flags to the benchmark, when this build has it (a repository checkout). */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .summary('run the benchmark (from a repository checkout)')
    .description('run the throughput/latency benchmark against the local Redis, PostgreSQL, MariaDB and SQLite (writes bench/results); flags: npm run bench -- --help')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_options: unknown, command: Command) => {
      let bench: BenchCommandModule;
      try {
        bench = (await import(BENCH_MODULE)) as BenchCommandModule;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /bench/.test(String((err as Error).message))) {
          throw new CliError('the benchmark is not available: bench/run-bench.ts is missing from this build (it is not in the npm package; run `npm run bench` in a checkout)');
        }
        throw err;
      }
      const result = await bench.runBenchCommand(command.args);
      if (!result.allVerified) throw new CliError('benchmark: a scenario lost rows or failed (see the report above)');
    });
}
