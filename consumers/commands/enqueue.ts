import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { jsonToRequest } from '../../producers/json-row.js';
import { Request } from '../../src/core/request.js';
import type { Schema } from '../../src/core/schema.js';
import { ValidationError } from '../../src/errors/validation-error.js';
import type { Producer } from '../../src/queue/producer/index.js';
import { CliError } from '../cli-error.js';
import { DEMO_SCHEMA_NAME, demoRows, demoSchema } from '../demo-schema.js';
import { formatFromFileName, INPUT_FORMATS, readRows, type InputFormat } from '../input/read-rows.js';
import { cliConfig, connectRedis, findSchema, type GlobalOptions } from './cli-context.js';
import { createProgressBar } from './progress.js';

interface EnqueueOptions {
  format?: InputFormat;
  demo?: number;
  delete?: boolean;
}

/** Requests per `submitMany()` call: big enough for `addBulk` to pay off, small enough for a lively progress bar. */
const CHUNK = 1000;
const MAX_DEMO_ROWS = 10_000_000;

/** `batchflow enqueue [schema] [file]`: validates every row first, then enqueues them with a progress bar. */
export function registerEnqueue(program: Command): void {
  program
    .command('enqueue')
    .summary('enqueue rows from a JSON/NDJSON/CSV file, stdin, or --demo')
    .description('enqueue rows from a file or stdin (or demo rows) into a schema\'s queue; every row is validated before any is enqueued')
    .argument('[schema]', `schema to enqueue into (default with --demo: ${DEMO_SCHEMA_NAME})`)
    .argument('[file]', 'input file; stdin when absent')
    .addOption(new Option('--format <format>', 'input format (default: from the file extension, else ndjson)').choices(INPUT_FORMATS))
    .option('--demo <count>', `enqueue <count> generated rows into ${DEMO_SCHEMA_NAME}`, demoCount)
    .option('--delete', 'every input row is a key to delete (else a row with "$delete": true is a delete, the others rows to write)')
    .addHelpText('after', '\nFormats: json (an array of row objects), ndjson (one object per line), csv (header row of column names).\nValues: int64 as number or decimal string, timestamps ISO-8601 with offset, bytes base64.\nDeletes: {"$delete": true, <key columns>} in JSON/NDJSON, or --delete for a file of keys (any format).')
    .action(async (schemaName: string | undefined, file: string | undefined, options: EnqueueOptions, command: Command) => {
      const config = cliConfig(command.optsWithGlobals<GlobalOptions>());
      let schema: Schema;
      let rows: unknown[];
      if (options.demo !== undefined) {
        if (file !== undefined || (schemaName !== undefined && schemaName !== DEMO_SCHEMA_NAME)) throw new CliError(`--demo enqueues generated rows into ${DEMO_SCHEMA_NAME}; it takes no schema or file`, 2);
        findSchema(config, DEMO_SCHEMA_NAME); // the demo rows need a worker that serves the demo schema
        schema = demoSchema;
        rows = demoRows(options.demo);
      } else {
        if (schemaName === undefined) throw new CliError('name a schema (or use --demo <count>)', 2);
        schema = findSchema(config, schemaName).schema;
        rows = await readInput(schema, file, options.format, options.delete === true);
      }
      // Fail fast with a clear message when Redis is down; the producer then opens its own connection.
      (await connectRedis(config.redis)).disconnect();
      const { Producer } = await import('../../src/queue/producer/index.js');
      const producer = new Producer({ connection: config.redis, schemas: [schema], prefix: config.prefix, keepCompletedJobs: config.keepCompletedJobs });
      try {
        await enqueue(producer, schema, rows);
      } finally {
        await producer.close();
      }
    });
}

async function readInput(schema: Schema, file: string | undefined, format: InputFormat | undefined, asDelete: boolean): Promise<Request[]> {
  const input = file === undefined ? await text(process.stdin) : await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file} (${err.code ?? err.message})`);
  });
  const chosen = format ?? (file === undefined ? 'ndjson' : formatFromFileName(file));
  if (!chosen) throw new CliError(`cannot tell the format of ${file} from its extension: pass --format ${INPUT_FORMATS.join('|')}`, 2);
  // Check every row before enqueueing any, so a bad row 9,000 does not leave 8,999 half-imported.
  return readRows(input, chosen, schema).map(({ at, row }) => {
    try {
      return jsonToRequest(schema, row, asDelete);
    } catch (err) {
      if (err instanceof ValidationError) throw new CliError(`${at}: ${err.message}; nothing was enqueued`);
      throw err;
    }
  });
}

async function enqueue(producer: Producer, schema: Schema, rows: readonly unknown[]): Promise<void> {
  const started = performance.now();
  const bar = createProgressBar(`enqueue ${schema.name}`, rows.length, 'rows');
  try {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      if (chunk[0] instanceof Request) await producer.submitMany(chunk as Request[]);
      else await producer.submitMany(schema, chunk as Array<Record<string, never>>);
      bar.update(i + chunk.length);
    }
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`enqueued ${rows.length} rows into ${schema.name} in ${seconds.toFixed(2)} s`);
}

function demoCount(value: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0 || n > MAX_DEMO_ROWS) throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_DEMO_ROWS}`);
  return n;
}
