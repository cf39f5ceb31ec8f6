import { Command } from 'commander';
import { addBenchOptions, type BenchOptions } from './options.js';
import { runBench } from './run-bench.js';

/**
 * `batchflow bench <flags>` from a repository checkout: parses the benchmark's own flags
 * (`bench/options.ts`) and runs it. Usage errors throw commander's error, which the CLI maps
 * to exit code 2.
 */
export async function runBenchCommand(args: readonly string[]): Promise<{ allVerified: boolean }> {
  const command = addBenchOptions(new Command('batchflow bench').exitOverride().description('BatchFlow vs plain BullMQ vs raw database writes, on the local services'));
  command.parse([...args], { from: 'user' });
  return runBench(command.opts<Partial<BenchOptions>>());
}
