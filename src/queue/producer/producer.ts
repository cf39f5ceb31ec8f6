import { createHash } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { EncodedValue } from '../../core/codec.js';
import { Request } from '../../core/request.js';
import { withTimeout } from '../../core/with-timeout.js';
import { settleWithin } from '../../core/settle-within.js';
import type { Row, Schema } from '../../core/schema.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { QueueUnavailableError } from '../../errors/queue-unavailable-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { noopMetrics, type MetricsReporter } from '../../metrics/metrics-reporter.js';
import { createQueueClient, isPostgresQueueClient, type QueueClient, type RedisConnection } from '../connection.js';
import { describeRedis } from '../redis-address.js';
import { ReplicaWaiter } from './replica-wait.js';
import { PackingBuffer, type PackingLimits } from './packing-buffer.js';
import { assertPayloadSize } from './payload-size.js';
import { partitionQueueName } from '../queue-names.js';
import { RoundRobin, splitByPartition } from '../../core/partition-of.js';
import { encodeSubmitted } from './submit-version.js';
import { SchemaRegistry } from './schema-registry.js';
import type { SubmittedRow } from './checked-row.js';
import { openQueue } from '../open-queue.js';
import { stateOf } from '../state/state-of.js';
import { keyedJobOptions, schemaJobOptions } from '../job-options.js';
import { schemaJobData } from '../job-data.js';
import { loadOtelApi } from '../../tracing/otel-api.js';
import { activeTraceparent } from '../../tracing/trace-context.js';
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './producer-options.js';

/** Per-call options of `submit()` / `submitMany()`. */
export interface SubmitOptions {
  /** Aborts the call; checked before anything else, so an aborted call enqueues nothing. */
  signal?: AbortSignal;
  /**
   * Deduplicates a repeated submit of the same request: it becomes the BullMQ job id, so while
   * the job exists (waiting, active or delayed) another submit with the key is not enqueued again.
   * Such a job is removed as soon as it completes (see `keepCompletedJobs`), so the key is free again.
   * A keyed request travels alone in its job (also with packing, which it bypasses).
   */
  idempotencyKey?: string;
}

type EncodedRow = Record<string, EncodedValue>;

/**
 * What follows `submit()`'s first argument: only options after a `Request`; a row and options
 * after a schema (a typed one checks the row column by column, see `CheckedRow`); a row
 * checked at run time only after a schema's name. One signature rather than overloads, so that
 * a bad row's compile error is about its column, not about the last overload.
 */
export type SubmitArgs<A, T> = A extends Request ? [options?: SubmitOptions] : A extends Schema ? [row: SubmittedRow<A, T>, options?: SubmitOptions] : [row: Row, options?: SubmitOptions];

/** What follows `submitMany()`'s first argument, as {@link SubmitArgs} for many rows. */
export type SubmitManyArgs<A, T> = A extends readonly Request[]
  ? [options?: SubmitOptions]
  : A extends Schema
    ? [rows: ReadonlyArray<SubmittedRow<A, T>>, options?: SubmitOptions]
    : [rows: ReadonlyArray<Row>, options?: SubmitOptions];

/**
 * Submits requests into their schema's queue. Every promise resolves only once Redis has stored
 * the request; bad input is rejected before anything is enqueued.
 *
 * @example
 * ```ts
 * const producer = new Producer({ connection: 'redis://127.0.0.1:6379', schemas: [users] });
 * await producer.submit(users, { id: 1n, name: 'Ada' });            // typed row
 * await producer.submit(new Request(users).setInt64('id', 2n).setString('name', 'Bob'));
 * await producer.close();
 * ```
 */
export class Producer {
  readonly #registry: SchemaRegistry;
  readonly #redis: QueueClient;
  readonly #queues = new Map<string, Queue>();
  readonly #packers = new Map<string, PackingBuffer>();
  readonly #options: ResolvedProducerOptions;
  readonly #metrics: MetricsReporter;
  readonly #jobOptions: JobsOptions;
  readonly #replicas: ReplicaWaiter | undefined;
  /** Per queue: its entry in the schema's layout registry, written before its first job (see `schema-layouts.ts`). */
  readonly #registered = new Map<string, Promise<void>>();
  /** Per schema: the partition turn of its keyless requests. */
  readonly #spread = new Map<string, RoundRobin>();
  /** Where the queue store is (`host:port`), for error messages. */
  readonly #address: string;
  /** `Redis` or `PostgreSQL`, for error messages. */
  readonly #storeName: string;
  /** The Redis client's latest connection error since it was last ready: the cause a timed-out submit names. */
  #lastRedisError: Error | undefined;
  /** With `tracing`: the caller's active trace context, as a W3C traceparent. */
  readonly #trace: (() => string | undefined) | undefined;

  /** @throws ConfigError naming the field, for an option out of range (e.g. `packing.maxRequestsPerJob: 0`). */
  constructor(options: ProducerOptions) {
    this.#options = resolveProducerOptions(options);
    this.#registry = new SchemaRegistry(this.#options.schemas);
    this.#metrics = this.#options.metrics ?? noopMetrics;
    this.#jobOptions = schemaJobOptions(this.#options.jobAttempts, this.#options.keepCompletedJobs);
    this.#redis = createQueueClient(this.#options.connection, 'producer');
    // Failures surface as rejected submit() calls (naming the last one as their cause); without a
    // listener ioredis prints every reconnect error.
    this.#redis.on('error', (err) => (this.#lastRedisError = err));
    this.#redis.on('ready', () => (this.#lastRedisError = undefined));
    const redis = this.#redis;
    this.#address = isPostgresQueueClient(redis) ? redis.address : describeRedis(this.#options.connection as RedisConnection);
    this.#storeName = isPostgresQueueClient(redis) ? 'PostgreSQL' : 'Redis';
    // resolveProducerOptions refused `replicas` on PostgreSQL (synchronous replication is its equivalent).
    this.#replicas = this.#options.replicas && !isPostgresQueueClient(redis) ? new ReplicaWaiter(redis, this.#options.prefix, this.#options.replicas) : undefined;
    if (this.#options.tracing) {
      const api = loadOtelApi();
      this.#trace = () => activeTraceparent(api);
    }
  }

  /** Schemas this producer accepts. */
  get schemas(): Schema[] {
    return this.#registry.all;
  }

  /**
   * Submits one request; or one row of a schema, checked at compile time column by column for a
   * typed schema (`submit(users, { id: 'x' })` fails with `column 'id' expects a number or bigint
   * (int64)`); or one row of a schema given by name, checked at run time only (e.g. HTTP ingest).
   */
  submit<A extends Request | Schema | string, T extends object>(target: A, ...args: SubmitArgs<A, T>): Promise<void>;
  async submit(a: Request | Schema | string, b?: Row | SubmitOptions, c?: SubmitOptions): Promise<void> {
    const options = (a instanceof Request ? b : c) as SubmitOptions | undefined;
    if (options?.signal?.aborted) throw new AbortedError();
    const request = a instanceof Request ? a : this.#toRequest(a, b as Row);
    const schema = this.#registry.resolve(request.schema);
    const row = encodeSubmitted(schema, request);
    const bytes = assertPayloadSize(schema.name, row, this.#options.maxPayloadBytes);
    await this.#enqueue(schema, [row], [bytes], options, this.#trace?.());
  }

  /**
   * Submits many requests, or rows of one schema (checked as in {@link submit}, or at run time
   * only for a schema given by name); all are validated before any is enqueued.
   */
  submitMany<A extends readonly Request[] | Schema | string, T extends object>(target: A, ...args: SubmitManyArgs<A, T>): Promise<void>;
  async submitMany(a: readonly Request[] | Schema | string, b?: ReadonlyArray<Row> | SubmitOptions, c?: SubmitOptions): Promise<void> {
    const options = (Array.isArray(a) ? b : c) as SubmitOptions | undefined;
    if (options?.signal?.aborted) throw new AbortedError();
    if (options?.idempotencyKey) throw new ValidationError('invalid_row', 'idempotencyKey applies to submit(), not submitMany()');
    const requests = Array.isArray(a) ? (a as readonly Request[]) : (b as ReadonlyArray<Row>).map((row) => this.#toRequest(a as Schema | string, row));
    // Validates and encodes everything before any I/O; rows grouped by schema, with their estimated sizes.
    const bySchema = new Map<Schema, { rows: EncodedRow[]; bytes: number[] }>();
    for (const request of requests) {
      const schema = this.#registry.resolve(request.schema);
      const row = encodeSubmitted(schema, request);
      const bytes = assertPayloadSize(schema.name, row, this.#options.maxPayloadBytes);
      let group = bySchema.get(schema);
      if (!group) bySchema.set(schema, (group = { rows: [], bytes: [] }));
      group.rows.push(row);
      group.bytes.push(bytes);
    }
    const trace = this.#trace?.();
    await Promise.all([...bySchema].map(([schema, group]) => this.#enqueue(schema, group.rows, group.bytes, options, trace)));
  }

  /**
   * Submits a delete of the row whose key is `key` (the key columns, and the version column when
   * the schema's `versionSource` is `'row'`). Durable like {@link Producer.submit}: it resolves once
   * stored. Refused with a {@link ValidationError} on a schema without keys, on a missing or null key
   * column, and on any other column.
   *
   * @example
   * ```ts
   * await producer.delete(users, { id: 42n });
   * ```
   */
  async delete(schema: Schema | string, key: Row, options?: SubmitOptions): Promise<void> {
    if (options?.signal?.aborted) throw new AbortedError();
    await this.submit(Request.deleteOf(this.#registry.resolve(schema), key), options);
  }

  /** Submits many deletes of one schema, validated before any is enqueued (see {@link Producer.delete}). */
  async deleteMany(schema: Schema | string, keys: ReadonlyArray<Row>, options?: SubmitOptions): Promise<void> {
    if (options?.signal?.aborted) throw new AbortedError();
    const resolved = this.#registry.resolve(schema);
    await this.submitMany(keys.map((key) => Request.deleteOf(resolved, key)), options);
  }

  /**
   * Sends any packed requests still waiting, waits for sends in flight (at most `enqueueTimeoutMs`),
   * then closes the queues and the Redis connection.
   */
  async close(): Promise<void> {
    // Bounded: a send to an unreachable Redis never settles, and its submits were already rejected after enqueueTimeoutMs.
    await Promise.allSettled([...this.#packers.values()].map((packer) => settleWithin(packer.close(), this.#options.enqueueTimeoutMs)));
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.#redis.disconnect();
  }

  #toRequest(schema: Schema | string, row: Row): Request {
    return Request.fromRow(this.#registry.resolve(schema), row);
  }

  /** `trace`: the caller's traceparent, recorded with each of its rows. */
  async #enqueue(schema: Schema, rows: EncodedRow[], bytes: number[], options: SubmitOptions | undefined, trace: string | undefined): Promise<void> {
    const started = performance.now();
    // `!== undefined`, not truthiness: an empty key is a mistake to refuse, not "no key" (which would silently enqueue duplicates).
    const jobId = options?.idempotencyKey !== undefined ? idempotentJobId(options.idempotencyKey) : undefined;
    // Each partition is its own queue (and slot): rows are stored, and replication awaited, per partition.
    const store = async (partition: number, partRows: EncodedRow[], partBytes: number[]) => {
      const queue = partitionQueueName(schema.name, partition, schema.partitions);
      const replicated = this.#replicas?.prepare(queue); // before the write: pins the slot's master
      await this.#enqueueWithin(this.#store(schema, queue, partRows, partBytes, jobId, trace), schema.name);
      await replicated?.();
    };
    if (schema.partitions <= 1) await store(0, rows, bytes);
    else await Promise.all(splitByPartition(schema, rows, bytes, this.#spreadOf(schema.name)).map((group) => store(group.partition, group.rows, group.bytes)));
    this.#metrics.requestsEnqueued(schema.name, rows.length, (performance.now() - started) / 1000);
  }

  async #store(schema: Schema, name: string, rows: EncodedRow[], bytes: number[], jobId: string | undefined, trace: string | undefined): Promise<void> {
    // Packed: the registration rides in the packer's first send, so submits made meanwhile pack behind it.
    if (this.#options.packing && jobId === undefined) return this.#packer(schema, name).addMany(rows, bytes, trace);
    await this.#register(schema.name, name);
    const queue = this.#queue(name);
    const traces = trace === undefined ? undefined : [trace];
    if (rows.length === 1) {
      await queue.add(schema.name, schemaJobData(schema.name, rows, undefined, traces), jobId ? keyedJobOptions(this.#jobOptions, jobId) : this.#jobOptions);
      return;
    }
    for (let i = 0; i < rows.length; i += 1000) {
      await queue.addBulk(rows.slice(i, i + 1000).map((row) => ({ name: schema.name, data: schemaJobData(schema.name, [row], undefined, traces), opts: this.#jobOptions })));
    }
  }

  /**
   * Records the queue in the schema's layout registry once per producer, before its first job: a
   * worker of another `partitions` finds it there and drains it (docs/guides/partitions-and-cluster.md).
   */
  #register(schema: string, name: string): Promise<void> {
    let registered = this.#registered.get(name);
    if (!registered) {
      // After the queue's connection is ready, as BullMQ's own add waits (the producer's client has no offline queue).
      registered = this.#queue(name)
        .waitUntilReady()
        .then(() => stateOf(this.#redis).registerQueues(this.#options.prefix, schema, [name]));
      this.#registered.set(name, registered);
      registered.catch(() => this.#registered.delete(name)); // tried again with the next submit
    }
    return registered;
  }

  #spreadOf(schema: string): RoundRobin {
    let spread = this.#spread.get(schema);
    if (!spread) this.#spread.set(schema, (spread = new RoundRobin()));
    return spread;
  }

  /** The queue named `name` (a schema's, or one partition's). */
  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = openQueue(name, this.#redis, this.#options.prefix, this.#options.telemetry);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** One packing buffer per queue: a packed job never mixes partitions. */
  #packer(schema: Schema, name: string): PackingBuffer {
    let packer = this.#packers.get(name);
    if (!packer) {
      const queue = this.#queue(name);
      // A packed job keeps the schema's name; Bull Board shows its request count (`n`) and requests (`rows`) in its data.
      const send = async (jobs: EncodedRow[][], traces: ReadonlyArray<string[] | undefined>) => {
        await this.#register(schema.name, name);
        // One job (the usual pack): Queue#add. On BullMQ's PostgreSQL backend an addBulk of one job
        // costs 4-5x an add (its bulk path builds temporary tables), and the pack rate is one send per round trip.
        const [only] = jobs;
        if (jobs.length === 1 && only) await queue.add(schema.name, schemaJobData(schema.name, only, undefined, traces[0]), this.#jobOptions);
        else await queue.addBulk(jobs.map((rows, i) => ({ name: schema.name, data: schemaJobData(schema.name, rows, undefined, traces[i]), opts: this.#jobOptions })));
      };
      packer = new PackingBuffer(this.#options.packing as PackingLimits, send);
      this.#packers.set(name, packer);
    }
    return packer;
  }

  /**
   * Rejects with {@link QueueUnavailableError} when `work` fails or has not settled within
   * `enqueueTimeoutMs`, naming where Redis is and the last connection error as the cause.
   */
  async #enqueueWithin(work: Promise<void>, schema: string): Promise<void> {
    const ms = this.#options.enqueueTimeoutMs;
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

/** BullMQ job ids may not contain `:` nor look like integers; a hash of the key is neither. */
function idempotentJobId(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new ValidationError('invalid_row', 'idempotencyKey must be a non-empty string');
  return `k_${createHash('sha256').update(key).digest('base64url')}`;
}

/** ` (CODE)` for an error with a string code (`ECONNREFUSED`, `NOAUTH`…), else nothing. */
function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}
