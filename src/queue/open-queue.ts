import { createPostgresBackend, Queue, type BackendFactory, type ConnectionOptions, type RedisQueueBackend, type Telemetry, type Worker } from 'bullmq';
import { isPostgresQueueClient, type QueueClient } from './connection.js';
import { queueKeyPrefix } from './queue-names.js';

/**
 * Events kept in each queue's BullMQ events stream. BullMQ's default (10,000) leaves about half a
 * megabyte per queue in Redis after a drain; live `QueueEvents` listeners need far fewer.
 * Every Queue object of a queue must agree: BullMQ stores the value in the queue's meta key.
 */
export const EVENTS_STREAM_MAX_LEN = 1000;

/**
 * BullMQ Worker `drainDelay` (seconds) of every BatchFlow Worker: how long an idle Worker's
 * blocking fetch (`BZPOPMIN` on the queue's marker) waits before it polls again. A new job wakes
 * it at once (the producer's script adds the marker), so this adds no latency; it only sets how
 * often an idle Worker wakes, which a process with many schemas pays per Worker. BullMQ's default
 * is 5; 10 is the most BullMQ blocks for on Redis (`maximumBlockTimeout`).
 */
export const WORKER_DRAIN_DELAY_SECONDS = 10;

/**
 * How a BullMQ Queue or Worker of queue `name` connects on `client`: on Redis the client itself
 * and the queue's hash-tagged key prefix ({@link queueKeyPrefix}); on PostgreSQL BullMQ's
 * PostgreSQL backend (its factory, and the database's connection options; the schema is the
 * namespace there, so `prefix` is not used).
 *
 * BullMQ types its classes by backend; BatchFlow uses only the API both backends share (and the
 * Redis client only in the Redis state, `src/queue/state/`), so the PostgreSQL factory is typed
 * as the Redis one here, in this one place.
 */
export function queueBackend(name: string, client: QueueClient, prefix: string, role: 'worker' | 'producer' = 'producer'): { connection: ConnectionOptions; prefix?: string; factory?: BackendFactory<RedisQueueBackend, ConnectionOptions> } {
  if (!isPostgresQueueClient(client)) return { connection: client, prefix: queueKeyPrefix(prefix, name) };
  return { connection: client.bullmqConnection(role) as unknown as ConnectionOptions, factory: createPostgresBackend as unknown as BackendFactory<RedisQueueBackend, ConnectionOptions> };
}

/**
 * Opens a BullMQ Queue the way every BatchFlow component does: shared connection (see
 * {@link queueBackend}), bounded events stream, and a quiet `error` listener (failures surface
 * through the rejected call instead); `telemetry` is BullMQ's (`bullmq-otel`).
 */
export function openQueue<T = unknown>(name: string, connection: QueueClient, prefix: string, telemetry?: Telemetry): Queue<T> {
  const { factory, ...backend } = queueBackend(name, connection, prefix);
  const options = { ...backend, streams: { events: { maxLen: EVENTS_STREAM_MAX_LEN } }, ...(telemetry && { telemetry }) };
  const queue = factory ? new Queue<T>(name, options, factory as never) : new Queue<T>(name, options);
  queue.on('error', () => {});
  return queue;
}

/**
 * Turns off BullMQ's recovery of a Worker's blocking Redis Cluster client: every BatchFlow Worker
 * calls it just before `close()`.
 *
 * Why: on a Cluster, BullMQ 6.7 wraps the blocking client's `BZPOPMIN` so that a failure which
 * leaves the client without nodes reconnects it (`runWithClusterRecovery`). A graceful
 * `Worker.close()` first cuts that client to end the fetch in flight (`whenCurrentJobsFinished`
 * → `disconnectBlocking`), and only later, in `RedisConnection.close()`, turns the recovery off.
 * In between, the failed fetch finds no nodes and a status of `close` (ioredis sets it again for
 * each node that ends, after `end`; BullMQ stops only on `end` or `closing`), so BullMQ
 * reconnects the client (`disconnect(false)` + `connect()`) while the Worker closes. The sockets
 * of the old nodes still ending then unregister the new nodes of the same address from the pool
 * (ioredis's `ConnectionPool` removes by address on a node's `end`), and `quit()` never reaches
 * those: after `close()` they stay open (often to the replicas, last command `READONLY`) and keep
 * the process alive. Turning the recovery off first (BullMQ's own switch, the one `close()` uses)
 * means no reconnect. The switch is internal to BullMQ, so it is looked up, and a BullMQ without
 * it (or a backend without a blocking connection: PostgreSQL, a single Redis) is left as it is.
 */
export function disableBlockingClusterRecovery(worker: Pick<Worker, 'getBackend'>): void {
  const backend = worker.getBackend() as { blockingConnection?: { disableBlockingClusterReconnect?: () => void } };
  backend.blockingConnection?.disableBlockingClusterReconnect?.();
}
