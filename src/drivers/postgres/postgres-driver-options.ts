/** The part of a checked-out client the driver uses; a node-postgres `PoolClient` fits. */
export interface PostgresClientLike {
  /** Runs one statement with bound parameters. */
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Returns the client to its pool; a truthy argument destroys it instead. */
  release(destroy?: boolean | Error): void;
}

/** The part of a pool the driver uses; a node-postgres `Pool` fits. */
export interface PostgresPoolLike {
  /** Checks out a client; the driver releases it after the batch. */
  connect(): Promise<PostgresClientLike>;
}

/** Options of {@link PostgresDriver}. Give exactly one of `pool` and `connectionString`. */
export interface PostgresDriverOptions {
  /**
   * Your own pool (e.g. `new pg.Pool(...)`). The driver checks out one client per batch and
   * never ends the pool: it stays yours to configure and close.
   * @defaultValue none
   */
  pool?: PostgresPoolLike;
  /**
   * A `postgres://user:password@host:port/db` URL. The driver then opens, owns and (on
   * `close()`) ends its own pool. It never appears in error messages.
   * @defaultValue none
   */
  connectionString?: string;
  /**
   * Most connections in the driver's own pool (ignored with `pool`).
   * @defaultValue 10
   */
  poolSize?: number;
  /**
   * How long the driver's own pool waits for a connection before failing with reason `connection`
   * (ignored with `pool`).
   * @defaultValue 10000
   */
  connectTimeoutMs?: number;
  /**
   * `statement_timeout` for each batch's transaction (`SET LOCAL`); a statement running longer
   * fails with SQLSTATE 57014, reason `timeout`.
   * @defaultValue undefined (the server's setting)
   */
  statementTimeoutMs?: number;
  /**
   * `lock_timeout` for each batch's transaction (`SET LOCAL`); a lock wait longer than this
   * fails with SQLSTATE 55P03, reason `lock_timeout`.
   * @defaultValue undefined (the server's setting)
   */
  lockTimeoutMs?: number;
  /**
   * Most rows per `INSERT … SELECT * FROM unnest(…)` statement; larger batches run several
   * statements inside the same transaction. Array binding uses one parameter per column,
   * so this bounds message size and memory, not the 65,535-parameter limit.
   * @defaultValue 10000
   */
  maxRowsPerStatement?: number;
}

/** Defaults of {@link PostgresDriverOptions}. */
export const POSTGRES_DRIVER_DEFAULTS = Object.freeze({
  poolSize: 10,
  connectTimeoutMs: 10_000,
  maxRowsPerStatement: 10_000,
} satisfies PostgresDriverOptions);

