import { createQueueClient, type QueueClient, type QueueConnection } from './connection.js';

/** A process's shared worker client, held until {@link SharedQueueClient.release}. */
export interface SharedQueueClient {
  readonly client: QueueClient;
  /** Lets go of the client (idempotent); the last holder disconnects it. */
  release(): void;
}

/** Worker clients by connection value: a URL string by its text, options or an instance by identity. */
const clients = new Map<QueueConnection, { readonly client: QueueClient; holders: number }>();

/**
 * The process's one worker-role client ({@link createQueueClient}) for `connection`, shared by
 * every consumer given the same connection value (the same URL string, or the same options object
 * or instance, as the worker service passes its one `redis` config to every consumer). On Redis,
 * BullMQ runs its non-blocking commands on it for every Queue and Worker of those consumers, and
 * the consumers their own reads and writes (health board, layout registry, DLQ, sweeps); only each
 * Worker's blocking fetch needs a connection of its own (BullMQ duplicates it). So a process holds
 * one connection plus one per Worker, rather than one more per schema. On PostgreSQL the consumers
 * share the client's small pool for BatchFlow's own state.
 *
 * Reference-counted: the client is disconnected when its last holder releases it, and a Redis
 * client that ended (disconnected) is replaced for later holders.
 */
export function acquireQueueClient(connection: QueueConnection): SharedQueueClient {
  let entry = clients.get(connection);
  if (!entry || ('status' in entry.client && entry.client.status === 'end')) {
    entry = { client: createQueueClient(connection, 'worker'), holders: 0 };
    clients.set(connection, entry);
  }
  const held = entry;
  held.holders++;
  let released = false;
  return {
    client: held.client,
    release: () => {
      if (released) return;
      released = true;
      if (--held.holders > 0) return;
      if (clients.get(connection) === held) clients.delete(connection);
      held.client.disconnect();
    },
  };
}
