import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '../../src/config/worker-config.js';
import type { DeadLetterBulkResult, DeadLetterQueue, DeadLetterRecord } from '../../src/queue/dead-letter-queue.js';
import { CliError } from '../cli-error.js';
import { cliConfig, findSchema, withRedis, type GlobalOptions } from './cli-context.js';
import { addFilterOptions, filterOf, type FilterFlags } from './dlq-options.js';
import { createProgressBar } from './progress.js';

/** `batchflow dlq list|show|replay|purge`: inspect and act on a schema's dead-letter queue. */
export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description("inspect, replay or purge a schema's dead-letter queue");

  addFilterOptions(dlq.command('list').description('list dead-lettered requests, oldest first, as they are read (page by page)').argument('<schema>'))
    .option('--json', 'print the entries as one JSON array')
    .option('--ndjson', 'print one JSON entry per line')
    .action((schema: string, flags: FilterFlags & { json?: boolean; ndjson?: boolean }, command: Command) =>
      withDlq(command, schema, async (queue) => {
        const records = queue.entries({ filter: filterOf(flags), ...(flags.limit !== undefined && { limit: flags.limit }) });
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
      withDlq(command, schema, async (queue) => {
        const record = await queue.get(id);
        if (!record) throw new CliError(`no entry "${id}" in the dead-letter queue of ${schema}`);
        console.log(JSON.stringify(record, null, 2));
      }),
    );

  addFilterOptions(dlq.command('replay').description("move entries back to the schema's queue for another attempt (idempotent: running it twice enqueues each entry once)").argument('<schema>'))
    .option('--dry-run', 'only count the entries that would be replayed')
    .action((schema: string, flags: FilterFlags & { dryRun?: boolean }, command: Command) =>
      withDlq(command, schema, async (queue) => report('replay', schema, flags, await bulk(flags, 'replay', (o) => queue.replay(o)))),
    );

  addFilterOptions(dlq.command('purge').description('delete entries for good').argument('<schema>'))
    .option('--dry-run', 'only count the entries that would be deleted')
    .option('--yes', 'confirm the deletion (required unless --dry-run)')
    .action((schema: string, flags: FilterFlags & { dryRun?: boolean; yes?: boolean }, command: Command) => {
      if (!flags.yes && !flags.dryRun) throw new CliError('purge deletes entries for good: add --yes to confirm, or --dry-run to preview', 2);
      return withDlq(command, schema, async (queue) => report('purge', schema, flags, await bulk(flags, 'purge', (o) => queue.purge(o))));
    });
}

async function withDlq(command: Command, schema: string, work: (queue: DeadLetterQueue) => Promise<void>): Promise<void> {
  const config: WorkerConfig = cliConfig(command.optsWithGlobals<GlobalOptions>());
  findSchema(config, schema);
  const { DeadLetterQueue } = await import('../../src/queue/dead-letter-queue.js');
  await withRedis(config, async (redis: Redis) => {
    const queue = new DeadLetterQueue(schema, redis, config.prefix);
    try {
      await work(queue);
    } finally {
      await queue.close();
    }
  });
}

type BulkRun = (options: Parameters<DeadLetterQueue['replay']>[0]) => Promise<DeadLetterBulkResult>;

/** Runs a bulk action with a progress bar that appears once the selection is known. */
async function bulk(flags: FilterFlags & { dryRun?: boolean }, verb: string, run: BulkRun): Promise<DeadLetterBulkResult> {
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
