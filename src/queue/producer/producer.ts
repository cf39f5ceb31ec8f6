import type { EncodedValue } from '../../core/codec.js';
import { Request } from '../../core/request.js';
import type { Row, Schema } from '../../core/schema.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { noopMetrics, type MetricsReporter } from '../../metrics/metrics-reporter.js';
import { createQueueClient, isPostgresQueueClient, type QueueClient } from '../connection.js';
import { ReplicaWaiter } from './replica-wait.js';
import { assertPayloadSize } from './payload-size.js';
import { partitionQueueName } from '../queue-names.js';
import { RoundRobin, splitByPartition } from '../../core/partition-of.js';
import { encodeSubmitted } from './submit-version.js';
import { SchemaRegistry } from './schema-registry.js';
import { schemaJobOptions } from '../job-options.js';
import { loadOtelApi } from '../../tracing/otel-api.js';
import { activeTraceparent } from '../../tracing/trace-context.js';
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './producer-options.js';
import { EnqueueDeadline } from './enqueue-deadline.js';
import { idempotentJobId } from './idempotent-job-id.js';
import { ProducerQueues } from './producer-queues.js';
import type { SubmitArgs, SubmitManyArgs, SubmitOptions } from './submit-options.js';

export type { SubmitArgs, SubmitManyArgs, SubmitOptions } from './submit-options.js';

type EncodedRow = Record<string, EncodedValue>;

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
  readonly #queues: ProducerQueues;
  readonly #options: ResolvedProducerOptions;
  readonly #metrics: MetricsReporter;
  readonly #replicas: ReplicaWaiter | undefined;
  /** Per schema: the partition turn of its keyless requests. */
  readonly #spread = new Map<string, RoundRobin>();
  /** Bounds each enqueue and names the queue store and its last connection error when one fails. */
  readonly #deadline: EnqueueDeadline;
  /** With `tracing`: the caller's active trace context, as a W3C traceparent. */
  readonly #trace: (() => string | undefined) | undefined;

  /** @throws ConfigError naming the field, for an option out of range (e.g. `packing.maxRequestsPerJob: 0`). */
  constructor(options: ProducerOptions) {
    this.#options = resolveProducerOptions(options);
    this.#registry = new SchemaRegistry(this.#options.schemas);
    this.#metrics = this.#options.metrics ?? noopMetrics;
    const jobOptions = schemaJobOptions(this.#options.jobAttempts, this.#options.keepCompletedJobs);
    this.#redis = createQueueClient(this.#options.connection, 'producer');
    this.#deadline = new EnqueueDeadline(this.#redis, this.#options.connection, this.#options.enqueueTimeoutMs);
    const redis = this.#redis;
    this.#queues = new ProducerQueues(redis, this.#options, jobOptions);
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
    await this.#queues.close();
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
      await this.#deadline.within(this.#queues.store(schema, queue, partRows, partBytes, jobId, trace), schema.name);
      await replicated?.();
    };
    if (schema.partitions <= 1) await store(0, rows, bytes);
    else await Promise.all(splitByPartition(schema, rows, bytes, this.#spreadOf(schema.name)).map((group) => store(group.partition, group.rows, group.bytes)));
    this.#metrics.requestsEnqueued(schema.name, rows.length, (performance.now() - started) / 1000);
  }

  #spreadOf(schema: string): RoundRobin {
    let spread = this.#spread.get(schema);
    if (!spread) this.#spread.set(schema, (spread = new RoundRobin()));
    return spread;
  }
}
