// `batchflow enqueue` of deletes: `{"$delete": true, <key>}` lines in NDJSON beside rows, and
// `--delete` for a file of keys (here CSV). What a user checks: the jobs in the queue, where a
// delete shows as one, and the refusal of a delete without its key before anything is enqueued.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';
import { assertCliBuilt, runCli } from '../helpers/cli.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'bf-cli-del-'));
const prefix = uniquePrefix('clidel');
const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix };
const config = join(dir, 'batchflow.json');

beforeAll(() => {
  assertCliBuilt();
  writeFileSync(config, JSON.stringify({ redisUrl: REDIS_URL, sinks: { s: { type: 'sqlite', filename: join(dir, 'x.db') } }, schemas: [{ sink: 's', table: 'users', conflict: 'update', columns: { id: 'int64', name: 'string' } }] }));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await deletePrefix(prefix);
});

async function queuedRows(): Promise<unknown[]> {
  const queue = new Queue('users', { connection: { url: REDIS_URL }, prefix: queueKeyPrefix(prefix, 'users') });
  try {
    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    return jobs.flatMap((job) => (job.data as { rows: unknown[] }).rows);
  } finally {
    await queue.close();
  }
}

describe('batchflow enqueue of deletes', () => {
  it('refuses a delete without its key, naming the line, and enqueues nothing', async () => {
    const file = join(dir, 'bad.ndjson');
    writeFileSync(file, ['{"id":1,"name":"a"}', '{"$delete":true,"name":"a"}'].join('\n'));
    const run = await runCli(['--config', config, 'enqueue', 'users', file], { env, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line 2: .*a delete sets only key columns, not "name"; nothing was enqueued/);
    expect(await queuedRows()).toEqual([]);
  });

  it('enqueues "$delete" lines as deletes beside rows, and a CSV of keys with --delete', async () => {
    const ndjson = join(dir, 'mixed.ndjson');
    writeFileSync(ndjson, ['{"id":1,"name":"a"}', '{"$delete":true,"id":"2"}'].join('\n'));
    expect((await runCli(['--config', config, 'enqueue', 'users', ndjson], { env, cwd: dir })).code).toBe(0);
    const csv = join(dir, 'keys.csv');
    writeFileSync(csv, 'id\n3\n4\n');
    expect((await runCli(['--config', config, 'enqueue', '--delete', 'users', csv], { env, cwd: dir })).code).toBe(0);
    const rows = await queuedRows();
    expect(rows).toHaveLength(4);
    expect(rows).toEqual(
      expect.arrayContaining([
        { id: 1, name: 'a' },
        { $delete: true, id: { $int64: '2' } },
        { $delete: true, id: { $int64: '3' } },
        { $delete: true, id: { $int64: '4' } },
      ]),
    );
  });
});
