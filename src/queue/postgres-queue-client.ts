import { EventEmitter } from 'node:events';
import { DEFAULT_SCHEMA, quoteSchemaName, type PostgresConnectionOptions } from 'bullmq';
import { redactCommandCredentials } from '../core/redact-credentials.js';
import { ConfigError } from '../errors/config-error.js';
import { MissingClientError } from '../errors/missing-client-error.js';

/** The subset of a node-postgres `Pool` BatchFlow uses: your pool, left open when BatchFlow closes. */
export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** A client checked out of a {@link PgPoolLike}. */
export interface PgPoolClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(err?: Error | boolean): void;
}

/**
 * The queues on PostgreSQL, through BullMQ's PostgreSQL backend, instead of Redis: a
 * `postgres://` URL, or your `pg.Pool`. The queues live in their own schema (`schema`), beside
 * the tables BatchFlow writes, so one PostgreSQL is the whole deployment.
 *
 * A pool is used as it is (BullMQ's backend checks clients out of it, one per waiting Worker for
 * `LISTEN`, so size it accordingly) and must have the queue schema on its connections'
 * `search_path` (`options: '-c search_path=bullmq'`); BullMQ reads its schema version from
 * `bullmq` for a pool it did not create, so a pool serves only the default schema.
 *
 * @example
 * ```ts
 * const producer = new Producer({ connection: { postgres: 'postgres://app@db/app', schema: 'batchflow_queues' }, schemas: [users] });
 * ```
 */
export interface PostgresQueueConnection {
  /** `postgres://` URL or a `pg.Pool`. */
  postgres: string | PgPoolLike;
  /** The schema holding the queues and BatchFlow's own state tables. @defaultValue `'bullmq'` */
  schema?: string;
}

/** Default queue schema: BullMQ's own (`bullmq`). */
export const DEFAULT_QUEUE_SCHEMA: string = DEFAULT_SCHEMA;

/**
 * Connections each BullMQ object opens at most on a URL (a pool per Queue or Worker, as BullMQ's
 * backend owns the pool it builds from a URL): queues add in few large statements, workers
 * complete many jobs at once.
 */
const POOL_MAX = { producer: 4, worker: 8 } as const;

/** True when `connection` chooses the PostgreSQL queue backend. */
export function isPostgresQueueConnection(connection: unknown): connection is PostgresQueueConnection {
  return typeof connection === 'object' && connection !== null && 'postgres' in connection;
}

/**
 * BatchFlow's handle on a PostgreSQL queue database: what each BullMQ Queue and Worker connects
 * with, and one small pool of its own for BatchFlow's state tables (see `src/queue/state/`).
 * It emits `error` like an ioredis client, for the callers that listen to their queue client.
 * Pass one where an API takes a queue client (e.g. `new DeadLetterQueue(schema, client)`), as an
 * ioredis client on Redis; `disconnect()` it when done.
 *
 * @example
 * ```ts
 * const client = new PostgresQueueClient({ postgres: url, schema: 'batchflow_queues' }, 'producer');
 * const dlq = new DeadLetterQueue('orders', client);
 * await dlq.replay();
 * await dlq.close();
 * client.disconnect();
 * ```
 */
export class PostgresQueueClient extends EventEmitter {
  readonly schema: string;
  /** `host:port/database` (no credentials), for messages. */
  readonly address: string;
  readonly #connection: PostgresQueueConnection;
  readonly #role: 'worker' | 'producer';
  #pool: Promise<PgPoolLike> | undefined;

  /** @throws ConfigError for a bad schema name, or a schema other than `bullmq` with a pool. */
  constructor(connection: PostgresQueueConnection, role: 'worker' | 'producer') {
    super();
    this.#connection = connection;
    this.#role = role;
    this.schema = connection.schema ?? DEFAULT_QUEUE_SCHEMA;
    try {
      quoteSchemaName(this.schema);
    } catch {
      throw new ConfigError('connection.schema', `must be a simple identifier (letters, digits, _), got ${JSON.stringify(this.schema)}`);
    }
    if (typeof connection.postgres !== 'string' && this.schema !== DEFAULT_QUEUE_SCHEMA) {
      throw new ConfigError('connection.schema', `a pg.Pool serves only BullMQ's default queue schema "${DEFAULT_QUEUE_SCHEMA}"; pass a URL to use "${this.schema}"`);
    }
    this.address = typeof connection.postgres === 'string' ? describePostgresUrl(connection.postgres) : 'a pg.Pool';
  }

  /** The schema, quoted for SQL text. */
  get quotedSchema(): string {
    return quoteSchemaName(this.schema);
  }

  /** What a BullMQ Queue or Worker on this database connects with (its own pool from a URL; your pool as is). */
  bullmqConnection(role: 'worker' | 'producer' = this.#role): PostgresConnectionOptions {
    const { postgres } = this.#connection;
    if (typeof postgres !== 'string') return postgres as unknown as PostgresConnectionOptions;
    return { connectionString: postgres, schema: this.schema, max: POOL_MAX[role] };
  }

  /** Runs one statement of BatchFlow's own state on its small pool (table names schema-qualified). */
  async query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]> {
    const pool = await this.pool();
    try {
      return (await pool.query(text, values)).rows as R[];
    } catch (err) {
      redactCommandCredentials(err);
      throw err;
    }
  }

  /** The pool BatchFlow's own statements run on: yours, or a small one built from the URL. */
  pool(): Promise<PgPoolLike> {
    this.#pool ??= this.#openPool();
    return this.#pool;
  }

  /** Ends the pool BatchFlow built (yours stays open). */
  disconnect(): void {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool && typeof this.#connection.postgres === 'string') void pool.then((p) => p.end()).catch(() => {});
  }

  async #openPool(): Promise<PgPoolLike> {
    const { postgres } = this.#connection;
    if (typeof postgres !== 'string') return postgres;
    const pg = await import('pg').catch((err: unknown) => {
      throw new MissingClientError('pg', 'the PostgreSQL queue backend', { cause: err });
    });
    const pool = new pg.default.Pool({ connectionString: postgres, max: 2 }) as unknown as PgPoolLike;
    pool.on('error', (err) => {
      redactCommandCredentials(err);
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    return pool;
  }
}

/** `host:port/database` of a `postgres://` URL, without credentials. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}
