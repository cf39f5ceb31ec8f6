/**
 * `npm run bench [-- --quick] [--rows N] [--sinks postgres,sqlite] …`: the side-by-side
 * throughput and latency benchmark. See `bench/options.ts` for every flag and `README.md`
 * ("Benchmarks") for what it measures. Exits 1 when any scenario lost rows or failed.
 */
import { Command } from 'commander';
import { addBenchOptions, type BenchOptions } from './options.js';
import { runBench } from './run-bench.js';

const program = addBenchOptions(new Command('bench').description('BatchFlow vs plain BullMQ vs raw database writes, on the local services')).parse();
const result = await runBench(program.opts<Partial<BenchOptions>>());
process.exitCode = result.allVerified ? 0 : 1;
