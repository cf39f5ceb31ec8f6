import { Redis } from 'ioredis';

/** The parent's own Redis connection: memory readings and key cleanup. */
export class RedisAdmin {
  readonly #redis: Redis;

  constructor(url: string) {
    this.#redis = new Redis(url);
  }

  /** `used_memory` from `INFO memory`, in bytes. */
  async usedMemory(): Promise<number> {
    const info = await this.#redis.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  }

  /** CPU seconds (user + system) the Redis server has used since it started, from `INFO cpu`. */
  async cpuSeconds(): Promise<number> {
    const info = await this.#redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
    return field('used_cpu_user') + field('used_cpu_sys');
  }

  /** Memory held by each key under `prefix` (`MEMORY USAGE`), largest first: what a drained queue leaves behind. */
  async keysUnder(prefix: string): Promise<Array<{ key: string; bytes: number }>> {
    const keys = await this.#scan(prefix);
    const sizes = await Promise.all(keys.map(async (key) => ({ key, bytes: Number(await this.#redis.memory('USAGE', key)) })));
    return sizes.sort((a, b) => b.bytes - a.bytes);
  }

  /** Deletes every key under `prefix` (one scenario's queues). */
  async deletePrefix(prefix: string): Promise<void> {
    const keys = await this.#scan(prefix);
    for (let i = 0; i < keys.length; i += 1000) await this.#redis.del(...keys.slice(i, i + 1000));
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
