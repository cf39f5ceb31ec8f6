import { Redis } from 'ioredis';

/** What scenarios read from (and clean up on) the queues' Redis: one server, or every master of a cluster. */
export interface BenchAdmin {
  /** `used_memory` from `INFO memory`, in bytes. */
  usedMemory(): Promise<number>;
  /** CPU seconds (user + system) the server has used since it started, from `INFO cpu`. */
  cpuSeconds(): Promise<number>;
  /** Memory held by each key under `prefix` (`MEMORY USAGE`), largest first: what a drained queue leaves behind. */
  keysUnder(prefix: string): Promise<Array<{ key: string; bytes: number }>>;
  /** Deletes every key under `prefix` (one scenario's queues). */
  deletePrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** The parent's own connection to one Redis server: memory and CPU readings and key cleanup. */
export class RedisAdmin implements BenchAdmin {
  readonly #redis: Redis;

  /** A URL, or a client to one server (one cluster node: it then reads and deletes only that node's keys); closed by {@link close}. */
  constructor(server: string | Redis) {
    this.#redis = typeof server === 'string' ? new Redis(server) : server;
  }

  async usedMemory(): Promise<number> {
    const info = await this.#redis.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  }

  async cpuSeconds(): Promise<number> {
    const info = await this.#redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
    return field('used_cpu_user') + field('used_cpu_sys');
  }

  /** Calls of every command since the server started (or `CONFIG RESETSTAT`), summed over `INFO commandstats`. */
  async commandCalls(): Promise<number> {
    const info = await this.#redis.info('commandstats');
    return [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  }

  async keysUnder(prefix: string): Promise<Array<{ key: string; bytes: number }>> {
    const keys = await this.#scan(prefix);
    const sizes = await Promise.all(keys.map(async (key) => ({ key, bytes: Number(await this.#redis.memory('USAGE', key)) })));
    return sizes.sort((a, b) => b.bytes - a.bytes);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const keys = await this.#scan(prefix);
    // One DEL per key (pipelined): a cluster node refuses a multi-key DEL across slots (CROSSSLOT).
    for (let i = 0; i < keys.length; i += 1000) {
      const pipeline = this.#redis.pipeline();
      for (const key of keys.slice(i, i + 1000)) pipeline.del(key);
      await pipeline.exec();
    }
  }

  async close(): Promise<void> {
    await this.#redis.quit();
  }

  async #scan(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }
}
