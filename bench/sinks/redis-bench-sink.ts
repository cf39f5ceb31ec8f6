import { Redis } from 'ioredis';
import type { BatchExecutor } from '../../src/core/batch-executor.js';
import type { Request } from '../../src/core/request.js';
import { Schema } from '../../src/core/schema.js';
import type { BenchRow, BenchSink, BenchSinkTarget, NaiveWriter, RawWriter } from './bench-sink.js';
import { RedisDriver } from '../../src/drivers/redis/redis-driver.js';

/** Each row becomes `HSET <hash> <id> <value>`; the hash is the Redis sink's "table". */
const REDIS_COLUMNS = Object.freeze({ cmd: 'string', key: 'string', field: 'string', value: 'string' } as const);

/** The hash that plays the table for `target`. */
function hashKey(target: string): string {
  return `bfbench:sink:${target}`;
}

/** The hash value: submit time first (for latency), then the row's other columns. */
function encodeValue(row: { account: number; amount: number; label: string }, createdMs: number): string {
  return `${createdMs}|${row.account}|${row.amount}|${row.label}`;
}

/** Redis: one hash per scenario, counted with HLEN; pipelines of HSET as the raw ceiling. */
export function redisBenchSink({ redisUrl: url }: BenchSinkTarget): BenchSink {
  let admin: Redis | undefined;
  const redis = () => (admin ??= new Redis(url));
  return {
    name: 'redis',
    countMethod: 'HLEN',
    async version() {
      const info = await redis().info('server');
      return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`;
    },
    async create(target) {
      await redis().del(hashKey(target));
    },
    count: (target) => redis().hlen(hashKey(target)),
    async drop(target) {
      await redis().del(hashKey(target));
    },
    schema: (target) => Schema(target, REDIS_COLUMNS),
    toRequestRow: (row, target) => ({ cmd: 'HSET', key: hashKey(target), field: String(row.id), value: encodeValue(row, row.created_at.getTime()) }),
    submittedAtMs: (request: Request) => Number(request.getString('value').split('|', 1)[0]),
    executor(): BatchExecutor {
      return new RedisDriver({ url });
    },
    naiveWriter(target): NaiveWriter {
      const client = new Redis(url);
      const key = hashKey(target);
      return {
        writeOne: async (row) => void (await client.hset(key, String(row.id), encodeValue(row, Date.parse(row.created_at)))),
        close: async () => void (await client.quit()),
      };
    },
    rawWriter(target): RawWriter {
      const client = new Redis(url);
      const key = hashKey(target);
      return {
        chunkRows: 5000,
        method: 'pipeline of 5,000 HSET commands, one connection',
        async write(rows: readonly BenchRow[]) {
          const pipeline = client.pipeline();
          for (const row of rows) pipeline.hset(key, String(row.id), encodeValue(row, row.created_at.getTime()));
          const failed = (await pipeline.exec())?.find(([err]) => err);
          if (failed) throw failed[0];
        },
        close: async () => void (await client.quit()),
      };
    },
    async close() {
      await admin?.quit();
      admin = undefined;
    },
  };
}
