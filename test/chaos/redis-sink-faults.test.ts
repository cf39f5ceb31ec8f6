// A real Redis *sink* fault: the sink is a private redis-server (the queue stays on the shared
// Redis) whose maxmemory is cut to 1 byte with noeviction, so every write is refused with OOM,
// then raised again (maxmemory 0). The workload mixes `SET k:<id> v<id>`, `INCRBY counter 1`
// (a quarter of the requests) and 1% poison `INCRBY notint:<id> 1` on keys holding "abc" (an ERR
// reply). Under the fault, by pipeline and by MULTI/EXEC: no good command dead-lettered, exactly
// the poison dead-lettered, nothing lost, the counter exact (no command re-sent after it applied),
// and the first commit within 5 s of the memory being raised.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDriver, Schema } from '../../src/index.js';
import { atScale } from '../helpers/chaos-figures.js';
import { useCleanups } from '../helpers/cleanups.js';
import { RedisServer } from '../helpers/redis-server.js';
import { isPoison, ruleViolations, runSinkFault, type FaultWindow } from '../helpers/sink-fault-run.js';

const defer = useCleanups();
const N = atScale(20_000, 4000);
const WARMUP_MS = 3000;
const OOM_MS = atScale(20_000, 10_000);
const isCounter = (id: number) => id % 4 === 1; // never poison: 42 % 4 === 2

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

async function redisSinkRun(transaction: boolean) {
  const ns = `t${transaction ? 'x' : 'p'}${Date.now().toString(36)}`;
  const driver = new RedisDriver({ url: sink.url, transaction });
  defer(() => driver.close());
  const ids = Array.from({ length: N }, (_, id) => id);
  const counterIds = ids.filter(isCounter);
  const poisonIds = ids.filter(isPoison);
  // Poison targets: keys holding a string that is not an integer.
  for (let k = 0; k < poisonIds.length; k += 500) {
    const pipe = admin.pipeline();
    for (const id of poisonIds.slice(k, k + 500)) pipe.set(`${ns}:notint:${id}`, 'abc');
    await pipe.exec();
  }
  let seen = '';
  let deadCounterSeen = 0;
  const result = await runSinkFault({
    scenario: `redis sink OOM (maxmemory 1 B, noeviction, ${OOM_MS / 1000} s, ${transaction ? 'MULTI/EXEC' : 'pipeline'})`,
    label: transaction ? 'rsink_multi' : 'rsink_pipe',
    schema,
    executor: driver,
    n: N,
    warmupMs: WARMUP_MS,
    submitMs: WARMUP_MS + OOM_MS + 3000,
    row: (id, poison) =>
      poison
        ? { cmd: 'INCRBY', key: `${ns}:notint:${id}`, value: '1' }
        : isCounter(id)
          ? { cmd: 'INCRBY', key: `${ns}:counter`, value: '1' }
          : { cmd: 'SET', key: `${ns}:k:${id}`, value: `v${id}` },
    // SET requests are identified by their key. INCRBY counter requests carry no id, so the counter's
    // value stands for them: the first `counter` of them count as stored, any excess as duplicates
    // (a re-sent INCRBY), any shortfall as missing.
    async storedIds() {
      const stored: number[] = [];
      const setIds = ids.filter((id) => !isCounter(id) && !isPoison(id));
      for (let k = 0; k < setIds.length; k += 1000) {
        const slice = setIds.slice(k, k + 1000);
        const values = await admin.mget(...slice.map((id) => `${ns}:k:${id}`));
        slice.forEach((id, j) => values[j] === `v${id}` && stored.push(id));
      }
      const counter = Number((await admin.get(`${ns}:counter`)) ?? 0);
      for (let j = 0; j < counter; j++) stored.push(counterIds[Math.min(j, counterIds.length - 1)] as number);
      return stored;
    },
    idOfEntry(request) {
      const key = String((request as { key?: unknown }).key);
      const match = /:(?:k|notint):(\d+)$/.exec(key);
      if (match) return Number(match[1]);
      // A dead-lettered `INCRBY counter 1` (good data): stands for the last counter ids, one each.
      deadCounterSeen++;
      return counterIds[counterIds.length - deadCounterSeen] ?? -1;
    },
    async fault(): Promise<FaultWindow> {
      await admin.config('SET', 'maxmemory', '1');
      const startedAt = performance.now();
      seen = await admin.set(`${ns}:probe`, 'x').then(
        () => 'ok',
        (err: Error) => err.message.split(' ')[0] ?? '',
      );
      await sleep(OOM_MS - (performance.now() - startedAt));
      await admin.config('SET', 'maxmemory', '0');
      return { startedAt, clearedAt: performance.now() };
    },
    async extra() {
      const counter = Number((await admin.get(`${ns}:counter`)) ?? 0);
      return { 'counter drift': counter - counterIds.length };
    },
  });
  expect(seen, 'a write to the sink must be refused with OOM while maxmemory is tiny').toBe('OOM');
  expect(ruleViolations(result), result.figures.notes).toEqual([]);
}

describe('chaos: Redis sink faults (private sink server)', () => {
  it(`OOM for ${OOM_MS / 1000} s, pipeline: nothing good dead-lettered, counter exact`, async () => {
    await redisSinkRun(false);
  });
  it(`OOM for ${OOM_MS / 1000} s, MULTI/EXEC: nothing good dead-lettered, counter exact`, async () => {
    await redisSinkRun(true);
  });
});
