import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Producer } from '../../src/index.js';
import { BATCH_CONSUMER_DEFAULTS } from '../../src/queue/consumer/batch-consumer-options.js';
import type { SchemasChildConfig, SchemasChildMessage, SchemasParentMessage } from '../child/schemas-child.js';
import { scenarioNames, type BenchContext } from '../context.js';
import type { ScenarioResult } from '../result.js';
import { makeRow } from '../rows.js';
import type { BenchSink } from '../bench-sinks.js';
import { percentile } from '../stats.js';

/** The shape of the `schemas` scenario (issue 21, "many schemas are cheap"). */
export const SCHEMAS_BENCH = Object.freeze({
  /** Schemas (tables) served by the one worker process. */
  schemas: 50,
  /** Requests per second submitted to each schema in the low-rate phase. */
  ratePerSchema: 2,
  /** Quiet window over which idle CPU is measured, after a settling pause; quick runs use the short one. */
  idleSeconds: 20,
  quickIdleSeconds: 5,
  settleSeconds: 3,
});

/** What the `schemas` scenario measured. */
export interface SchemasMeasurements {
  readonly schemas: number;
  /** CPU the idle worker used over the quiet window, as a share of one core (0–1). */
  readonly idleCpuShare: number;
  readonly idleSeconds: number;
  /** Redis connections the worker process held while idle (CLIENT LIST, by the scenario's client names). */
  readonly redisConnections: number;
  /** RSS of the idle worker after the quiet window. */
  readonly idleRssBytes: number;
  readonly ratePerSchema: number;
  /** The consumers' `flushIntervalMs` (their default): the latency target's base. */
  readonly flushIntervalMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

const CHILD = fileURLToPath(new URL('../child/schemas-child.js', import.meta.url));

/**
 * One worker process with {@link SCHEMAS_BENCH.schemas} default consumers (one table each) and one
 * executor: first idle (CPU over a quiet window, Redis connections, RSS), then a low rate on every
 * schema at once for `latencySeconds` (p99 submit→commit). Verified by counting every table.
 */
export async function runSchemas(ctx: BenchContext, sink: BenchSink): Promise<ScenarioResult> {
  const { prefix } = scenarioNames(ctx, sink.name, 'schemas');
  const n = SCHEMAS_BENCH.schemas;
  const targets = Array.from({ length: n }, (_, i) => `${prefix}_${i}`);
  const idleSeconds = ctx.options.quick ? SCHEMAS_BENCH.quickIdleSeconds : SCHEMAS_BENCH.idleSeconds;
  const rate = SCHEMAS_BENCH.ratePerSchema;
  const perSchema = rate * ctx.options.latencySeconds;
  const rows = perSchema * n;
  const admin = new Redis(ctx.urls.redisUrl);
  const producer = new Producer({ connection: ctx.urls.redisUrl, schemas: targets.map((t) => sink.schema(t)), prefix });
  let child: ReturnType<typeof fork> | undefined;
  try {
    for (const target of targets) await sink.create(target);
    const config: SchemasChildConfig = { sink: sink.name, urls: ctx.urls, prefix, targets, connectionName: `${prefix}:worker` };
    const execArgv = ctx.options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.options.cpuProfDir}`, `--cpu-prof-name=schemas-${sink.name}.cpuprofile`] : [];
    child = fork(CHILD, [JSON.stringify(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker = talk(child);
    await worker.next('ready');
    await sleep(SCHEMAS_BENCH.settleSeconds * 1000);
    const before = await worker.sample();
    await sleep(idleSeconds * 1000);
    const after = await worker.sample();
    const idleCpuShare = (after.cpuMicros - before.cpuMicros) / 1000 / (after.atMs - before.atMs);
    const redisConnections = await connectionsNamed(admin, prefix);

    // Low rate on every schema at once, spread evenly over each second.
    const started = performance.now();
    const pending: Promise<void>[] = [];
    let sent = 0;
    while (sent < rows) {
      const due = Math.min(rows, Math.floor(((performance.now() - started) / 1000) * rate * n));
      for (; sent < due; sent++) {
        const target = targets[sent % n] as string;
        pending.push(producer.submit(sink.schema(target), sink.toRequestRow(makeRow(Math.floor(sent / n)), target)));
      }
      await sleep(5);
    }
    await Promise.all(pending);
    const submitSeconds = (performance.now() - started) / 1000;
    const deadline = Date.now() + 60_000;
    while (worker.done() < rows && Date.now() < deadline) await sleep(100);
    const final = await worker.stop();
    child = undefined;
    let rowsVerified = 0;
    for (const target of targets) rowsVerified += await sink.count(target);
    const samples = final.latenciesMs;
    if (final.errors.length > 0) process.stderr.write(`schemas: worker errors: ${final.errors.join('; ')}\n`);
    return {
      kind: 'schemas',
      sink: sink.name,
      description: `one worker process, ${n} default BatchConsumers (one table each) sharing one executor; idle ${idleSeconds} s, then ${rate} submit()/s on every schema for ${ctx.options.latencySeconds} s`,
      rowsSubmitted: rows,
      rowsVerified,
      verifiedBy: `${sink.countMethod} of every table`,
      seconds: submitSeconds,
      rowsPerSecond: rows / submitSeconds,
      consumer: { maxRssBytes: final.maxRssBytes, cpuUserMs: 0, cpuSystemMs: 0, deadLettered: 0, errors: final.errors },
      schemas: {
        schemas: n,
        idleCpuShare,
        idleSeconds: (after.atMs - before.atMs) / 1000,
        redisConnections,
        idleRssBytes: after.rssBytes,
        ratePerSchema: rate,
        flushIntervalMs: BATCH_CONSUMER_DEFAULTS.flushIntervalMs,
        samples: samples.length,
        p50Ms: percentile(samples, 50),
        p99Ms: percentile(samples, 99),
      },
    };
  } finally {
    child?.kill('SIGKILL');
    await producer.close().catch(() => undefined);
    for (const target of targets) await sink.drop(target).catch(() => undefined);
    await ctx.admin.deletePrefix(prefix);
    admin.disconnect();
  }
}

/** Clients whose `CLIENT SETNAME` starts with the scenario's prefix: the worker's own connection and BullMQ's blocking ones. */
async function connectionsNamed(redis: Redis, prefix: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => / name=(\S+)/.exec(line)?.[1]?.startsWith(prefix)).length;
}

/** The parent's side of the child's IPC protocol. */
function talk(child: ReturnType<typeof fork>) {
  let done = 0;
  let failure: Error | undefined;
  const waiters = new Map<string, Array<(m: SchemasChildMessage) => void>>();
  const closed = new Promise<never>((_, reject) => child.on('close', (code) => reject(failure ?? new Error(`schemas worker exited early (code ${code})`))));
  closed.catch(() => undefined);
  child.on('message', (m: SchemasChildMessage) => {
    if (m.type === 'progress') done = m.done;
    if (m.type === 'failed') failure = new Error(`schemas worker failed: ${m.message}`);
    for (const resolve of waiters.get(m.type)?.splice(0) ?? []) resolve(m);
  });
  const next = <T extends SchemasChildMessage['type']>(type: T) =>
    Promise.race([new Promise<Extract<SchemasChildMessage, { type: T }>>((resolve) => waiters.set(type, [...(waiters.get(type) ?? []), resolve as (m: SchemasChildMessage) => void])), closed]);
  const ask = (message: SchemasParentMessage) => child.send(message);
  return {
    next,
    done: () => done,
    async sample() {
      const reply = next('sample');
      ask({ type: 'sample' });
      return reply;
    },
    async stop() {
      const final = next('final');
      ask({ type: 'stop' });
      return final;
    },
  };
}
