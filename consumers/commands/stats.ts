import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { WorkerConfig } from '../config/worker-config.js';
import type { PartitionQueueCounts, SchemaQueueCounts } from '../../src/queue/schema-queue-view.js';
import type { PublishedHealth } from '../../src/queue/health-board.js';
import { cliConfig, withRedis, type GlobalOptions } from './cli-context.js';
import { parsePositiveInt } from './dlq-options.js';
import { COMMITTED_METRIC, sumBySchema } from './committed-rows.js';

interface StatsFlags {
  interval: number;
  metricsUrl?: string;
  json?: boolean;
}

/** One schema's line of `batchflow stats`. */
interface SchemaStats extends SchemaQueueCounts {
  schema: string;
  /** Rows committed per second over the sampling interval; null when the worker's /metrics could not be read. */
  rowsPerSecond: number | null;
  /** What each live consumer published: its breaker and, while work is held, why. */
  consumers: PublishedHealth[];
  /** A partitioned schema's queues, each with its own counts (the schema's line sums them). */
  partitions?: PartitionQueueCounts[];
}

/** `batchflow stats`: queue depths and DLQ size per schema, plus recent throughput from the worker's metrics. */
export function registerStats(program: Command): void {
  program
    .command('stats')
    .summary('queue depths, DLQ sizes and throughput per schema')
    .description(
      `per schema: waiting/active/delayed/failed jobs and DLQ size (read from Redis), and recent throughput: ` +
        `${COMMITTED_METRIC} read twice from the worker's /metrics, --interval apart (that worker's rows only)`,
    )
    .option('--interval <ms>', 'time between the two metric samples', parsePositiveInt, 1000)
    .option('--metrics-url <url>', "the worker's metrics endpoint (default: http://<http.host>:<http.port>/metrics from the config)")
    .option('--json', 'print JSON')
    .action(async (flags: StatsFlags, command: Command) => {
      const config = cliConfig(command.optsWithGlobals<GlobalOptions>());
      const url = flags.metricsUrl ?? defaultMetricsUrl(config);
      const before = await sampleCommitted(url);
      const started = performance.now();
      const { SchemaQueueView } = await import('../../src/queue/schema-queue-view.js');
      const { readHealth } = await import('../../src/queue/health-board.js');
      const counts = await withRedis(config, (redis) =>
        Promise.all(
          config.schemas.map(async ({ schema }) => {
            const view = new SchemaQueueView(schema.name, redis, config.prefix, schema.partitions);
            try {
              const partitions = schema.partitions > 1 ? await view.partitionCounts() : undefined;
              return { ...(await view.counts()), consumers: await readHealth(redis, config.prefix, schema.name), ...(partitions && { partitions }) };
            } finally {
              await view.close();
            }
          }),
        ),
      );
      await sleep(Math.max(0, flags.interval - (performance.now() - started)));
      const after = before && (await sampleCommitted(url));
      const seconds = (performance.now() - started) / 1000;
      const stats: SchemaStats[] = config.schemas.map(({ schema }, i) => ({
        schema: schema.name,
        ...(counts[i] as SchemaQueueCounts & { consumers: PublishedHealth[]; partitions?: PartitionQueueCounts[] }),
        rowsPerSecond: before && after ? Math.max(0, ((after.get(schema.name) ?? 0) - (before.get(schema.name) ?? 0)) / seconds) : null,
      }));
      if (flags.json) console.log(JSON.stringify({ metricsUrl: url, intervalSeconds: seconds, schemas: stats }, null, 2));
      else print(stats, url, before !== undefined);
    });
}

function defaultMetricsUrl(config: WorkerConfig): string {
  const host = ['0.0.0.0', '::'].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}/metrics`;
}

async function sampleCommitted(url: string): Promise<Map<string, number> | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok ? sumBySchema(await response.text()) : undefined;
  } catch {
    return undefined; // no worker there: throughput is shown as unknown, the counts still are
  }
}

function print(stats: readonly SchemaStats[], url: string, metricsRead: boolean): void {
  const header = ['SCHEMA', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'DLQ', 'ROWS/S', 'SINK'];
  // A partitioned schema's line sums its partitions, listed indented below it.
  const rows = stats.flatMap((s) => [
    [s.schema, s.waiting, s.active, s.delayed, s.failed, s.dlq, s.rowsPerSecond === null ? 'n/a' : s.rowsPerSecond.toFixed(1), sinkState(s.consumers)].map(String),
    ...(s.partitions ?? []).map((p) => [`  ${p.queue}`, p.waiting, p.active, p.delayed, p.failed, p.dlq, '', ''].map(String)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const last = header.length - 1;
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === 0 || i === last ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ').trimEnd());
  if (!metricsRead) console.log(`(rows/s unknown: no worker metrics at ${url}; pass --metrics-url)`);
}

/** `ok`, `no worker`, or why work is held (`held: read_only 25006`) by any of the schema's consumers. */
function sinkState(consumers: readonly PublishedHealth[]): string {
  if (consumers.length === 0) return 'no worker';
  const held = consumers.find((c) => c.holding);
  if (!held?.holding) return 'ok';
  return `held (${held.breaker}): ${held.holding.reason}${held.holding.code ? ` ${held.holding.code}` : ''}`;
}
