import { Cluster, type Redis } from 'ioredis';
import { ConfigError } from '../../errors/config-error.js';
import { ReplicationTimeoutError } from '../../errors/replication-timeout-error.js';
import type { RedisClient } from '../connection.js';
import { keySlot } from '../key-slot.js';
import { queueKeyPrefix, queueName } from '../queue-names.js';
import { withTimeout } from '../../core/with-timeout.js';

/** The producer's `replicas` option: how many replicas must hold a job before `submit()` resolves. */
export interface ReplicaWaitOptions {
  /** Replicas that must acknowledge each enqueue (`WAIT count timeout`). At least 1. */
  count: number;
  /**
   * Longest wait for them; past it `submit()` rejects with a {@link ReplicationTimeoutError}.
   * @defaultValue 1000
   */
  timeoutMs?: number;
}

/** Defaults of {@link ReplicaWaitOptions}. */
export const REPLICA_WAIT_DEFAULTS = Object.freeze({ timeoutMs: 1000 });

/** Extra time over `timeoutMs` before a WAIT whose reply never comes (a frozen master) is given up. */
const REPLY_GRACE_MS = 2000;

/** Validates the `replicas` option once: `false` (off, the default) or `{ count, timeoutMs? }`. */
export function resolveReplicaWait(value: unknown): Readonly<Required<ReplicaWaitOptions>> | false {
  if (value === false || value === undefined) return false;
  if (value === null || typeof value !== 'object') throw new ConfigError('replicas', `must be false or { count, timeoutMs }, got ${JSON.stringify(value)}`);
  const { count, timeoutMs = REPLICA_WAIT_DEFAULTS.timeoutMs } = value as ReplicaWaitOptions;
  if (!Number.isInteger(count) || count < 1) throw new ConfigError('replicas.count', `must be a positive integer, got ${JSON.stringify(count)}`);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ConfigError('replicas.timeoutMs', `must be a positive integer, got ${JSON.stringify(timeoutMs)}`);
  return Object.freeze({ count, timeoutMs });
}

/**
 * One connection's WAITs, sent one at a time. `WAIT` covers every write the connection made before
 * it, so callers whose write completed while a WAIT was in flight share the next one (a group
 * commit): under load one round trip to the replicas confirms many submits. A WAIT also blocks its
 * connection until it returns, which is the cost measured in docs/guides/partitions-and-cluster.md, "Redis Cluster".
 */
class WaitRounds {
  #inFlight: Promise<number> | undefined;
  #next: Promise<number> | undefined;

  constructor(
    readonly connection: Redis,
    readonly options: Readonly<Required<ReplicaWaitOptions>>,
  ) {}

  /** Acknowledging replicas of a WAIT sent after the caller's write completed. */
  wait(): Promise<number> {
    if (!this.#inFlight) return this.#start();
    // The WAIT in flight may have been sent before this caller's write: join the next round.
    this.#next ??= this.#inFlight
      .then(() => undefined, () => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#start();
      });
    return this.#next;
  }

  #start(): Promise<number> {
    const { count, timeoutMs } = this.options;
    const timedOut = () => new Error(`no reply to WAIT within ${timeoutMs + REPLY_GRACE_MS} ms`);
    const reply = withTimeout(this.connection.wait(count, timeoutMs), timeoutMs + REPLY_GRACE_MS, timedOut).finally(() => {
      if (this.#inFlight === reply) this.#inFlight = undefined;
    });
    this.#inFlight = reply;
    return reply;
  }
}

/**
 * Makes enqueues durable across a failover: after a job is stored, `WAIT` on the connection that
 * stored it (Redis counts per connection) until `count` replicas hold it.
 *
 * On a cluster, `WAIT` carries no key, so ioredis would send it to any node; it is sent instead on
 * the pooled connection to the master that owns the queue's slot, which is the connection that
 * carried the job's script. The master is pinned before the write: if the slot moved to another
 * master meanwhile (a failover), the write cannot be vouched for and the submit rejects.
 */
export class ReplicaWaiter {
  readonly #rounds = new WeakMap<Redis, WaitRounds>();

  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
    readonly options: Readonly<Required<ReplicaWaitOptions>>,
  ) {}

  /**
   * Call before the write to `schema`'s queue (or a partition's, `orders#2`: the name is the queue's); call the returned function once the write resolved.
   * It resolves when the replicas acknowledged, and rejects with {@link ReplicationTimeoutError}
   * otherwise.
   */
  prepare(schema: string): () => Promise<void> {
    const slot = keySlot(queueKeyPrefix(this.prefix, queueName(schema)));
    const pinned = this.#connectionFor(slot);
    return async () => {
      const required = this.options.count;
      const connection = this.#connectionFor(slot);
      if (connection === undefined || (pinned !== undefined && pinned !== connection)) {
        throw new ReplicationTimeoutError(`schema "${schema}": stored, but slot ${slot} moved to another master during the submit, so its replication is unknown`, { acknowledged: 0, required });
      }
      let acknowledged: number;
      try {
        acknowledged = await this.#roundsOf(connection).wait();
      } catch (err) {
        throw new ReplicationTimeoutError(`schema "${schema}": stored, but the master could not confirm replication: ${(err as Error).message}`, { acknowledged: 0, required }, { cause: err });
      }
      if (acknowledged < required) {
        throw new ReplicationTimeoutError(`schema "${schema}": stored, but ${acknowledged} of ${required} replica(s) acknowledged within ${this.options.timeoutMs} ms`, { acknowledged, required });
      }
    };
  }

  /** The connection serving `slot`: the client itself, or the cluster's pooled connection to the slot's master (undefined before the slot map is known). */
  #connectionFor(slot: number): Redis | undefined {
    if (!(this.redis instanceof Cluster)) return this.redis;
    const owner = this.redis.slots[slot]?.[0];
    if (owner === undefined) return undefined;
    return this.redis.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === owner);
  }

  #roundsOf(connection: Redis): WaitRounds {
    let rounds = this.#rounds.get(connection);
    if (!rounds) {
      rounds = new WaitRounds(connection, this.options);
      this.#rounds.set(connection, rounds);
    }
    return rounds;
  }
}
