import type { Command } from 'commander';
import type { QueueClient } from '../../src/queue/connection.js';
import type { WorkerConfig } from '../config/worker-config.js';
import type { DeadLetterBulkResult, DeadLetterGroupField, DeadLetterQueue, DeadLetterRecord, DeadLetterReplayResult, DeadLetterScanOptions } from '../../src/queue/dead-letter/index.js';
import { PARTITION_SEPARATOR, schemaQueueNames } from '../../src/queue/queue-names.js';
import { CliError } from '../cli-error.js';
import { cliConfig, findSchemaTarget, withRedis, type GlobalOptions } from './cli-context.js';
import { collectAssignment, editTransform, loadTransform } from './dlq-edit.js';
import { groupTable } from './dlq-groups.js';
import { addFilterOptions, filterOf, parseGroupBy, parseRate, type FilterFlags } from './dlq-options.js';
import { createSqlPreview } from './dlq-sql-preview.js';
import { createProgressBar } from './progress.js';

/** `batchflow dlq list|show|replay|purge`: inspect and act on a schema's dead-letter queue. */
export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description("inspect, replay or purge a schema's dead-letter queue");

  addFilterOptions(dlq.command('list').description('list dead-lettered requests, oldest first, as they are read (page by page)').argument('<schema>'))
    .option('--json', 'print the entries as one JSON array')
    .option('--ndjson', 'print one JSON entry per line')
    .option('--group-by <fields>', 'count entries per group of fields (class, reason, errorCode, state, message), with the first message of each', parseGroupBy)
    .action((schema: string, flags: FilterFlags & { json?: boolean; ndjson?: boolean; groupBy?: DeadLetterGroupField[] }, command: Command) =>
      withDlqs(command, schema, async (dlqs) => {
        const scan = { filter: filterOf(flags), ...(flags.limit !== undefined && { limit: flags.limit }) };
        if (flags.groupBy) {
          // A partitioned schema: groups per partition (each DLQ is its own queue), labelled with the partition's queue.
          for (const { queue, name } of dlqs) {
            const groups = await queue.groups(flags.groupBy, scan);
            for (const line of flags.json || flags.ndjson ? [JSON.stringify(groups, null, flags.json ? 2 : undefined)] : groupTable(name, flags.groupBy, groups)) await writeLine(line);
          }
          return;
        }
        const records = chainEntries(dlqs, scan);
        if (flags.ndjson) await printNdjson(records);
        else if (flags.json) await printJsonArray(records);
        else await printTable(schema, records);
      }),
    );

  dlq
    .command('show')
    .description('print one entry: the original request, its error, attempts and failure times')
    .argument('<schema>')
    .argument('<id>', 'entry id, as `dlq list` shows it')
    .action((schema: string, id: string, _flags: unknown, command: Command) =>
      withDlqs(command, schema, async (dlqs) => {
        for (const { queue } of dlqs) {
          const record = await queue.get(id);
          if (record) {
            console.log(JSON.stringify(record, null, 2));
            return;
          }
        }
        throw new CliError(`no entry "${id}" in the dead-letter queue of ${schema}`);
      }),
    );

  addFilterOptions(dlq.command('replay').description("move entries back to the schema's queue for another attempt (idempotent: running it twice enqueues each entry once)").argument('<schema>'))
    .option('--dry-run', 'only count the entries that would be replayed (and check the edits)')
    .option('--sql', "with --dry-run: print the statement and bound values the schema's sink would run (Redis: the commands), secrets masked")
    .option('--set <column=value>', 'set a column of every selected row before replaying it (repeatable; `null` is NULL)', collectAssignment)
    .option('--transform <module>', 'edit rows with the default export of this module: (row, record) => row, or null to drop the entry')
    .option('--rate <n/s>', 'replay at most n entries per second (e.g. 100/s, 600/m)', parseRate)
    .action((schema: string, flags: ReplayFlags, command: Command) => replayCommand(command, schema, flags));

  addFilterOptions(dlq.command('purge').description('delete entries for good').argument('<schema>'))
    .option('--dry-run', 'only count the entries that would be deleted')
    .option('--yes', 'confirm the deletion (required unless --dry-run)')
    .action((schema: string, flags: FilterFlags & { dryRun?: boolean; yes?: boolean }, command: Command) => {
      if (!flags.yes && !flags.dryRun) throw new CliError('purge deletes entries for good: add --yes to confirm, or --dry-run to preview', 2);
      return withDlqs(command, schema, async (dlqs) => {
        for (const { queue, name } of dlqs) report('purge', name, flags, await bulk(flags, 'purge', (o) => queue.purge(o)));
      });
    });
}

type ReplayFlags = FilterFlags & { dryRun?: boolean; sql?: boolean; set?: string[]; transform?: string; rate?: number };

/** `dlq replay`: edits (checked before any entry is read), rate, dry run with statement preview. */
async function replayCommand(command: Command, schema: string, flags: ReplayFlags): Promise<void> {
  if (flags.sql && !flags.dryRun) throw new CliError('--sql previews what a replay would run: add --dry-run', 2);
  const config: WorkerConfig = cliConfig(command.optsWithGlobals<GlobalOptions>());
  const [base] = schema.split(PARTITION_SEPARATOR) as [string];
  const schemaConfig = config.schemas.find((s) => s.schema.name === base);
  if (!schemaConfig && (flags.set || flags.sql)) {
    // A schema known only from its queues in Redis: its columns, types and sink live in the app's code.
    const flag = flags.set ? '--set' : '--sql';
    const needs = flags.set ? "its columns and their types (to read each value as its column's type)" : 'its table, columns and sink (to build the statement)';
    throw new CliError(`${flag} needs ${needs}, and schema "${base}" is not in ${config.source.kind === 'file' ? config.source.path : 'the config (no --config given)'}: pass --config <file> with an entry for "${base}" (name, sink, table, columns), or edit rows with --transform <module>`, 2);
  }
  const transform = schemaConfig ? await editTransform(schemaConfig.schema, flags.set, flags.transform) : flags.transform === undefined ? undefined : await loadTransform(flags.transform);
  const sink = schemaConfig && config.sinks[schemaConfig.sink];
  const preview = flags.sql && sink && schemaConfig ? createSqlPreview(schemaConfig.schema, sink, writeLine) : undefined;
  await withDlqs(command, schema, async (dlqs) => {
    // Each partition's entries replay into their own partition (its DLQ shares the partition's slot).
    for (const { queue, name } of dlqs) {
      const result = await bulk(flags, 'replay', (o) =>
        queue.replay({ ...o, ...(transform && { transform }), ...(flags.rate !== undefined && { ratePerSecond: flags.rate }), ...(preview && { onDecision: (d) => preview.add(d) }) }),
      );
      await preview?.end();
      reportReplay(name, flags, result);
    }
  });
}

/** One DLQ of a schema: the schema's own, or one partition's (`name` is its queue, e.g. `orders#2`). */
interface NamedDlq {
  readonly queue: DeadLetterQueue;
  readonly name: string;
}

/**
 * Opens the DLQs `schema` names: `orders` is every partition of a partitioned schema (one DLQ
 * otherwise) and every queue another `partitions` left holding anything, `orders#2` is partition 2
 * alone (docs/guides/partitions-and-cluster.md).
 */
async function withDlqs(command: Command, schema: string, work: (dlqs: readonly NamedDlq[]) => Promise<void>): Promise<void> {
  const config: WorkerConfig = cliConfig(command.optsWithGlobals<GlobalOptions>());
  const [base, partition] = schema.split(PARTITION_SEPARATOR) as [string, string | undefined];
  const { DeadLetterQueue } = await import('../../src/queue/dead-letter/index.js');
  const { otherLayoutQueues } = await import('../../src/queue/schema-layouts.js');
  const { stateOf } = await import('../../src/queue/state/state-of.js');
  await withRedis(config, async (redis: QueueClient) => {
    // The config's schema, or one an app's code made (found by its queues in Redis).
    const target = await findSchemaTarget(config, redis, base);
    // The layout's queues, then any another `partitions` left holding dead letters or work (docs: partitions guide).
    const own = schemaQueueNames(target);
    const names = [...own, ...(await otherLayoutQueues(stateOf(redis), config.prefix, base, own, true))];
    if (partition !== undefined && !names.includes(schema)) {
      throw new CliError(`schema ${base} has ${target.partitions} partition(s): ${names.join(', ')}`, 2);
    }
    const known = target.config && { schema: target.config.schema };
    const dlqs = (partition === undefined ? names : [schema]).map((name) => ({ name, queue: new DeadLetterQueue(base, redis, config.prefix, { ...known, queue: name }) }));
    try {
      await work(dlqs);
    } finally {
      await Promise.all(dlqs.map(({ queue }) => queue.close()));
    }
  });
}

/** The entries of every DLQ given, partition after partition, as one stream; `limit` holds for the whole. */
async function* chainEntries(dlqs: readonly NamedDlq[], scan: DeadLetterScanOptions): AsyncGenerator<DeadLetterRecord, void, undefined> {
  let left = scan.limit ?? Number.POSITIVE_INFINITY;
  for (const { queue } of dlqs) {
    if (left <= 0) return;
    for await (const record of queue.entries({ ...scan, limit: left })) {
      left--;
      yield record;
    }
  }
}

type BulkRun<R> = (options: NonNullable<Parameters<DeadLetterQueue['purge']>[0]>) => Promise<R>;

/** Runs a bulk action with a progress bar that appears once the selection is known. */
async function bulk<R extends DeadLetterBulkResult>(flags: FilterFlags & { dryRun?: boolean }, verb: string, run: BulkRun<R>): Promise<R> {
  let bar: ReturnType<typeof createProgressBar> | undefined;
  try {
    return await run({
      filter: filterOf(flags),
      ...(flags.limit !== undefined && { limit: flags.limit }),
      dryRun: flags.dryRun ?? false,
      onProgress: (done, total) => {
        bar ??= createProgressBar(flags.dryRun ? `${verb} (dry run)` : verb, total, 'entries');
        bar.update(done);
      },
    });
  } finally {
    bar?.stop();
  }
}

function reportReplay(schema: string, flags: { dryRun?: boolean }, result: DeadLetterReplayResult): void {
  const { selected, dropped, refused, stale } = result;
  const edits = [
    dropped > 0 && `${dropped} dropped by the transform`,
    refused > 0 && `${refused} refused (left in the DLQ unchanged)`,
    stale > 0 && `${stale} stale (no version: the version guard would skip them; left in the DLQ unchanged)`,
  ]
    .filter(Boolean)
    .join(', ');
  if (flags.dryRun) console.log(`dry run: ${selected - dropped - refused - stale} entries of ${schema} would be replayed${edits ? `, ${edits}, of ${selected} selected` : ''}`);
  else console.log(`replayed ${result.done} of ${selected} selected entries of ${schema}${result.skipped ? ` (${result.skipped} skipped: gone or being replayed elsewhere)` : ''}${edits ? `; ${edits}` : ''}`);
  if (result.failedAgain > 0) console.log(`${result.failedAgain} replayed entr${result.failedAgain === 1 ? 'y' : 'ies'} failed again and ${result.failedAgain === 1 ? 'is' : 'are'} back in the DLQ (not replayed again in this run): ${result.failedAgainIds.join(', ')}`);
  for (const { error } of result.refusals) console.error(`refused ${error.message}`);
  if (refused > result.refusals.length) console.error(`… and ${refused - result.refusals.length} more refused`);
  if (refused > 0 && !flags.dryRun) throw new CliError(`${refused} entr${refused === 1 ? 'y was' : 'ies were'} refused: the edited request does not fit schema ${schema} (see above); nothing of them was enqueued or removed`);
}

function report(verb: 'replay' | 'purge', schema: string, flags: { dryRun?: boolean }, result: DeadLetterBulkResult): void {
  const past = verb === 'replay' ? 'replayed' : 'purged';
  if (flags.dryRun) console.log(`dry run: ${result.selected} entries of ${schema} would be ${past}`);
  else console.log(`${past} ${result.done} of ${result.selected} selected entries of ${schema}${result.skipped ? ` (${result.skipped} skipped: gone or being replayed elsewhere)` : ''}`);
}

/** Writes a line to stdout, waiting while the pipe is full so a slow reader keeps memory flat. */
async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(`${line}\n`)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
}

async function printNdjson(records: AsyncIterable<DeadLetterRecord>): Promise<void> {
  for await (const record of records) await writeLine(JSON.stringify(record));
}

/** A JSON array written element by element, so nothing is collected first. */
async function printJsonArray(records: AsyncIterable<DeadLetterRecord>): Promise<void> {
  let first = true;
  for await (const record of records) {
    await writeLine(`${first ? '[' : ','}${JSON.stringify(record, null, 2).replace(/\n/g, '\n  ')}`);
    first = false;
  }
  await writeLine(first ? '[]' : ']');
}

const HEADER = ['ID', 'STATE', 'CLASS', 'REASON', 'CODE', 'ATTEMPTS', 'LAST FAILED', 'MESSAGE'];
/** Rows that size the columns; later rows are printed as they come, in the same widths (a longer cell just pushes its line). */
const SIZING_ROWS = 100;
/** Least widths: the longest state and class, an ISO time; ids get slack as job ids grow. */
const MIN_WIDTHS = [12, 7, 15, 15, 5, 8, 24, 0];
const ID_SLACK = 2;

async function printTable(schema: string, records: AsyncIterable<DeadLetterRecord>): Promise<void> {
  const sizing: string[][] = [];
  let widths: number[] | undefined;
  let count = 0;
  const print = (row: readonly string[], w: readonly number[]) => writeLine(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(w[i] as number))).join('  '));
  const start = async () => {
    widths = HEADER.map((h, i) => Math.max(h.length, MIN_WIDTHS[i] ?? 0, ...sizing.map((r) => (r[i] as string).length + (i === 0 ? ID_SLACK : 0))));
    for (const row of [HEADER, ...sizing.splice(0)]) await print(row, widths);
  };
  for await (const { id, state, entry } of records) {
    count++;
    const row = [id, state, entry.class, entry.reason, entry.errorCode ?? '-', String(entry.attempts), entry.lastFailedAt, truncate(entry.message, 60)];
    if (widths) await print(row, widths);
    else {
      sizing.push(row);
      if (sizing.length === SIZING_ROWS) await start();
    }
  }
  if (count === 0) return writeLine(`no entries in the dead-letter queue of ${schema}`);
  if (!widths) await start();
  await writeLine(`${count} entr${count === 1 ? 'y' : 'ies'}`);
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
