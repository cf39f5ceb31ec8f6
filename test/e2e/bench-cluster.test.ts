import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/result.js';
import { CLUSTER_PARTITIONS } from '../../bench/scenarios/cluster.js';
import { spawnNode } from '../helpers/child-process.js';
import { REDIS_URL } from '../helpers/redis.js';

const MAIN = new URL('../../dist/bench/main.js', import.meta.url).pathname;
const ROWS = 2000;

let out: string | undefined;
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('npm run bench -- --scenarios cluster (built dist/)', () => {
  // About 35 s on an idle 2-core machine: the cluster start (~10 s) and three small runs.
  it('starts a private cluster, runs 1, 2 and 4 partitions, every row lands once, and splits the commands per master', { timeout: 180_000 }, async () => {
    out = await mkdtemp(join(tmpdir(), 'bench-cluster-'));
    const run = spawnNode([MAIN, '--scenarios', 'cluster', '--sinks', 'sqlite', '--no-rss', '--rows', String(ROWS), '--out', out, '--redis-url', REDIS_URL], {});
    const code = await run.exitedWithin(160_000);
    expect(code, run.lines.slice(-40).join('\n')).toBe(0);

    const result = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as BenchResult;
    expect(result.scenarios.map((s) => [s.sink, s.kind, s.cluster?.partitions])).toEqual(CLUSTER_PARTITIONS.map((p) => ['sqlite', 'cluster', p]));
    for (const s of result.scenarios) {
      expect(s.error).toBeUndefined();
      // SELECT COUNT(*) over the primary key: every submitted row landed exactly once.
      expect(s.rowsVerified).toBe(ROWS);
      // BullMQ's job id counters, read before the keys are deleted: at least one job, at most one per row.
      expect(s.cluster?.jobs).toBeGreaterThan(0);
      expect(s.cluster?.jobs).toBeLessThanOrEqual(ROWS);
      const masters = s.cluster?.masters ?? [];
      expect(masters).toHaveLength(3);
      // Each partition queue sits on exactly one master, and the masters holding none did (almost) nothing.
      expect(masters.flatMap((m) => m.queues)).toHaveLength(s.cluster?.partitions ?? 0);
      expect(masters.reduce((sum, m) => sum + m.callShare, 0)).toBeCloseTo(1, 5);
      for (const m of masters) {
        expect(m.cpuSeconds).toBeGreaterThanOrEqual(0);
        // Idle masters still see the clients' periodic CLUSTER SLOTS refreshes and our INFO readings.
        if (m.queues.length > 0) expect(m.callShare).toBeGreaterThan(0.15);
        else expect(m.callShare).toBeLessThan(0.1);
      }
    }
    expect(await readFile(join(out, 'latest.md'), 'utf8')).toMatch(/4 partition\(s\), [\d,]+ jobs \([\d.]+ rows per job\); per master: /);
    // The scenario stopped its six servers: no redis-server of its cluster answers any more.
    const nodes = result.scenarios[0]?.cluster?.masters.map((m) => m.node) ?? [];
    for (const node of nodes) {
      const [host = '', port = ''] = node.split(':');
      const reachable = await new Promise<boolean>((resolve) => {
        const socket = connect(Number(port), host, () => (socket.destroy(), resolve(true)));
        socket.on('error', () => resolve(false));
      });
      expect(reachable, node).toBe(false);
    }
  });
});
