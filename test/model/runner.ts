// Runs one model case against a real database, Redis and real consumers: creates the case's table
// and queues, starts its workers, plays its steps through a Producer, waits for quiescence (every
// acknowledged submit committed or dead-lettered), and reports what it observed. Always cleans up.
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Producer, Request } from '../../src/index.js';
import { queueKeyPrefix, schemaQueueNames } from '../../src/queue/queue-names.js';
import { REDIS_URL, deletePrefix } from '../helpers/redis.js';
import type { ModelDb, StoredRow } from './model-db.js';
import { schemaArgs, submitsOf, type Case, type Submit } from './model.js';
import { buildSchema, Workers, type WorkerEvent } from './workers.js';

/** Bounds of one run. */
export interface RunBounds {
  /** Longest wait for quiescence after the last step (and for each `settle`). */
  readonly quiesceMs: number;
  /** A run whose workers neither commit nor dead-letter anything for this long, with jobs pending, is stalled. */
  readonly stallMs: number;
}

/** A DLQ entry as the checker needs it: which request (by `val`), and why. */
export interface DeadLetterSeen {
  readonly val: number | null;
  readonly class: string;
  readonly reason: string;
  readonly errorCode: string | null;
}

/** What a run observed. */
export interface Observation {
  /** Ids whose submit resolved (stored in Redis). */
  readonly acked: ReadonlySet<number>;
  readonly submitErrors: readonly string[];
  /** Whether quiescence came within the bounds, and if not why (`deadline` or `stalled`) and how much was left. */
  readonly quiescence: { readonly reached: boolean; readonly why?: 'deadline' | 'stalled'; readonly pendingJobs: number; readonly waitedMs: number };
  readonly rows: readonly StoredRow[];
  readonly deadLetters: readonly DeadLetterSeen[];
  readonly events: readonly WorkerEvent[];
}

/** Runs `c` on `db`; the returned observation is what the checker judges. */
export async function runCase(c: Case, db: ModelDb, bounds: RunBounds): Promise<Observation> {
  const table = `mdl_${c.dialect.slice(0, 2)}_${randomBytes(4).toString('hex')}`;
  const prefix = `bft_model_${randomBytes(4).toString('hex')}`;
  const args = schemaArgs(table, c.table);
  const schema = buildSchema(args);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queues = schemaQueueNames(schema).map((name) => new Queue(name, { connection: redis, prefix: queueKeyPrefix(prefix, name) }));
  for (const queue of queues) queue.on('error', () => {});
  await db.createTable(table, c.table);
  const workers = new Workers(args, db, prefix, c.workers, c.children);
  const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix, packing: c.packing });
  try {
    await workers.ready();
    const pending = async () => {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed')));
      return counts.flatMap((x) => Object.values(x)).reduce((a, b) => a + b, 0);
    };
    // Parked DLQ entries are `failed` jobs; an entry the DLQ worker is parking is `active` for a moment.
    const parking = async () => (await Promise.all(workers.consumers[0]?.dlqs.map((d) => d.queue.getActiveCount()) ?? [])).reduce((a, b) => a + b, 0);
    // Without kills nothing waits for a lapsed lock, so a stall shows sooner (and shrinking is faster).
    const stallMs = c.steps.some((s) => s.t === 'kill') ? bounds.stallMs : bounds.stallMs / 2;
    const quiesce = () => waitQuiescent(pending, parking, () => workers.progress, { ...bounds, stallMs });

    const submits = submitsOf(c);
    const acked = new Set<number>();
    const submitErrors: string[] = [];
    let next = 0;
    let quiescence: Observation['quiescence'] | undefined;
    for (const step of c.steps) {
      if (step.t === 'kill') await workers.kill(step.child);
      else if (step.t === 'settle') {
        const settled = await quiesce();
        if (!settled.reached) {
          quiescence = settled;
          break;
        }
      } else {
        // Every group's submitMany is called before any is awaited: the versions the producer
        // stamps follow call order, and the jobs reach the queue together.
        const calls = step.groups.map((group) => {
          const mine = submits.slice(next, (next += group.length));
          return submit(producer, schema, mine, acked, submitErrors);
        });
        await Promise.all(calls);
      }
    }
    quiescence ??= await quiesce();
    const rows = await db.read(table, c.table);
    const deadLetters = await readDeadLetters(workers);
    return { acked, submitErrors, quiescence, rows, deadLetters, events: [...workers.events] };
  } finally {
    await producer.close().catch(() => {});
    await workers.close();
    await Promise.allSettled(queues.map((q) => q.close()));
    redis.disconnect();
    await deletePrefix(prefix);
    await db.dropTable(table);
  }
}

async function submit(producer: Producer, schema: ReturnType<typeof buildSchema>, mine: readonly Submit[], acked: Set<number>, errors: string[]): Promise<void> {
  try {
    // Upserts and deletes in one call, in order (a group is one submitMany, as a user mixing them would).
    await producer.submitMany(mine.map((s) => (s.spec.del ? Request.deleteOf(schema, s.values) : Request.fromRow(schema, s.values))));
    for (const s of mine) acked.add(s.id);
  } catch (err) {
    errors.push(`submit of #${mine.map((s) => s.id).join(',#')} rejected: ${(err as Error).message}`);
  }
}

/**
 * Waits until no job is pending and no DLQ entry is being parked, twice in a row. Gives up at the
 * deadline, or earlier when the workers have made no progress (no commit, no dead-lettering, no
 * change in the pending count) for `stallMs`: a batch held for ever looks like that.
 */
async function waitQuiescent(pending: () => Promise<number>, parking: () => Promise<number>, progress: () => number, bounds: RunBounds): Promise<Observation['quiescence']> {
  const started = Date.now();
  let lastProgress = progress();
  let lastPending = -1;
  let lastChange = started;
  let calm = 0;
  for (;;) {
    const jobs = await pending();
    const now = Date.now();
    if (jobs === 0 && (await parking()) === 0) {
      if (++calm >= 2) return { reached: true, pendingJobs: 0, waitedMs: now - started };
    } else calm = 0;
    if (progress() !== lastProgress || jobs !== lastPending) {
      lastProgress = progress();
      lastPending = jobs;
      lastChange = now;
    }
    if (now - started > bounds.quiesceMs) return { reached: false, why: 'deadline', pendingJobs: jobs, waitedMs: now - started };
    if (jobs > 0 && now - lastChange > bounds.stallMs) return { reached: false, why: 'stalled', pendingJobs: jobs, waitedMs: now - started };
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readDeadLetters(workers: Workers): Promise<DeadLetterSeen[]> {
  const seen: DeadLetterSeen[] = [];
  for (const dlq of workers.consumers[0]?.dlqs ?? []) {
    for (const { entry } of await dlq.list()) {
      const request = entry.request as { val?: unknown } | null;
      const val = typeof request?.val === 'number' ? request.val : null;
      seen.push({ val, class: entry.class, reason: entry.reason, errorCode: entry.errorCode });
    }
  }
  return seen;
}
