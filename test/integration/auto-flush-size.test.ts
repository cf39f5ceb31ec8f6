// flushSize: 'auto' against a real PostgreSQL: the size grows under a flood, and shrinks within
// 10 s once commits slow down (a BEFORE INSERT … FOR EACH STATEMENT trigger that sleeps), with
// every row landing and nothing dead-lettered.
import { describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver, Producer, PrometheusReporter, SQLSchema } from '../../src/index.js';
import { useCleanups } from '../helpers/cleanups.js';
import { PG_URL, pgCount, pgQuery, uniqueTable } from '../helpers/pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const defer = useCleanups();

/** The `batchflow_flush_size` gauge of `schema`, as Prometheus would scrape it. */
async function gauge(metrics: PrometheusReporter, schema: string): Promise<number> {
  const series = `batchflow_flush_size{schema="${schema}"} `;
  const line = (await metrics.metrics()).split('\n').find((l) => l.startsWith(series));
  return line === undefined ? NaN : Number(line.slice(series.length));
}

const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ id: BigInt(from + i), body: `row ${from + i}` }));

describe("flushSize: 'auto' (real Redis and PostgreSQL)", () => {
  it('grows under a flood, shrinks within 10 s when commits slow down, and loses nothing', { timeout: 180_000 }, async () => {
    const table = uniqueTable('autoflush');
    const slow = `${table}_slow`;
    await pgQuery(`CREATE TABLE ${table} (id bigint PRIMARY KEY, body text NOT NULL)`);
    defer(async () => {
      await pgQuery(`DROP TABLE IF EXISTS ${table}`);
      await pgQuery(`DROP FUNCTION IF EXISTS ${slow}()`);
    });
    const schema = SQLSchema(table, 'ignore', { id: 'int64', body: 'string' });
    const prefix = uniquePrefix('autoflush');
    const metrics = new PrometheusReporter({ collectDefaultMetrics: false });
    const driver = new PostgresDriver({ connectionString: PG_URL });
    const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
    const consumer = new BatchConsumer({ connection: REDIS_URL, schema, executor: driver, prefix, metrics, flushSize: 'auto', flushIntervalMs: 200 });
    defer(async () => {
      await producer.close();
      await consumer.close();
      await driver.close();
      await deletePrefix(prefix);
    });
    const committed: Array<{ size: number; seconds: number; at: number }> = [];
    let deadLettered = 0;
    consumer.on('batch:committed', ({ size, seconds }) => committed.push({ size, seconds, at: Date.now() }));
    consumer.on('dead-lettered', ({ entries }) => (deadLettered += entries.length));
    await consumer.waitUntilReady();
    expect(await gauge(metrics, table)).toBe(500); // starts at the fixed default

    // A flood: the queue fills faster than 500-row batches drain it, and fast commits let it grow.
    const flood = 80_000;
    for (let first = 0; first < flood; first += 5000) await producer.submitMany(schema, rows(first, 5000));
    expect(await waitFor(async () => (await pgCount(table)) === flood, 60_000, 200)).toBe(true);
    const peak = Math.max(...committed.map((c) => c.size));
    expect(peak).toBeGreaterThan(500);
    const grown = await gauge(metrics, table);
    expect(grown).toBeGreaterThan(500);

    // Commits slow down: every INSERT statement now sleeps 0.4 s, over targetCommitMs (250 ms).
    await pgQuery(`CREATE FUNCTION ${slow}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$`);
    await pgQuery(`CREATE TRIGGER ${slow} BEFORE INSERT ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${slow}()`);
    const slowFrom = Date.now();
    const second = 40_000;
    for (let first = flood; first < flood + second; first += 5000) await producer.submitMany(schema, rows(first, 5000));
    // Within 10 s of the first slow commit the size is down to a quarter or less of what it had grown to.
    expect(await waitFor(() => committed.some((c) => c.at >= slowFrom && c.seconds > 0.25), 30_000, 20)).toBe(true);
    const firstSlow = committed.find((c) => c.at >= slowFrom && c.seconds > 0.25)?.at ?? NaN;
    expect(await waitFor(async () => (await gauge(metrics, table)) <= grown / 4, 10_000 - (Date.now() - firstSlow), 50)).toBe(true);
    const shrunkAfterMs = Date.now() - firstSlow;
    expect(shrunkAfterMs).toBeLessThan(10_000);
    // The batches themselves got smaller: what committed after the shrink is at most the shrunk size.
    const shrunk = await gauge(metrics, table);
    const shrunkAt = Date.now();
    await waitFor(() => committed.some((c) => c.at > shrunkAt + 1000), 20_000, 50);
    const later = committed.filter((c) => c.at > shrunkAt + 1000);
    expect(later.length).toBeGreaterThan(0);
    expect(Math.max(...later.map((c) => c.size))).toBeLessThanOrEqual(shrunk);

    // The sink recovers: every row lands exactly once, nothing went to the DLQ.
    await pgQuery(`DROP TRIGGER ${slow} ON ${table}`);
    expect(await waitFor(async () => (await pgCount(table)) === flood + second, 90_000, 200)).toBe(true);
    const [distinct] = await pgQuery<{ n: string }>(`SELECT count(DISTINCT id)::text AS n FROM ${table}`);
    expect(Number(distinct?.n)).toBe(flood + second);
    expect(deadLettered).toBe(0);
    expect(await consumer.dlq.count()).toBe(0);
  });
});
