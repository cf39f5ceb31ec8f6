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

  addFilterOptions(dlq.command('list').description('list dead-lettered requests, oldest first').argument('<schema>'))
    .option('--json', 'print the entries as JSON')
    .action((schema: string, flags: FilterFlags & { json?: boolean }, command: Command) =>
      withDlq(command, schema, async (queue) => {
        const records = await queue.list(filterOf(flags), flags.limit);
        if (flags.json) console.log(JSON.stringify(records, null, 2));
        else printTable(schema, records);
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

function printTable(schema: string, records: readonly DeadLetterRecord[]): void {
  if (records.length === 0) {
    console.log(`no entries in the dead-letter queue of ${schema}`);
    return;
  }
  const rows = records.map(({ id, state, entry }) => [id, state, entry.class, entry.reason, entry.errorCode ?? '-', String(entry.attempts), entry.lastFailedAt, truncate(entry.message, 60)]);
  const header = ['ID', 'STATE', 'CLASS', 'REASON', 'CODE', 'ATTEMPTS', 'LAST FAILED', 'MESSAGE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  '));
  console.log(`${records.length} entr${records.length === 1 ? 'y' : 'ies'}`);
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
