/**
 * The worker process of the `schemas` scenario: one process, one executor, and one default
 * `BatchConsumer` per schema (as `batchflow worker` runs a config with many schemas). Answers the
 * parent's CPU samples over IPC, records each row's submit→commit latency, and reports when closed.
 */
import { BatchConsumer, type BatchExecutor } from '../../src/index.js';
import { createSink } from '../bench-sinks.js';
import type { SinkUrls } from '../bench-sinks.js';

/** The child's one argument (JSON). */
export interface SchemasChildConfig {
  readonly sink: string;
  readonly urls: SinkUrls;
  readonly prefix: string;
  /** One table (and schema) per entry. */
  readonly targets: readonly string[];
  /** Redis `CLIENT SETNAME` of the consumers' own connection; BullMQ names the Workers' blocking ones `<prefix>:{queue}:…`. */
  readonly connectionName: string;
}

/** Messages from the child. */
export type SchemasChildMessage =
  | { type: 'ready' }
  | { type: 'progress'; done: number }
  | { type: 'sample'; cpuMicros: number; rssBytes: number; atMs: number }
  | { type: 'final'; done: number; latenciesMs: number[]; maxRssBytes: number; errors: string[] }
  | { type: 'failed'; message: string };

/** Messages to the child. */
export type SchemasParentMessage = { type: 'sample' } | { type: 'stop' };

const config = JSON.parse(process.argv[2] ?? '{}') as SchemasChildConfig;
const send = (message: SchemasChildMessage) => process.send?.(message);
let finishing = false;
process.on('disconnect', () => {
  if (!finishing) process.exit(1);
});
const latenciesMs: number[] = [];
const errors: string[] = [];
let done = 0;

async function main(): Promise<void> {
  const sink = await createSink(config.sink, config.urls);
  const driver = sink.executor();
  const executor: BatchExecutor = {
    sink: driver.sink,
    ping: driver.ping && ((signal) => driver.ping?.(signal) as Promise<void>),
    async execute(schema, requests, signal) {
      await driver.execute(schema, requests, signal);
      const now = Date.now();
      for (const request of requests) latenciesMs.push(now - sink.submittedAtMs(request));
    },
  };
  const url = new URL(config.urls.redisUrl);
  // One options object for every consumer, as the worker service passes its one `redis` config.
  const connection = { host: url.hostname, port: Number(url.port || 6379), connectionName: config.connectionName };
  const consumers = config.targets.map((target) => {
    const consumer = new BatchConsumer({ connection, prefix: config.prefix, schema: sink.schema(target), executor, logger: false });
    consumer.on('batch:committed', ({ size }) => (done += size));
    consumer.on('error', (err) => void (errors.length < 20 && errors.push(err.message)));
    return consumer;
  });
  await Promise.all(consumers.map((c) => c.waitUntilReady()));
  // Only when it moved: the idle window measures this process's CPU, and 4 IPC messages a second were part of it.
  let reported = -1;
  const progress = setInterval(() => {
    if (done === reported) return;
    reported = done;
    send({ type: 'progress', done });
  }, 250);
  progress.unref();
  send({ type: 'ready' });
  process.on('message', (message: SchemasParentMessage) => {
    if (message.type === 'sample') {
      const cpu = process.cpuUsage();
      send({ type: 'sample', cpuMicros: cpu.user + cpu.system, rssBytes: process.memoryUsage().rss, atMs: performance.now() });
      return;
    }
    clearInterval(progress);
    void (async () => {
      await Promise.all(consumers.map((c) => c.close()));
      await driver.close?.();
      await sink.close();
      finishing = true;
      const final: SchemasChildMessage = { type: 'final', done, latenciesMs, maxRssBytes: process.resourceUsage().maxRSS * 1024, errors };
      process.send?.(final, undefined, undefined, () => process.disconnect());
    })();
  });
}

main().catch((err: unknown) => {
  finishing = true;
  process.exitCode = 1;
  process.send?.({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies SchemasChildMessage, undefined, undefined, () => process.disconnect());
});
