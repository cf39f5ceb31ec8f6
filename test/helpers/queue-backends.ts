import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { queueKeyPrefix } from '../../src/queue/queue-names.js';
import { createQueueClient, type QueueClient, type QueueConnection } from '../../src/queue/connection.js';
import { migrateQueueSchema } from '../../src/queue/state/migrate-queue-schema.js';
import { PG_URL, pgQuery } from './pg.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis.js';

/**
 * One queue store for the parameterised queue suites (`describe.each(QUEUE_BACKENDS)`): Redis
 * with a unique key prefix, or PostgreSQL with a unique queue schema (the namespace there).
 */
export interface QueueBackend {
  readonly name: 'redis' | 'postgres';
  /** The store's TCP port on 127.0.0.1: the target of a `TcpProxy` that cuts the store off. */
  readonly port: number;
  /** A fresh namespace: its connection (pass to Producer / BatchConsumer), prefix, and its cleanup. */
  open(label: string): Promise<QueueSpace>;
}

/** One test's queues: where they are, and how to remove them afterwards. */
export interface QueueSpace {
  readonly connection: QueueConnection;
  readonly prefix: string;
  /** A client of the store, as the library opens one (for `openQueue`, `DeadLetterQueue`, views). */
  client(): QueueClient;
  /** Whether the store holds queue `name` (BullMQ's meta of it): proof the jobs went where the connection says. */
  holdsQueue(name: string): Promise<boolean>;
  /** Removes every queue and state of the namespace (after everything using it closed). */
  drop(): Promise<void>;
  /** The same namespace reached on another local port: through a `TcpProxy`, or a port nothing listens on. */
  connectionVia(port: number): QueueConnection;
  /** The config-file fields (`batchflow.json`) that choose this namespace, for the CLI and the worker service. */
  configFields(): Record<string, unknown>;
}

/** `url` with its port replaced (the store behind a proxy, or nowhere). */
function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

const redis: QueueBackend = {
  name: 'redis',
  port: Number(new URL(REDIS_URL).port || 6379),
  async open(label) {
    const prefix = uniquePrefix(label);
    const clients: QueueClient[] = [];
    return {
      connection: REDIS_URL,
      prefix,
      client: () => {
        const client = createQueueClient(REDIS_URL, 'worker');
        clients.push(client);
        return client;
      },
      holdsQueue: async (name) => {
        const probe = new Redis(REDIS_URL);
        try {
          return (await probe.exists(`${queueKeyPrefix(prefix, name)}:${name}:meta`)) === 1;
        } finally {
          probe.disconnect();
        }
      },
      drop: async () => {
        for (const client of clients) client.disconnect();
        await deletePrefix(prefix);
      },
      connectionVia: (port) => withPort(REDIS_URL, port),
      configFields: () => ({ redisUrl: REDIS_URL, prefix }),
    };
  },
};

const postgres: QueueBackend = {
  name: 'postgres',
  port: Number(new URL(PG_URL).port || 5432),
  async open(label) {
    // The schema is the namespace on PostgreSQL; the prefix is unique anyway, as a test would pass it on Redis.
    const schema = `bfq_${label}_${randomUUID().slice(0, 8)}`.toLowerCase();
    const connection = { postgres: PG_URL, schema };
    await migrateQueueSchema(connection);
    const prefix = uniquePrefix(label);
    const clients: QueueClient[] = [];
    return {
      connection,
      prefix,
      client: () => {
        const client = createQueueClient(connection, 'worker');
        clients.push(client);
        return client;
      },
      holdsQueue: async (name) => (await pgQuery(`SELECT 1 FROM ${schema}.meta WHERE queue = $1 LIMIT 1`, [name])).length === 1,
      drop: async () => {
        for (const client of clients) client.disconnect();
        await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      },
      connectionVia: (port) => ({ postgres: withPort(PG_URL, port), schema }),
      configFields: () => ({ queue: { postgresUrl: PG_URL, schema }, prefix }),
    };
  },
};

/** Both queue backends, for `describe.each`; QUEUE_BACKENDS=redis or =postgres runs one. */
export const QUEUE_BACKENDS: readonly QueueBackend[] = [redis, postgres].filter((b) => !process.env.QUEUE_BACKENDS || process.env.QUEUE_BACKENDS.split(',').includes(b.name));

/** Opens a fresh namespace of `backend` for one test and defers its drop (after the test's own cleanups, which close what uses it). */
export async function openSpace(backend: QueueBackend, label: string, defer: (cleanup: () => unknown) => void): Promise<QueueSpace> {
  const at = await backend.open(label);
  defer(() => at.drop());
  return at;
}
