// A real Redis *sink* fault: the sink is a private redis-server (the queue stays on the shared
// Redis) whose maxmemory is cut to 1 byte with noeviction, so every write is refused with OOM,
// then raised again (maxmemory 0). The workload mixes `SET k:<i> v<i>`, `INCRBY c:<i> 1` (a
// quarter of the requests: counters, where a command re-sent after it applied shows as a count
// of 2) and 1% poison `INCRBY notint:<i> 1` on keys holding "abc" (an ERR reply at run time).
// Under the fault, by pipeline and by MULTI/EXEC: no good command dead-lettered, exactly the
// poison dead-lettered, nothing lost, the counters exact, and the first commit within 5 s.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDriver, Schema } from '../../src/index.js';
import { atScale } from '../helpers/chaos-figures.js';
import { onePercentPoison, runFaultScenario, type FaultContext } from '../helpers/fault-scenario.js';
import { RedisServer } from '../helpers/redis-server.js';

const OOM_MS = atScale(20_000, 10_000);
const ROWS_PER_SECOND = atScale(1000, 500);
/** Poison keys are set to "abc" up front for every index the run can reach (with a wide margin). */
const MAX_INDEX = ROWS_PER_SECOND * (OOM_MS / 1000 + 60);
const isCounter = (i: number) => i % 4 === 1; // never poison: 42 % 4 === 2

let sink: RedisServer;
let admin: Redis;

beforeAll(async () => {
  sink = await RedisServer.create({ args: ['--appendonly', 'no'] });
  await sink.start();
  admin = new Redis(sink.url, { maxRetriesPerRequest: 1 });
  // RedisServer stops in afterAll; if the run dies first, the exit hook (synchronous only) kills
  // the sink server by the pid it reports, so it never outlives the test process.
  const pid = Number(/^process_id:(\d+)/m.exec(await admin.info('server'))?.[1]);
  if (Number.isInteger(pid) && pid > 0) {
    process.once('exit', () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    });
  }
});
afterAll(async () => {
  admin?.disconnect();
  await sink?.remove();
});

const schema = Schema('sink_cmds', ['cmd', 'key', 'value']);

/** Every key under `pattern`, by SCAN (the sink server is private and small). */
async function scanKeys(pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  for (let rounds = 0; rounds < 100_000; rounds++) {
    const [next, batch] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
    if (cursor === '0') break;
  }
  return keys;
}

async function redisSinkRun(transaction: boolean) {
  const ns = `t${transaction ? 'x' : 'p'}${Date.now().toString(36)}`;
  for (let from = 0; from < MAX_INDEX; from += 5000) {
    const pipe = admin.pipeline();
    for (let i = from; i < Math.min(from + 5000, MAX_INDEX); i++) if (onePercentPoison(i)) pipe.set(`${ns}:notint:${i}`, 'abc');
    await pipe.exec();
  }
  let counterRequests = 0;
  let seen = '';
  const result = await runFaultScenario({
    scenario: `redis sink OOM (maxmemory 1 B, noeviction, ${OOM_MS / 1000} s, ${transaction ? 'MULTI/EXEC' : 'pipeline'})`,
    label: transaction ? 'rsink_multi' : 'rsink_pipe',
    schema,
    keyColumn: 'key',
    executor: () => new RedisDriver({ url: sink.url, transaction }),
    rowsPerSecond: ROWS_PER_SECOND,
    expectBreakerOpen: true,
    row(i, poison) {
      if (i >= MAX_INDEX) throw new Error(`index ${i} beyond the preset poison keys (${MAX_INDEX})`);
      if (poison) return { cmd: 'INCRBY', key: `${ns}:notint:${i}`, value: '1' };
      if (isCounter(i)) return (counterRequests++, { cmd: 'INCRBY', key: `${ns}:c:${i}`, value: '1' });
      return { cmd: 'SET', key: `${ns}:k:${i}`, value: `v${i}` };
    },
    // A SET key once; a counter key once per increment, so a re-sent INCRBY is a duplicate.
    async readKeys() {
      const stored = await scanKeys(`${ns}:k:*`);
      const counters = await scanKeys(`${ns}:c:*`);
      for (let k = 0; k < counters.length; k += 1000) {
        const slice = counters.slice(k, k + 1000);
        const values = await admin.mget(...slice);
        slice.forEach((key, j) => {
          for (let n = Number(values[j] ?? 0); n > 0; n--) stored.push(key);
        });
      }
      return stored;
    },
    async fault(ctx: FaultContext) {
      try {
        await admin.config('SET', 'maxmemory', '1');
        ctx.down();
        seen = await admin.set(`${ns}:probe`, 'x').then(
          () => 'ok',
          (err: Error) => err.message.split(' ')[0] ?? '',
        );
        await sleep(OOM_MS);
      } finally {
        await admin.config('SET', 'maxmemory', '0');
        ctx.cleared();
      }
    },
  });
  let total = 0;
  for (const key of await scanKeys(`${ns}:c:*`)) total += Number(await admin.get(key));
  expect(seen, 'a write to the sink must be refused with OOM while maxmemory is tiny').toBe('OOM');
  expect.soft(total, `sum of the counters = good INCRBY requests (${result.figures.notes})`).toBe(counterRequests);
}

describe('chaos: Redis sink faults (private sink server)', () => {
  it(`OOM for ${OOM_MS / 1000} s, pipeline: nothing good dead-lettered, counter exact`, async () => {
    await redisSinkRun(false);
  });
  it(`OOM for ${OOM_MS / 1000} s, MULTI/EXEC: nothing good dead-lettered, counter exact`, async () => {
    await redisSinkRun(true);
  });
});
