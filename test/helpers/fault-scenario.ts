// The shared driver of the real-fault chaos scenarios (issue 9), generic over the sink: submit
// keyed rows with 1% poison through a real Producer and BatchConsumer, break the sink mid-run,
// clear the fault, wait for the drain, then score the run by the rule under test — the DLQ is for
// bad data, never for a sick sink — record one figures row, and assert.
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { BatchConsumer, DeadLetterQueue, Producer, type BatchConsumerOptions, type BatchExecutor, type Row, type Schema } from '../../src/index.js';
import { decodeValue } from '../../src/core/codec.js';
import { atScale, recordFigures, since, type ChaosFigures, type FaultFigures } from './chaos-figures.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from './redis.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';

/** The default poison pattern: 1% of the rows (index % 100 === 42). */
export const onePercentPoison = (index: number): boolean => index % 100 === 42;

/** Limit of the rule: seconds from a fault clearing to the first commit after it. */
export const RECOVERY_LIMIT_SECONDS = 5;

/** What a fault callback can do while the scenario runs. */
export interface FaultContext {
  /**
   * Marks the fault as in effect from now. The first phase opens when the callback starts: calling
   * `down()` before that phase is cleared moves its start to now (say, once a disk is really full);
   * after `cleared()` it opens the next phase.
   */
  down(): void;
  /** Marks the fault (phase) as cleared now: recovery is measured from here. Call once per phase. */
  cleared(): void;
  /** Rows committed so far (sum of `batch:committed` sizes). */
  committedRows(): number;
  /** Rows submitted so far. */
  submittedRows(): number;
}

/** One real-fault scenario against one sink. */
export interface FaultScenario {
  /** Figures row name, e.g. `PG table lock held 20 s`. */
  scenario: string;
  /** Short label for the queue prefix (letters, digits, `_`). */
  label: string;
  schema: Schema;
  /** Creates the sink's executor; the scenario closes it at the end (if it has `close()`). */
  executor: () => BatchExecutor;
  /** The row at `index` (0, 1, 2, …); `poison` says whether it must be one the sink rightly refuses. */
  row(index: number, poison: boolean): Row;
  /** Which indexes are poison. @defaultValue {@link onePercentPoison} */
  isPoison?(index: number): boolean;
  /**
   * Every key stored in the sink, one entry per stored row (a key twice is a duplicate). Keys are
   * compared as strings: `String(row[keyColumn])`.
   */
  readKeys(): Promise<readonly string[]>;
  /** The column identifying a row. @defaultValue the schema's first key (SQL schemas), else its first column */
  keyColumn?: string;
  /**
   * Breaks the sink, keeps it broken, clears it; must restore the sink even when it throws (use
   * `finally`). Called `leadMs` after submission starts. Mark phases with `ctx.down()` /
   * `ctx.cleared()`; without `cleared()`, the fault counts as cleared when the callback resolves.
   */
  fault(ctx: FaultContext): Promise<void>;
  /** Healthy time before the fault. @defaultValue 3000 */
  leadMs?: number;
  /** Submission goes on this long after the fault cleared, so a recovery has rows to commit. @defaultValue 2000 */
  tailMs?: number;
  /** Submission rate, in rows per second (chunks every 100 ms). @defaultValue 1000 (ci: 500) */
  rowsPerSecond?: number;
  /** Whether the breaker must have opened (set it for faults longer than a few seconds). @defaultValue false */
  expectBreakerOpen?: boolean;
  /** Extra consumer options (flushSize, breaker timing, …). @defaultValue flushSize 200, flushIntervalMs 100 */
  consumer?: Partial<Omit<BatchConsumerOptions, 'connection' | 'schema' | 'executor' | 'prefix'>>;
  /** Redis of the queue. @defaultValue REDIS_URL (the shared one; keys deleted at the end) */
  redisUrl?: string;
  /** Longest wait for the drain after submission ends. @defaultValue 90 s (ci: 60 s) */
  drainTimeoutMs?: number;
}

/** What a run measured. */
export interface FaultScenarioResult {
  /** The figures by the rule (also in `figures.fault`). */
  fault: FaultFigures;
  submitted: number;
  /** Distinct keys in the sink. */
  landed: number;
  duplicates: number;
  /** Every DLQ entry, good and poison. */
  deadLettered: number;
  /** Good rows in the DLQ, as `class/reason/errorCode` → count. */
  goodDeadLetteredBy: Record<string, number>;
  /** Seconds from each clearing to the first commit after it (null: none came). */
  recoveries: Array<number | null>;
  /**
   * Rows of `batch:committed` events fired while a fault phase was in effect. Only a hint that the
   * fault was real: one event covers a whole flush, so a flush that straddles the fault's start
   * (half committed before it, its poison row dead-lettered during it) counts here too.
   */
  committedDuringFault: number;
  /** Errors the executor threw (execute and ping), as `reason/code` → count. */
  errorsSeen: Record<string, number>;
  /** Breaker `open` events, with the hold cause the breaker reported. */
  breakerOpens: string[];
  /** Jobs in the main queue's failed set (BullMQ gave up on them). */
  failedJobs: number;
  drained: boolean;
  figures: ChaosFigures;
}

/**
 * Runs one scenario: records its figures row (before asserting, so a failing run still shows what
 * it measured), asserts the rule with `expect.soft` (every broken figure is reported, not just the
 * first), and returns the result for scenario-specific checks.
 *
 * @example
 * ```ts
 * await runFaultScenario({ scenario: 'PG read-only 15 s', label: 'ro', schema, executor: () => new PostgresDriver({ connectionString }),
 *   row: (i, poison) => ({ id: BigInt(i), name: `row ${i}`, score: poison ? -1 : i % 1000 }), readKeys,
 *   fault: async (ctx) => { await setReadOnly(true); try { await sleep(15_000) } finally { await setReadOnly(false) } },
 *   expectBreakerOpen: true });
 * ```
 */
export async function runFaultScenario(s: FaultScenario): Promise<FaultScenarioResult> {
  const result = await measureFaultScenario(s);
  assertFaultRule(result, s.expectBreakerOpen ?? false);
  return result;
}

/** Runs one scenario and records its figures row, without asserting. */
export async function measureFaultScenario(s: FaultScenario): Promise<FaultScenarioResult> {
  const redisUrl = s.redisUrl ?? REDIS_URL;
  const isPoison = s.isPoison ?? onePercentPoison;
  const keyColumn = s.keyColumn ?? (s.schema as { keys?: readonly string[] }).keys?.[0] ?? (s.schema.columns[0] as string);
  const prefix = uniquePrefix(s.label);
  const errorsSeen: Record<string, number> = {};
  const executor = observed(s.executor(), errorsSeen);
  const producer = new Producer({ connection: redisUrl, schemas: [s.schema], prefix });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(s.schema.name, { connection: redis, prefix: queueKeyPrefix(prefix, s.schema.name) });
  queue.on('error', () => undefined);
  const dlq = new DeadLetterQueue(s.schema.name, redis, prefix);
  const consumer = new BatchConsumer({ connection: redisUrl, schema: s.schema, executor, prefix, flushSize: 200, flushIntervalMs: 100, ...s.consumer });

  const commits: Array<{ at: number; size: number }> = [];
  const breakerOpens: Array<{ at: number; cause: string }> = [];
  consumer.on('batch:committed', ({ size }) => void (size > 0 && commits.push({ at: performance.now(), size })));
  consumer.on('breaker', (event) => {
    if (event.state !== 'open') return;
    const { reason, errorCode } = event as { reason?: string | null; errorCode?: string | null };
    breakerOpens.push({ at: performance.now(), cause: [reason, errorCode].filter(Boolean).join('/') || '?' });
  });
  consumer.on('error', () => undefined); // Redis-side hiccups are not the subject here

  const goodKeys: string[] = [];
  const poisonKeys: string[] = [];
  const phases: Array<{ down: number; cleared: number | undefined }> = [];
  let submitting = true;
  const started = performance.now();
  try {
    await consumer.waitUntilReady();
    const rate = s.rowsPerSecond ?? atScale(1000, 500);
    const perTick = Math.max(1, Math.round(rate / 10));
    const submitter = (async () => {
      for (let next = 0; submitting; ) {
        const rows: Row[] = [];
        for (const end = next + perTick; next < end; next++) {
          const poison = isPoison(next);
          const row = s.row(next, poison);
          (poison ? poisonKeys : goodKeys).push(String(row[keyColumn]));
          rows.push(row);
        }
        await producer.submitMany(s.schema, rows);
        await sleep(100);
      }
    })();
    submitter.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled

    await sleep(s.leadMs ?? 3000);
    const ctx: FaultContext = {
      down: () => {
        const open = phases.at(-1);
        if (open && open.cleared === undefined) open.down = performance.now();
        else phases.push({ down: performance.now(), cleared: undefined });
      },
      cleared: () => {
        const open = phases.at(-1);
        if (open && open.cleared === undefined) open.cleared = performance.now();
        else phases.push({ down: performance.now(), cleared: performance.now() });
      },
      committedRows: () => commits.reduce((sum, c) => sum + c.size, 0),
      submittedRows: () => goodKeys.length + poisonKeys.length,
    };
    ctx.down();
    try {
      await s.fault(ctx);
    } finally {
      const last = phases.at(-1);
      if (last && last.cleared === undefined) last.cleared = performance.now();
    }
    await sleep(s.tailMs ?? 2000);
    submitting = false;
    await submitter;

    const pending = async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0);
    let idle = 0;
    // Drained: nothing pending on two polls in a row (every job committed or dead-lettered, or failed).
    const drained = await waitFor(async () => ((await pending()) === 0 ? ++idle >= 2 : ((idle = 0), false)), s.drainTimeoutMs ?? atScale(90_000, 60_000), 250);
    const durationMs = since(started);

    const stored = await s.readKeys();
    const inSink = new Set(stored);
    const records = await dlq.list();
    const poisonSet = new Set(poisonKeys);
    const deadKeys = records.map((r) => String(decodeValue((r.entry.request as Record<string, unknown>)[keyColumn])));
    const goodDeadLetteredBy: Record<string, number> = {};
    records.forEach((r, k) => {
      if (poisonSet.has(deadKeys[k] as string)) return;
      const tag = `${r.entry.class}/${r.entry.reason}/${r.entry.errorCode ?? '-'}`;
      goodDeadLetteredBy[tag] = (goodDeadLetteredBy[tag] ?? 0) + 1;
    });
    const deadSet = new Set(deadKeys);
    const goodDead = new Set(deadKeys.filter((key) => !poisonSet.has(key)));
    const recoveries = phases.map(({ cleared }) => {
      const first = commits.find((c) => c.at > (cleared as number));
      return first === undefined ? null : round2((first.at - (cleared as number)) / 1000);
    });
    const committedDuringFault = commits.filter((c) => phases.some((p) => c.at > p.down && c.at < (p.cleared as number))).reduce((sum, c) => sum + c.size, 0);
    const fault: FaultFigures = {
      sink: executor.sink,
      goodDeadLettered: goodDead.size,
      poisonDeadLettered: new Set(deadKeys.filter((key) => poisonSet.has(key))).size,
      poisonInjected: poisonKeys.length,
      // Lost: neither in the sink nor in the DLQ (a dead-lettered good row is counted above, not here).
      lost: goodKeys.filter((key) => !inSink.has(key) && !deadSet.has(key)).length,
      breakerOpened: breakerOpens.length > 0,
      recoverySeconds: recoveries.includes(null) ? null : Math.max(0, ...(recoveries as number[])),
    };
    const duplicates = stored.length - inSink.size;
    const failedJobs = (await queue.getJobCounts('failed')).failed ?? 0;
    const faultSeconds = phases.map((p) => ((p.cleared as number) - p.down) / 1000);
    const notes = [
      `fault ${faultSeconds.map((x) => x.toFixed(1)).join(' + ')} s`,
      `good DLQ'd ${fault.goodDeadLettered}${fault.goodDeadLettered ? ` (${tally(goodDeadLetteredBy)})` : ''}`,
      `poison DLQ'd ${fault.poisonDeadLettered}/${fault.poisonInjected}`,
      `lost ${fault.lost}`,
      `dup ${duplicates}`,
      `breaker opened ${fault.breakerOpened ? `yes (${[...new Set(breakerOpens.map((b) => b.cause))].join(', ')})` : 'no'}`,
      `recovery ${recoveries.map((r) => (r === null ? 'none' : `${r.toFixed(2)} s`)).join(', ')}`,
      `commit events during fault ${committedDuringFault} rows`,
      `errors seen: ${tally(errorsSeen) || 'none'}`,
      ...(failedJobs ? [`failed jobs ${failedJobs}`] : []),
      ...(drained ? [] : ['NOT drained']),
    ].join('; ');
    const figures: ChaosFigures = {
      scenario: s.scenario,
      submitted: goodKeys.length + poisonKeys.length,
      landed: inSink.size,
      duplicates,
      deadLettered: records.length,
      faults: phases.length,
      durationMs,
      notes,
      fault,
    };
    recordFigures(figures);
    return {
      fault,
      submitted: figures.submitted,
      landed: inSink.size,
      duplicates,
      deadLettered: records.length,
      goodDeadLetteredBy,
      recoveries,
      committedDuringFault,
      errorsSeen,
      breakerOpens: breakerOpens.map((b) => b.cause),
      failedJobs,
      drained,
      figures,
    };
  } finally {
    submitting = false;
    // Bounded: a consumer stuck behind a broken sink must not keep the scenario from cleaning up.
    await Promise.race([consumer.close().catch(() => undefined), sleep(20_000)]);
    await Promise.allSettled([executor.close?.(), producer.close(), queue.close(), dlq.close()]);
    redis.disconnect();
    if (redisUrl === REDIS_URL) await deletePrefix(prefix);
  }
}

/** The rule, figure by figure, as soft assertions (each broken figure is reported). */
export function assertFaultRule(r: FaultScenarioResult, expectBreakerOpen: boolean): void {
  const f = r.fault;
  const notes = r.figures.notes ?? '';
  expect.soft(r.drained, `the queue drained (${notes})`).toBe(true);
  expect.soft(f.goodDeadLettered, `good rows dead-lettered (${tally(r.goodDeadLetteredBy)})`).toBe(0);
  expect.soft(f.poisonDeadLettered, 'poison rows dead-lettered').toBe(f.poisonInjected);
  expect.soft(r.deadLettered - f.goodDeadLettered, 'one DLQ entry per poison row').toBe(f.poisonInjected);
  expect.soft(f.lost, 'good rows lost').toBe(0);
  expect.soft(r.duplicates, 'duplicate rows').toBe(0);
  expect.soft(r.failedJobs, 'jobs in the failed set').toBe(0);
  if (expectBreakerOpen) expect.soft(f.breakerOpened, 'breaker opened').toBe(true);
  for (const [k, seconds] of r.recoveries.entries()) {
    expect.soft(seconds, `phase ${k + 1}: a commit after the fault cleared`).not.toBeNull();
    expect.soft(seconds ?? Infinity, `phase ${k + 1}: seconds from clearing to the first commit`).toBeLessThanOrEqual(RECOVERY_LIMIT_SECONDS);
  }
}

/** Wraps an executor to count the errors it throws, by `reason/code`, without changing them. */
function observed(inner: BatchExecutor, seen: Record<string, number>): BatchExecutor {
  const note = (err: unknown): never => {
    const e = err as { reason?: string; sinkCode?: string; code?: string; cause?: { code?: string } };
    const tag = `${e.reason ?? 'raw'}/${e.sinkCode ?? e.code ?? e.cause?.code ?? '-'}`;
    seen[tag] = (seen[tag] ?? 0) + 1;
    throw err;
  };
  return {
    sink: inner.sink,
    execute: (schema, requests, signal) => inner.execute(schema, requests, signal).catch(note),
    ...(inner.ping && { ping: (signal?: AbortSignal) => (inner.ping as NonNullable<BatchExecutor['ping']>).call(inner, signal).catch(note) }),
    ...(inner.close && { close: () => (inner.close as NonNullable<BatchExecutor['close']>).call(inner) }),
  };
}

function tally(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}×${n}`)
    .join(', ');
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
