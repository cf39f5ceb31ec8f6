import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DeadLetterQueue, Producer, SQLSchema, type ProducerOptions } from '../../src/index.js';
import { spawnNode, type Spawned } from './child-process.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from './pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis.js';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';

/** The worker process every chaos scenario runs: a BatchConsumer over the built package. */
export const PG_WORKER = new URL('../fixtures/pg-worker.mjs', import.meta.url).pathname;

/** The rows the PG worker fixture's schema takes: `{ id, name, score }`, ids from `from`. */
export const scoreRows = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), name: `row ${from + i}`, score: (from + i) % 1000 }));

export const SCORE_COLUMNS = { id: 'int64', name: 'string', score: 'int32' } as const;

/** Options of {@link pgScenario}. */
export interface PgScenarioOptions {
  /** Redis of the run (a private RedisServer's URL, or the shared one). */
  redisUrl?: string;
  /** Extra table clauses, e.g. a CHECK constraint. */
  tableExtra?: string;
  producer?: Partial<Omit<ProducerOptions, 'connection' | 'schemas' | 'prefix'>>;
}

/**
 * One PostgreSQL table with a primary key, its schema (`update` on conflict, so redeliveries are
 * idempotent), a producer, and the read side a user would check: row count, duplicate keys, DLQ
 * and queue depth. `defer` receives the cleanup.
 */
export async function pgScenario(label: string, defer: (cleanup: () => unknown) => void, options: PgScenarioOptions = {}) {
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const prefix = uniquePrefix(label);
  const table = uniqueTable(label);
  await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, score int ${options.tableExtra ?? ''})`);
  const schema = SQLSchema(table, 'update', SCORE_COLUMNS);
  const producer = new Producer({ connection: redisUrl, schemas: [schema], prefix, ...options.producer });
  // The test's own read connection; retries forever, so it rides out a Redis restart.
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(schema.name, { connection: redis, prefix: queueKeyPrefix(prefix, schema.name) });
  const dlq = new DeadLetterQueue(schema.name, redis, prefix);
  queue.on('error', () => {});
  const workers: Spawned[] = [];
  defer(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.allSettled([producer.close(), queue.close(), dlq.close()]);
    if (redisUrl === REDIS_URL) await deletePrefix(prefix);
    redis.disconnect();
    await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  });
  return {
    prefix,
    table,
    schema,
    producer,
    queue,
    dlq,
    redis,
    /** Every worker process spawned so far, killed ones included. */
    workers: workers as readonly Spawned[],
    /** Spawns a PG worker process for this scenario (extra env: FLUSH_SIZE, SLOW_MS, …). */
    worker(env: Record<string, string> = {}): Spawned {
      const w = spawnNode([PG_WORKER], { REDIS_URL: redisUrl, PG_URL, TABLE: table, PREFIX: prefix, ...env });
      workers.push(w);
      return w;
    },
    landed: () => pgCount(table),
    /** Rows stored more than once under the same id (0 with the primary key; kept as evidence). */
    async duplicates(): Promise<number> {
      const [row] = await pgQuery<{ n: string }>(`SELECT (count(*) - count(DISTINCT id))::text AS n FROM ${table}`);
      return Number(row?.n ?? 0);
    },
    /** Jobs not finished yet: waiting, active, delayed or prioritized. */
    async pending(): Promise<number> {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    failedJobs: async () => (await queue.getJobCounts('failed')).failed ?? 0,
  };
}

/** Sum of the `size` of every `committed` line the workers printed: rows written, redeliveries included. */
export function committedRows(workers: readonly Spawned[]): number {
  let total = 0;
  for (const w of workers) {
    for (const line of w.lines) if (line.includes('"committed"')) total += (JSON.parse(line) as { size: number }).size;
  }
  return total;
}
