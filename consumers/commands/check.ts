import type { Command } from 'commander';
import type { SchemaDiff } from '../../src/core/schema-diff.js';
import { CliError } from '../cli-error.js';
import { cliConfig, type GlobalOptions } from './cli-context.js';

interface CheckFlags {
  json?: boolean;
}

/** One sink the check could not read. */
interface SinkFailure {
  sink: string;
  error: string;
}

/**
 * `batchflow check`: the worker's start-up schema check, without starting a worker or
 * touching a queue, and without changing any table: a column `evolve: 'add-columns'` would add,
 * or a table `createTable: true` would create, is reported as a note, not as drift. Exit code
 * 0 when every table matches its schema, 1 on drift or when a sink cannot be read.
 */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .summary('compare each SQL schema with its table (exit 1 on drift)')
    .description(
      'compare each SQL schema of the config with its table, as the worker does at start: columns, declared types against the table types, ' +
        'nullability, the keys against the primary key or a unique index, and other unique indexes. Changes nothing. Exit code 1 on drift.',
    )
    .option('--json', 'print JSON')
    .action(async (flags: CheckFlags, command: Command) => {
      const config = cliConfig(command.optsWithGlobals<GlobalOptions>());
      const [{ checkSinkSchemas }, { formatSchemaDiffs }, { sinkHint }] = await Promise.all([
        import('../../src/drivers/check-schemas.js'),
        import('../../src/core/schema-diff.js'),
        import('../dependency-hints.js'),
      ]);
      const diffs: SchemaDiff[] = [];
      const failures: SinkFailure[] = [];
      for (const [name, sink] of Object.entries(config.sinks)) {
        const schemas = config.schemas.filter((s) => s.sink === name);
        if (schemas.length === 0) continue;
        try {
          diffs.push(...(await checkSinkSchemas(sink, schemas, { dryRun: true })));
        } catch (err) {
          const error = sinkHint(name, sink, err)?.line ?? `sink "${name}": ${err instanceof Error ? err.message : String(err)}`;
          failures.push({ sink: name, error });
        }
      }
      const ok = failures.length === 0 && diffs.every((diff) => diff.ok);
      if (flags.json) {
        console.log(JSON.stringify({ ok, tables: diffs, failures }, null, 2));
      } else {
        if (diffs.length > 0) console.log(formatSchemaDiffs(diffs));
        if (diffs.length === 0 && failures.length === 0) console.log('no SQL schemas to check');
        for (const failure of failures) console.error(`error: cannot check: ${failure.error}`);
        const drifted = diffs.filter((diff) => !diff.ok).length;
        if (drifted > 0) console.log(`${drifted} of ${diffs.length} table(s) do not match their schema`);
        else if (diffs.length > 0 && failures.length === 0) console.log(`all ${diffs.length} table(s) match their schema`);
      }
      if (!ok) throw new CliError(failures.length > 0 ? 'schema check incomplete: a sink could not be read' : 'schema drift: the tables above do not match their schemas');
    });
}
