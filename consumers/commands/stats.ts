import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { WorkerConfig } from '../config/worker-config.js';
import type { PartitionQueueCounts, SchemaQueueCounts } from '../../src/queue/admin/index.js';
import type { PublishedHealth } from '../../src/queue/consumer/index.js';
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
  /**
   * Rows committed per second: the sum of what every live consumer of the schema published (its
   * rate over its last few seconds); without any, the worker's /metrics sampled `--interval`
   * apart; null when neither could be read.
   */
  rowsPerSecond: number | null;
  /** Live consumers of the schema (one per worker process that serves it). */
  workers: number;
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
      `per schema (the config's, and any whose queues exist in Redis under the prefix): waiting/active/delayed/failed jobs and DLQ size, ` +
        `the live workers, and their combined throughput as each consumer publishes it in Redis (else ${COMMITTED_METRIC} read twice from a worker's /metrics, --interval apart)`,
    )
    .option('--interval <ms>', 'time between the two metric samples', parsePositiveInt, 1000)
    .option('--metrics-url <url>', "the worker's metrics endpoint (default: http://<http.host>:<http.port>/metrics from the config)")
    .option('--json', 'print JSON')
    .action(async (flags: StatsFlags, command: Command) => {
      const config = cliConfig(command.optsWithGlobals<GlobalOptions>());
      const url = flags.metricsUrl ?? defaultMetricsUrl(config);
      const before = await sampleCommitted(url);
      const started = performance.now();
      const { SchemaQueueView } = await import('../../src/queue/admin/index.js');
      const { readHealth } = await import('../../src/queue/consumer/index.js');
      const { discoverSchemas } = await import('../../src/queue/state/discover-schemas.js');
      const { targets, counts } = await withRedis(config, async (redis) => {
        // The config's schemas, plus those an app's code made (found by their queues in Redis).
        const configured = config.schemas.map(({ schema }) => ({ name: schema.name, partitions: schema.partitions }));
        const names = new Set(configured.map((t) => t.name));
        const found = (await discoverSchemas(redis, config.prefix)).filter((t) => !names.has(t.name));
        const all = [...configured, ...found];
        const read = await Promise.all(
          all.map(async ({ name, partitions: n }) => {
            // Also the queues another `partitions` left holding work or dead letters: nothing waits unseen during a change of N.
            const view = await SchemaQueueView.open(name, redis, config.prefix, n);
            try {
              const partitions = n > 1 || view.otherQueues.length > 0 ? await view.partitionCounts() : undefined;
              return { ...(await view.counts()), consumers: await readHealth(redis, config.prefix, name), ...(partitions && { partitions }) };
            } finally {
              await view.close();
            }
          }),
        );
        return { targets: all, counts: read };
      });
      await sleep(Math.max(0, flags.interval - (performance.now() - started)));
      const after = before && (await sampleCommitted(url));
      const seconds = (performance.now() - started) / 1000;
      const stats: SchemaStats[] = targets.map(({ name }, i) => {
        const read = counts[i] as SchemaQueueCounts & { consumers: PublishedHealth[]; partitions?: PartitionQueueCounts[] };
        // Every live consumer publishes its own rate: their sum covers every worker, on any host.
        const published = read.consumers.filter((c) => typeof c.rowsPerSecond === 'number');
        const sampled = before && after ? Math.max(0, ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / seconds) : null;
        const rowsPerSecond = published.length > 0 ? published.reduce((sum, c) => sum + (c.rowsPerSecond ?? 0), 0) : sampled;
        return { schema: name, ...read, workers: read.consumers.length, rowsPerSecond };
      });
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
  const header = ['SCHEMA', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'DLQ', 'WORKERS', 'ROWS/S', 'SINK'];
  // A partitioned schema's line sums its partitions, listed indented below it (and any queue of another layout still holding something).
  const rows = stats.flatMap((s) => [
    [s.schema, s.waiting, s.active, s.delayed, s.failed, s.dlq, s.workers, s.rowsPerSecond === null ? 'n/a' : s.rowsPerSecond.toFixed(1), sinkState(s.consumers)].map(String),
    ...(s.partitions ?? []).map((p) => [`  ${p.queue}`, p.waiting, p.active, p.delayed, p.failed, p.dlq, '', '', p.current ? '' : 'other layout'].map(String)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const last = header.length - 1;
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === 0 || i === last ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ').trimEnd());
  if (!metricsRead && stats.some((s) => s.rowsPerSecond === null)) console.log(`(rows/s n/a: no live consumer published a rate, and no worker metrics at ${url})`);
}

/** `ok`, `no worker`, or why work is held (`held: read_only 25006`) by any of the schema's consumers. */
function sinkState(consumers: readonly PublishedHealth[]): string {
  if (consumers.length === 0) return 'no worker';
  const held = consumers.find((c) => c.holding);
  if (!held?.holding) return 'ok';
  return `held (${held.breaker}): ${held.holding.reason}${held.holding.code ? ` ${held.holding.code}` : ''}`;
}
