import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/result.js';
import { spawnNode } from '../helpers/child-process.js';
import { PG_URL } from '../helpers/pg.js';
import { REDIS_URL } from '../helpers/redis.js';

const SINKS = ['postgres', 'mysql', 'sqlite', 'redis'] as const;
const PER_SINK = ['raw', 'naive', 'defaults', 'drain', 'flood', 'batchflow-one-job', 'batchflow-packing', 'latency', 'latency-sequential'] as const;
/** Scenarios only the SQL sinks run: the ledger of `delivery: 'exactly-once'`, and deletes (upsert-only beside mixed). */
const PER_SQL_SINK = ['exactly-once', 'deletes', 'deletes'] as const;
/** The hot-key scenario's three runs (unique, uniform, Zipf), on the sinks with row locks. */
const HOT_KEY_SINKS: readonly string[] = ['postgres', 'mysql'];
const HOT_KEY_RUNS = ['hot-keys', 'hot-keys', 'hot-keys'] as const;
/** Through the delay proxy (raw, naive, defaults, drain) and the wide rows (raw, drain), on the sinks with a server. */
const NETWORK_RUNS = ['network', 'network', 'network', 'network', 'wide', 'wide'] as const;
/** The queues on PostgreSQL (BatchFlow end to end and drain, and the naive worker), on the postgres sink only. */
const PG_QUEUE_RUNS = ['pg-queue', 'pg-queue-drain', 'pg-queue-naive'] as const;
const MAIN = new URL('../../dist/bench/main.js', import.meta.url).pathname;

let out: string | undefined;
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('npm run bench -- --quick (built dist/)', () => {
  // 420 s: the quick run took 270 s at load 15 with network and wide (about 20 s of it), near the old 300 s.
  it('runs every scenario on every sink and every row lands exactly once', { timeout: 420_000 }, async () => {
    out = await mkdtemp(join(tmpdir(), 'bench-quick-'));
    const run = spawnNode([MAIN, '--quick', '--out', out, '--redis-url', REDIS_URL, '--postgres-url', PG_URL], {});
    const code = await run.exited;
    expect(code, run.lines.slice(-40).join('\n')).toBe(0);

    const result = JSON.parse(await readFile(join(out, 'quick.json'), 'utf8')) as BenchResult;
    const ran = result.scenarios.map((s) => `${s.sink ?? 'any'}/${s.kind}`);
    const kinds = (sink: string): readonly string[] => [
      ...PER_SINK,
      ...(sink === 'redis' ? [] : PER_SQL_SINK),
      ...(HOT_KEY_SINKS.includes(sink) ? [...HOT_KEY_RUNS, ...NETWORK_RUNS] : []),
      ...(sink === 'postgres' ? PG_QUEUE_RUNS : []),
    ];
    expect(ran.sort()).toEqual(['any/bullmq-noop', 'sqlite/tracing', 'postgres/schemas', ...SINKS.flatMap((sink) => kinds(sink).map((kind) => `${sink}/${kind}`))].sort());
    for (const scenario of result.scenarios) {
      expect(scenario.error, `${scenario.sink}/${scenario.kind}`).toBeUndefined();
      expect(scenario.rowsSubmitted, `${scenario.sink}/${scenario.kind}`).toBeGreaterThan(0);
      // COUNT(*) over a primary key (HLEN over hash fields): equal means every submitted row landed.
      expect(scenario.rowsVerified, `${scenario.sink}/${scenario.kind} verified by ${scenario.verifiedBy}`).toBe(scenario.rowsSubmitted);
    }
    expect(result.allVerified).toBe(true);
    const tracing = result.scenarios.find((s) => s.kind === 'tracing')?.tracing;
    expect(tracing?.offOtelModulesLoaded).toBe(0);
    expect(tracing?.onSpans).toBeGreaterThan(0);
    expect(await readFile(join(out, 'quick.md'), 'utf8')).toContain('## Targets');
  });
});
