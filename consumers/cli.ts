#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { BatchFlowError } from '../src/errors/batchflow-error.js';
import { CliError, USAGE_EXIT_CODE } from './cli-error.js';
import { registerBench } from './commands/bench.js';
import { registerCheck } from './commands/check.js';
import { registerDlq } from './commands/dlq.js';
import { registerEnqueue } from './commands/enqueue.js';
import { registerMigrate } from './commands/migrate.js';
import { registerStats } from './commands/stats.js';
import { registerWorker } from './commands/worker.js';

/** What {@link runCli} ended with: an exit code, or `'running'` for a service that exits on a signal. */
export type CliOutcome = number | 'running';

/**
 * The `batchflow` command line. Exit codes: 0 success, 1 failure, 2 usage error (unknown
 * command or flag, missing argument).
 *
 * @example
 * ```sh
 * batchflow worker --config batchflow.json
 * batchflow check --config batchflow.json
 * batchflow migrate --config batchflow.json   # PostgreSQL queues only
 * batchflow enqueue --demo 10000
 * batchflow dlq replay demo_events --class non_retryable --dry-run
 * ```
 */
export async function runCli(argv: readonly string[]): Promise<CliOutcome> {
  let running = false;
  const program = new Command('batchflow')
    .description('BatchFlow: durable, queue-backed batch writer (BullMQ in front, one statement per batch into SQL or Redis)')
    .option('--config <file>', 'JSON config file (env BATCHFLOW_CONFIG; without either, the built-in demo config)')
    .exitOverride()
    .showHelpAfterError('(run batchflow --help for usage)');
  registerWorker(program, () => (running = true));
  registerEnqueue(program);
  registerDlq(program);
  registerStats(program);
  registerCheck(program);
  registerMigrate(program);
  registerBench(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return running ? 'running' : 0;
  } catch (err) {
    return report(err);
  }
}

/** Prints an error the way a user needs it (message, no stack) and picks the exit code. */
function report(err: unknown): number {
  // Commander has already printed its own message (and help) for usage errors.
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
  if (err instanceof CliError) {
    console.error(`error: ${err.message}`);
    return err.exitCode;
  }
  if (err instanceof BatchFlowError) {
    // ConfigError and friends: the message names the field and never holds a secret.
    console.error(`error: ${err.message}`);
    return 1;
  }
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

// Run when executed (also through npm's `batchflow` bin symlink), not when imported.
if (isEntryPoint()) {
  const outcome = await runCli(process.argv.slice(2));
  if (outcome !== 'running') {
    // process.exit drops what a pipe has not taken yet (a slow reader of a long `dlq list`
    // lost its tail), so wait until both streams have handed everything over; exit then,
    // since clients a command left open must not keep the process alive.
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(outcome);
  }
}

/** Resolves once everything written to `stream` before this call has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}
