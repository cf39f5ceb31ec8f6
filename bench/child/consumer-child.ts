/**
 * Consumer side of a queue scenario, run in its own process so that its RSS and CPU are its
 * own and the producer (in the parent) competes for the CPU as it would on a real host.
 * Started by `spawnConsumer`; talks to the parent over the IPC channel (see `protocol.ts`).
 */
import { createPostgresBackend, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BatchConsumer, noopMetrics, SQLSchema, type BatchExecutor } from '../../src/index.js';
import type { MemoryMark } from '../result.js';
import { BENCH_COLUMNS, type BenchRowJson } from '../rows.js';
import type { BenchSink } from '../bench-sinks.js';
import { createSink, partitionedSchema } from '../bench-sinks.js';
import { wideSchema } from '../wide-rows.js';
import type { ChildMessage, ConsumerChildConfig, ParentMessage } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ConsumerChildConfig;
const send = (message: ChildMessage) => process.send?.(message);
/**
 * Sends a last message, then closes the channel and exits; only once it is written, or a large
 * message (latencies) is lost. The exit is explicit, as in the worker service, so that no handle
 * left open can keep the child (and the parent waiting for its exit) alive: on a Redis Cluster
 * under load, a Worker's blocking connection once stayed open after `consumer.close()` (about one
 * cluster bench run in four at load 9), a BullMQ/ioredis race now worked around in `disableBlockingClusterRecovery`
 * (see docs/guides/partitions-and-cluster.md).
 */
let finishing = false;
const sendLast = (message: ChildMessage) => {
  finishing = true;
  process.send?.(message, undefined, undefined, () => {
    process.disconnect();
    process.exit();
  });
};
// The parent gone (killed, or Ctrl-C on it alone): nobody will send `stop`, and the open queue connections would keep this process alive.
process.on('disconnect', () => {
  if (!finishing) process.exit(1);
});
const latenciesMs: number[] = [];
const rssAtMarks: MemoryMark[] = [];
const errors: string[] = [];
const flushSizes: number[] = [];
let deadLettered = 0;
let deadlockRetries = 0;
let done = 0;
let reached = false;

/** Counts committed rows; samples RSS at the configured marks and reports `reached` once. */
function committed(rows: number): void {
  done += rows;
  for (const mark of config.rssMarks) {
    if (done < mark || rssAtMarks.some((m) => m.rows === mark)) continue;
    const memory = process.memoryUsage();
    rssAtMarks.push({ rows: mark, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed });
  }
  if (!reached && done >= config.expected) {
    reached = true;
    send({ type: 'reached', done, atMs: Date.now() });
  }
}

function noteError(err: unknown): void {
  if (errors.length < 20) errors.push(err instanceof Error ? err.message : String(err));
}

/** Wraps the driver so each row's commit time can be compared with the submit time it carries. */
function timed(executor: BatchExecutor, sink: BenchSink): BatchExecutor {
  return {
    sink: executor.sink,
    ping: executor.ping && ((signal) => executor.ping?.(signal) as Promise<void>),
    close: executor.close && (() => executor.close?.() as Promise<void>),
    async execute(schema, requests, signal) {
      await executor.execute(schema, requests, signal);
      const now = Date.now(); // execute() resolves after COMMIT (or EXEC/pipeline reply)
      for (const request of requests) latenciesMs.push(now - sink.submittedAtMs(request));
    },
  };
}

/** Starts the configured consumer; returns how to stop it. */
async function start(sink: BenchSink): Promise<() => Promise<void>> {
  if (config.kind === 'batchflow') {
    const connection = config.queuePostgres
      ? { postgres: config.queuePostgres.url, schema: config.queuePostgres.schema }
      : config.clusterNodes
        ? { cluster: { nodes: [...config.clusterNodes] } }
        : config.urls.redisUrl;
    const driver = sink.executor();
    const consumer = new BatchConsumer({
      connection,
      prefix: config.prefix,
      schema: config.wide ? wideSchema(config.target) : config.conflict ? SQLSchema(config.target, config.conflict, BENCH_COLUMNS) : partitionedSchema(sink, config.target, config.partitions ?? 1, config.exactlyOnce ? 'exactly-once' : undefined),
      // Pruning runs inside the timed window, so the ledger's whole cost is measured.
      ...(config.exactlyOnce && { ledgerPruneDelayMs: 0 }),
      executor: config.recordLatency ? timed(driver, sink) : driver,
      metrics: { ...noopMetrics, flushSize: (_schema, size) => flushSizes.push(size) },
      ...(!config.defaults && { flushSize: config.flushSize, flushIntervalMs: config.flushIntervalMs, concurrency: config.concurrency }),
    });
    consumer.on('batch:committed', ({ size }) => committed(size));
    consumer.on('dead-lettered', ({ entries }) => (deadLettered += entries.length));
    consumer.on('error', noteError);
    consumer.on('batch:retry', ({ reason }) => void (reason === 'deadlock' && deadlockRetries++));
    await consumer.waitUntilReady();
    return async () => {
      await consumer.close();
      await driver.close?.();
    };
  }
  const naive = config.kind === 'naive' ? sink.naiveWriter(config.target) : undefined;
  const processor = naive ? (job: { data: BenchRowJson }) => naive.writeOne(job.data) : async () => undefined;
  const redis = new Redis(config.urls.redisUrl, { maxRetriesPerRequest: null });
  const pgQueue = config.queuePostgres;
  const worker = pgQueue
    ? (new Worker(config.target, processor, { connection: { connectionString: pgQueue.url, schema: pgQueue.schema }, concurrency: config.concurrency ?? 1 }, createPostgresBackend) as unknown as Worker)
    : new Worker(config.target, processor, { connection: redis, prefix: config.prefix, concurrency: config.concurrency ?? 1 });
  worker.on('completed', () => committed(1));
  worker.on('failed', (_job, err) => noteError(err));
  worker.on('error', noteError);
  await worker.waitUntilReady();
  return async () => {
    await worker.close();
    await naive?.close();
    redis.disconnect();
  };
}

async function main(): Promise<void> {
  const sink = await createSink(config.sink, config.urls);
  const stop = await start(sink);
  const progress = setInterval(() => send({ type: 'progress', done }), 250);
  // CPU from here on only: module loading and connecting are not the consumer's steady-state cost.
  const cpuAtReady = process.cpuUsage();
  send({ type: 'ready' });
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'stop') return;
    clearInterval(progress);
    void (async () => {
      await stop();
      await sink.close();
      const usage = process.resourceUsage();
      const cpu = process.cpuUsage(cpuAtReady);
      sendLast({
        type: 'final',
        stats: { done, maxRssBytes: usage.maxRSS * 1024, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, latenciesMs, rssAtMarks, deadLettered, deadlockRetries, errors, flushSizes },
      });
    })();
  });
}

main().catch((err: unknown) => {
  process.exitCode = 1;
  sendLast({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
});
