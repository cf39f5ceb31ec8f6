import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BatchConsumer, DeadLetterQueue, Producer, type BatchConsumerOptions, type BatchExecutor, type Row, type Schema } from '../../src/index.js';
import { atScale, recordFigures, since, type ChaosFigures } from './chaos-figures.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from './redis.js';

/**
 * The driver of the MariaDB, SQLite, Redis-sink and custom-executor fault scenarios: submit keyed
 * requests (1% poison) at a steady rate through a real Producer and BatchConsumer, break the sink
 * in the middle, clear the fault, wait for the drain, and score the run by the rule under test:
 * the DLQ is for bad data, never for a sick sink.
 */

/** Every 100th request (id % 100 === 42) is poison: bad data the sink rightly refuses. */
export const isPoison = (id: number): boolean => id % 100 === 42;

/** What a fault callback reports: when the fault began and when it was cleared (performance.now()). */
export interface FaultWindow {
  startedAt: number;
  clearedAt: number;
}

/** One fault scenario against one sink. */
export interface SinkFaultScenario {
  /** Figures row name, e.g. `mariadb read_only (1290)`. */
  scenario: string;
  /** Short label for queue prefixes. */
  label: string;
  schema: Schema;
  executor: BatchExecutor;
  /** Requests submitted (ids 0..n-1), about 1% poison. */
  n: number;
  /** The request for id `id`; `poison` says whether it must be the bad kind. */
  row(id: number, poison: boolean): Row;
  /** Reads back the sink: the id of every stored good request, one entry per stored copy. */
  storedIds(): Promise<number[]>;
  /** The id a DLQ entry's encoded request carries. */
  idOfEntry(request: unknown): number;
  /** Breaks the sink, keeps it broken, clears it; resolves once cleared. Called after `warmupMs`. */
  fault(): Promise<FaultWindow>;
  /** Healthy time before the fault. @defaultValue 3000 */
  warmupMs?: number;
  /** Submissions are spread over this long (so they continue through the fault). */
  submitMs: number;
  /** Extra consumer options (flushSize, breaker timing, …). */
  consumer?: Partial<Omit<BatchConsumerOptions, 'connection' | 'schema' | 'executor' | 'prefix'>>;
  /** Extra checks after the drain, each a named number (e.g. a counter's drift) shown in the notes. */
  extra?(): Promise<Record<string, number>>;
  /** Redis URL of the queue. @defaultValue REDIS_URL */
  redisUrl?: string;
  /** How long to wait for the drain after the fault clears. @defaultValue 120 s (ci: 60 s) */
  drainTimeoutMs?: number;
}

/** What a run measured, by the rule's figures. */
export interface SinkFaultResult {
  submitted: number;
  poisonInjected: number;
  goodDeadLettered: number;
  poisonDeadLettered: number;
  lost: number;
  duplicates: number;
  breakerOpened: boolean;
  /** Seconds from the fault clearing to the first commit after it (Infinity when none came). */
  recoverySeconds: number;
  drained: boolean;
  /** Dead-letter entries of good requests: class / errorCode, for the failure message. */
  goodDeadLetterCodes: string[];
  extra: Record<string, number>;
  figures: ChaosFigures;
}

/** Runs one scenario, records its figures row and returns the result; the caller asserts. */
export async function runSinkFault(s: SinkFaultScenario): Promise<SinkFaultResult> {
  const redisUrl = s.redisUrl ?? REDIS_URL;
  const prefix = uniquePrefix(s.label);
  const producer = new Producer({ connection: redisUrl, schemas: [s.schema], prefix });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(s.schema.name, { connection: redis, prefix });
  queue.on('error', () => {});
  const dlq = new DeadLetterQueue(s.schema.name, redis, prefix);
  const consumer = new BatchConsumer({
    connection: redisUrl,
    schema: s.schema,
    executor: s.executor,
    prefix,
    flushSize: 200,
    flushIntervalMs: 100,
    ...s.consumer,
  });
  const breaker: Array<{ state: string; at: number }> = [];
  const commits: number[] = [];
  consumer.on('breaker', ({ state }) => breaker.push({ state, at: performance.now() }));
  consumer.on('batch:committed', () => commits.push(performance.now()));
  consumer.on('error', () => {});
  const poisonIds = Array.from({ length: s.n }, (_, id) => id).filter(isPoison);
  const started = performance.now();
  try {
    await consumer.waitUntilReady();
    // Steady submission through the whole run, fault included.
    const chunk = Math.max(1, Math.ceil(s.n / (s.submitMs / 100)));
    let submitError: unknown;
    const submitting = (async () => {
      for (let from = 0; from < s.n; from += chunk) {
        const rows = Array.from({ length: Math.min(chunk, s.n - from) }, (_, i) => s.row(from + i, isPoison(from + i)));
        await producer.submitMany(s.schema, rows);
        await sleep(100);
      }
    })().catch((err: unknown) => (submitError = err));
    await sleep(s.warmupMs ?? 3000);
    const window = await s.fault();
    const gotCommit = await waitFor(() => commits.some((t) => t > window.clearedAt), 30_000, 10);
    const firstCommit = commits.find((t) => t > window.clearedAt);
    await submitting;
    if (submitError) throw submitError;
    const drainTimeoutMs = s.drainTimeoutMs ?? atScale(120_000, 60_000);
    const drained = await waitFor(
      async () => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        // Every request accounted for (stored, or dead-lettered rightly or not) and nothing pending.
        return Object.values(counts).every((c) => c === 0) && (await dlq.count()) + new Set(await s.storedIds()).size >= s.n;
      },
      drainTimeoutMs,
      250,
    );
    const durationMs = since(started);
    await sleep(500); // a straggling DLQ write would still count

    const stored = await s.storedIds();
    const distinct = new Set(stored);
    const records = await dlq.list();
    const poisonSet = new Set(poisonIds);
    const deadIds = records.map((r) => s.idOfEntry(r.entry.request));
    const goodDead = records.filter((_, k) => !poisonSet.has(deadIds[k] as number));
    const poisonDead = new Set(deadIds.filter((id) => poisonSet.has(id)));
    // Lost: a good request neither in the sink nor in the DLQ (a dead-lettered one is counted apart).
    const deadSet = new Set(deadIds);
    const lost = Array.from({ length: s.n }, (_, id) => id).filter((id) => !poisonSet.has(id) && !distinct.has(id) && !deadSet.has(id)).length;
    const extra = (await s.extra?.()) ?? {};
    const breakerOpened = breaker.some((b) => b.state === 'open' && b.at >= window.startedAt);
    const recoverySeconds = gotCommit && firstCommit !== undefined ? (firstCommit - window.clearedAt) / 1000 : Number.POSITIVE_INFINITY;
    const result: Omit<SinkFaultResult, 'figures'> = {
      submitted: s.n,
      poisonInjected: poisonIds.length,
      goodDeadLettered: goodDead.length,
      poisonDeadLettered: poisonDead.size,
      lost,
      duplicates: stored.length - distinct.size,
      breakerOpened,
      recoverySeconds,
      drained,
      goodDeadLetterCodes: [...new Set(goodDead.map((r) => `${r.entry.class}/${r.entry.errorCode ?? r.entry.reason}`))],
      extra,
    };
    const faultSeconds = ((window.clearedAt - window.startedAt) / 1000).toFixed(1);
    const figures: ChaosFigures = {
      scenario: s.scenario,
      submitted: s.n,
      landed: distinct.size,
      duplicates: result.duplicates,
      deadLettered: records.length,
      faults: 1,
      durationMs,
      notes: [
        `fault ${faultSeconds} s`,
        `good DLQ'd ${result.goodDeadLettered}${result.goodDeadLetterCodes.length ? ` (${result.goodDeadLetterCodes.join(', ')})` : ''}`,
        `poison DLQ'd ${result.poisonDeadLettered}/${result.poisonInjected}`,
        `lost ${lost}`,
        `dup ${result.duplicates}`,
        `breaker opened ${breakerOpened ? 'yes' : 'no'}`,
        `recovery ${Number.isFinite(recoverySeconds) ? recoverySeconds.toFixed(2) : 'none'} s`,
        ...Object.entries(extra).map(([k, v]) => `${k} ${v}`),
        ...(drained ? [] : ['NOT drained']),
      ].join('; '),
    };
    recordFigures(figures);
    return { ...result, figures };
  } finally {
    await consumer.close().catch(() => {});
    await Promise.allSettled([producer.close(), queue.close(), dlq.close()]);
    redis.disconnect();
    if (redisUrl === REDIS_URL) await deletePrefix(prefix);
  }
}

/** The assertions every scenario shares, in the order of the rule. */
export function ruleViolations(r: SinkFaultResult): string[] {
  const out: string[] = [];
  if (r.goodDeadLettered !== 0) out.push(`${r.goodDeadLettered} good requests dead-lettered (${r.goodDeadLetterCodes.join(', ')})`);
  if (r.poisonDeadLettered !== r.poisonInjected) out.push(`poison dead-lettered ${r.poisonDeadLettered} of ${r.poisonInjected}`);
  if (r.lost !== 0) out.push(`${r.lost} good requests lost`);
  if (r.duplicates !== 0) out.push(`${r.duplicates} duplicates`);
  if (!(r.recoverySeconds <= 5)) out.push(`first commit ${r.recoverySeconds} s after the fault cleared (limit 5 s)`);
  if (!r.drained) out.push('the queue did not drain');
  for (const [k, v] of Object.entries(r.extra)) if (k.endsWith('drift') && v !== 0) out.push(`${k} = ${v}`);
  return out;
}
