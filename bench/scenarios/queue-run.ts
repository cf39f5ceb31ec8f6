import type { ChildStats, ConsumerChildConfig } from '../child/protocol.js';
import { spawnConsumer, type ConsumerHandle } from '../child/spawn-consumer.js';
import { scenarioNames, type BenchContext } from '../context.js';
import { busyShare, readMachineCpu } from '../machine-cpu.js';
import { scenarioProgress } from '../progress.js';
import { summarizeLeftKeys, type ScenarioKind, type ScenarioResult } from '../result.js';
import type { BenchSink } from '../bench-sinks.js';

/** The producer side of a queue scenario: prepared (connected) before the clock starts. */
export interface ScenarioProducer {
  /** Submits every row; resolves when the last submit is stored. */
  run(): Promise<void>;
  close(): Promise<void>;
}

/** A scenario in which a producer (this process) feeds a consumer (a child process) through BullMQ. */
export interface QueueScenarioSpec {
  readonly kind: ScenarioKind;
  /** Null for the sink-independent no-op worker. */
  readonly sink: BenchSink | null;
  readonly description: string;
  readonly rows: number;
  readonly consumer: Pick<ConsumerChildConfig, 'kind' | 'concurrency' | 'recordLatency' | 'partitions' | 'clusterNodes' | 'queuePostgres' | 'wide'> & { rssMarks?: readonly number[]; defaults?: boolean; exactlyOnce?: boolean; flushSize?: number | 'auto' };
  producer(target: string, prefix: string): ScenarioProducer;
  /** Creates the target when it is not the sink's own table (the wide scenario's). @defaultValue `sink.create` */
  readonly create?: (target: string) => Promise<void>;
  /**
   * Drain: the producer fills the queue before the consumer starts, and the clock (and every CPU
   * figure) covers only the consumer draining it alone.
   */
  readonly fillFirst?: boolean;
}

/** What a queue scenario measured beyond its {@link ScenarioResult}. */
export interface QueueRunExtras {
  readonly stats: ChildStats;
  /** Rows the consumer had committed when the producer's last submit resolved (the flood's end). */
  readonly doneWhenEnqueued: number;
}

/** Seconds without progress after which a scenario is declared stuck. */
const STALL_SECONDS = 60;

/**
 * Runs one queue scenario end to end: create the target, start the consumer child, start the
 * clock, produce, wait until the child reports the last row committed, stop the child, verify
 * with the sink's own count, and drop the target and the scenario's Redis keys.
 */
export async function runQueueScenario(ctx: BenchContext, spec: QueueScenarioSpec): Promise<{ result: ScenarioResult } & QueueRunExtras> {
  const { target, prefix } = scenarioNames(ctx, spec.sink?.name ?? null, spec.kind);
  const o = ctx.options;
  const producer = spec.producer(target, prefix);
  let consumer: ConsumerHandle | undefined;
  const bar = scenarioProgress(`${spec.sink?.name ?? 'bullmq'} ${spec.kind}`, spec.rows);
  try {
    await (spec.create ? spec.create(target) : spec.sink?.create(target));
    const config: ConsumerChildConfig = {
      ...spec.consumer,
      rssMarks: spec.consumer.rssMarks ?? [],
      sink: spec.sink?.name ?? 'redis', // the no-op worker never touches its sink; any name will do
      urls: ctx.urls,
      target,
      prefix,
      expected: spec.rows,
      flushSize: spec.consumer.flushSize ?? o.flushSize,
      flushIntervalMs: o.flushIntervalMs,
    };
    const memoryBefore = await ctx.admin.usedMemory();
    if (spec.fillFirst) await producer.run();
    consumer = await spawnConsumer(config, o.cpuProfDir);
    const redisCpuBefore = await ctx.admin.cpuSeconds();
    const producerCpuBefore = process.cpuUsage();
    const machineBefore = readMachineCpu();
    const startedMs = Date.now();
    let enqueuedMs = 0;
    let doneWhenEnqueued = 0;
    const running = consumer;
    const producing = (spec.fillFirst ? Promise.resolve() : producer.run()).then(() => {
      enqueuedMs = Date.now();
      doneWhenEnqueued = running.done();
    });
    const reachedMs = await watch(consumer, producing, bar.update);
    await producing;
    const producerCpu = process.cpuUsage(producerCpuBefore);
    const machineCpuBusy = busyShare(machineBefore, readMachineCpu());
    const redisCpuSeconds = (await ctx.admin.cpuSeconds()) - redisCpuBefore;
    const stats = await consumer.stop();
    consumer = undefined;
    const rowsVerified = spec.sink ? await spec.sink.count(target) : stats.done;
    // The Redis sink's rows live in the same Redis: they are output, not queue memory.
    await spec.sink?.drop(target);
    const memoryAfter = await ctx.admin.usedMemory();
    const leftKeys = await ctx.admin.keysUnder(prefix);
    const seconds = (reachedMs - startedMs) / 1000;
    const result: ScenarioResult = {
      kind: spec.kind,
      sink: spec.sink?.name ?? null,
      description: spec.description,
      rowsSubmitted: spec.rows,
      rowsVerified,
      verifiedBy: spec.sink ? spec.sink.countMethod : 'jobs completed (Worker "completed" events)',
      seconds,
      rowsPerSecond: spec.rows / seconds,
      enqueueSeconds: (enqueuedMs - startedMs) / 1000,
      redisCpuSeconds,
      producerCpuSeconds: (producerCpu.user + producerCpu.system) / 1e6,
      machineCpuBusy,
      consumer: { maxRssBytes: stats.maxRssBytes, cpuUserMs: stats.cpuUserMs, cpuSystemMs: stats.cpuSystemMs, deadLettered: stats.deadLettered, errors: stats.errors },
      ...(spec.consumer.flushSize !== undefined && { flushSize: spec.consumer.flushSize, flushSizes: summarizeSizes(stats.flushSizes) }),
      redisMemory: summarizeLeftKeys(memoryBefore, memoryAfter, leftKeys),
    };
    return { result, stats, doneWhenEnqueued };
  } finally {
    bar.stop();
    consumer?.kill();
    await producer.close().catch(() => undefined);
    await spec.sink?.drop(target).catch(() => undefined);
    await ctx.admin.deletePrefix(prefix);
  }
}

/** The flush sizes a consumer reported: where it started, its largest, where it ended, and how often it changed. */
function summarizeSizes(sizes: readonly number[]): NonNullable<ScenarioResult['flushSizes']> {
  const first = sizes[0] ?? NaN;
  return { first, max: sizes.reduce((a, b) => Math.max(a, b), first), last: sizes.at(-1) ?? NaN, changes: Math.max(0, sizes.length - 1) };
}

/** Waits for the consumer to commit every row, updating the bar; fails on a producer error or a stall. */
async function watch(consumer: ConsumerHandle, producing: Promise<unknown>, update: (done: number) => void): Promise<number> {
  let lastDone = -1;
  let lastChange = Date.now();
  let finished: number | undefined;
  consumer.reached.then((at) => (finished = at), () => undefined);
  const producerFailed = producing.then(() => new Promise<never>(() => undefined));
  for (;;) {
    await Promise.race([consumer.reached, producerFailed, new Promise((resolve) => setTimeout(resolve, 250))]);
    update(consumer.done());
    if (finished !== undefined) return finished;
    if (consumer.done() !== lastDone) {
      lastDone = consumer.done();
      lastChange = Date.now();
    } else if (Date.now() - lastChange > STALL_SECONDS * 1000) {
      throw new Error(`no progress for ${STALL_SECONDS} s at ${lastDone} rows`);
    }
  }
}
