import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** Redis the tests talk to; REDIS_URL overrides the local default. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix per test, so queues never collide and cleanup is one SCAN. */
export function uniquePrefix(label = 'test'): string {
  return `bft_${label}_${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it succeeded. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}

/**
 * Reads `read` until it returns the same value for `quietMs` (a count still moving, say entries
 * on their way into a DLQ, has settled), or `timeoutMs` passes; returns the last value read.
 */
export async function settledValue<T>(read: () => Promise<T>, quietMs = 1000, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  let since = Date.now();
  while (Date.now() < deadline && Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, everyMs));
    const next = await read();
    if (next !== value) [value, since] = [next, Date.now()];
  }
  return value;
}
