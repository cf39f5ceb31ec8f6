import { withTimeout } from '../../core/with-timeout.js';
import { QueueUnavailableError } from '../../errors/queue-unavailable-error.js';
import { isPostgresQueueClient, type QueueClient, type QueueConnection, type RedisConnection } from '../connection.js';
import { describeRedis } from '../redis-address.js';

/**
 * A producer's bound on each enqueue (`enqueueTimeoutMs`), and the error it rejects with: a
 * {@link QueueUnavailableError} naming where the queue store is and why it could not be reached.
 */
export class EnqueueDeadline {
  /** Where the queue store is (`host:port`), for error messages. */
  readonly #address: string;
  /** `Redis` or `PostgreSQL`, for error messages. */
  readonly #storeName: string;
  /** The Redis client's latest connection error since it was last ready: the cause a timed-out submit names. */
  #lastRedisError: Error | undefined;

  /** Listens to `client`'s connection errors from now on; `connection` is what it was created from. */
  constructor(
    client: QueueClient,
    connection: QueueConnection,
    readonly timeoutMs: number,
  ) {
    // Failures surface as rejected submit() calls (naming the last one as their cause); without a
    // listener ioredis prints every reconnect error.
    client.on('error', (err) => (this.#lastRedisError = err));
    client.on('ready', () => (this.#lastRedisError = undefined));
    this.#address = isPostgresQueueClient(client) ? client.address : describeRedis(connection as RedisConnection);
    this.#storeName = isPostgresQueueClient(client) ? 'PostgreSQL' : 'Redis';
  }

  /**
   * Rejects with {@link QueueUnavailableError} when `work` fails or has not settled within
   * `enqueueTimeoutMs`, naming where Redis is and the last connection error as the cause.
   */
  async within(work: Promise<void>, schema: string): Promise<void> {
    const ms = this.timeoutMs;
    const at = `${this.#storeName} at ${this.#address}`;
    // The client's own connection error says why (ECONNREFUSED, ENOTFOUND, NOAUTH…); the
    // command's rejection (ioredis's offline queue) or our timeout does not.
    const last = () => this.#lastRedisError;
    const why = () => {
      const cause = last();
      return cause ? `: ${cause.message}${codeOf(cause)}` : '';
    };
    try {
      await withTimeout(work, ms, () => new QueueUnavailableError(`schema "${schema}": ${at} did not confirm the enqueue within ${ms} ms${why() || '; is it running and reachable from here?'}`, { cause: last(), address: this.#address }));
    } catch (err) {
      if (err instanceof QueueUnavailableError) throw err;
      const detail = why() || `: ${(err as Error).message}${codeOf(err)}`;
      throw new QueueUnavailableError(`schema "${schema}": enqueue into ${at} failed${detail}`, { cause: last() ?? err, address: this.#address });
    }
  }
}

/** ` (CODE)` for an error with a string code (`ECONNREFUSED`, `NOAUTH`…), else nothing. */
function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}
