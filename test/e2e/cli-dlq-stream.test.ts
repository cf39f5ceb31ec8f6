import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterEntry } from '../../src/queue/dead-letter-entry.js';
import { DeadLetterQueue } from '../../src/queue/dead-letter/dead-letter-queue.js';
import { assertCliBuilt, runCli } from '../helpers/cli.js';
import { PG_URL } from '../helpers/pg.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

// `batchflow dlq list|purge` over a DLQ bigger than one page (500): output streams in order and
// stays well-formed in every format, and the new `queue_failed` class is a valid filter.
const COUNT = 1234;
const dir = mkdtempSync(join(tmpdir(), 'bf-dlqs-'));
const prefix = uniquePrefix('clidlqs');
const configFile = join(dir, 'batchflow.json');
const env = { REDIS_URL, BATCHFLOW_PREFIX: prefix, PG_URL };
const cli = (...args: string[]) => runCli(['--config', configFile, ...args], { env, cwd: dir });
const slowlyReadCli = (...args: string[]) => runCli(['--config', configFile, ...args], { env, cwd: dir, stdoutReadDelayMs: 100 });

function entry(i: number): DeadLetterEntry {
  const at = new Date(Date.UTC(2024, 0, 1, 0, 0, 0, i)).toISOString();
  return { schema: 'payments', request: { id: i }, class: i % 4 === 0 ? 'queue_failed' : 'non_retryable', reason: i % 4 === 0 ? 'queue_failed' : 'non_retryable', errorCode: i % 4 === 0 ? null : '23514', message: `row ${i}`, attempts: 1, firstFailedAt: at, lastFailedAt: at, sourceJobId: `${i}`, replays: 0 };
}

beforeAll(async () => {
  assertCliBuilt();
  writeFileSync(configFile, JSON.stringify({ http: { enabled: false }, sinks: { main: { type: 'postgres', url: 'env:PG_URL' } }, schemas: [{ name: 'payments', sink: 'main', table: 'payments', conflict: 'ignore', columns: { id: 'int64' } }] }));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const dlq = new DeadLetterQueue('payments', redis, prefix);
  await dlq.add(Array.from({ length: COUNT }, (_, i) => ({ key: `${i}_0`, entry: entry(i) })));
  await dlq.close();
  redis.disconnect();
});

afterAll(async () => {
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('batchflow dlq streams entries page by page', () => {
  it('prints every entry once, oldest first, as a table, NDJSON and a JSON array', async () => {
    const table = await cli('dlq', 'list', 'payments');
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+CLASS\s+REASON\s+CODE\s+ATTEMPTS\s+LAST FAILED\s+MESSAGE$/);
    expect(lines.at(-1)).toBe(`${COUNT} entries`);
    expect(lines).toHaveLength(COUNT + 2);
    // Columns keep the widths the first rows set, on every page.
    const stateColumn = (lines[0] as string).indexOf('STATE');
    expect(lines.slice(1, -1).every((l) => l.indexOf('waiting') === stateColumn)).toBe(true);

    const ndjson = await cli('dlq', 'list', 'payments', '--ndjson');
    const records = ndjson.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; entry: DeadLetterEntry });
    expect(records.map((r) => r.id)).toEqual(Array.from({ length: COUNT }, (_, i) => `d_${i}_0`));

    const json = JSON.parse((await cli('dlq', 'list', 'payments', '--json', '--class', 'queue_failed')).stdout) as Array<{ entry: DeadLetterEntry }>;
    expect(json).toHaveLength(Math.ceil(COUNT / 4));
    expect(json.every((r) => r.entry.class === 'queue_failed')).toBe(true);
    expect(JSON.parse((await cli('dlq', 'list', 'payments', '--json', '--limit', '501')).stdout)).toHaveLength(501);
  });

  it('hands a slow reader every line: the CLI waits for the pipe before it exits', async () => {
    // 1,234 rows are about 120 KB, more than a pipe holds (64 KB): a CLI that exited with the
    // rest unwritten (as it once did, seen as a listing cut short under load) loses the tail.
    const table = await slowlyReadCli('dlq', 'list', 'payments');
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(COUNT + 2);
    expect(lines.at(-1)).toBe(`${COUNT} entries`);
  });

  it('purges a filtered selection across pages, with progress to the total', async () => {
    const purge = await cli('dlq', 'purge', 'payments', '--yes', '--class', 'queue_failed');
    expect(purge.code).toBe(0);
    expect(purge.stdout).toBe(`purged ${Math.ceil(COUNT / 4)} of ${Math.ceil(COUNT / 4)} selected entries of payments\n`);
    expect(purge.stderr).toMatch(new RegExp(`purge \\[=+\\] 100% \\| ${COUNT}/${COUNT} entries`));
    const list = await cli('dlq', 'list', 'payments');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${COUNT - Math.ceil(COUNT / 4)} entries$`, 'm'));
  });
});
