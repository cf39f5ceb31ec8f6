import { createHash } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { PAYLOAD_VERSION, encodeRequest, type EncodedValue } from '../core/codec.js';
import { Request } from '../core/request.js';
import type { Row, Schema } from '../core/schema.js';
import { AbortedError } from '../errors/aborted-error.js';
import { QueueUnavailableError } from '../errors/queue-unavailable-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { noopMetrics, type MetricsReporter } from '../metrics/metrics-reporter.js';
import { createRedis, type RedisConnection } from './connection.js';
import { PackingBuffer } from './packing-buffer.js';
import { assertPayloadSize } from './payload-size.js';
import { DEFAULT_PREFIX, queueName } from './queue-names.js';
import { SchemaRegistry } from './schema-registry.js';
import { openQueue } from './open-queue.js';
import { SCHEMA_JOB_DEFAULTS, schemaJobOptions } from './job-options.js';

/** Options of {@link Producer}. */
export interface ProducerOptions {
  /** Redis URL or ioredis options. */
  connection: RedisConnection;
  /** Schemas this producer may submit to. */
  schemas: readonly Schema[];
  /** Redis key prefix shared with the consumers. @defaultValue `'batchflow'` */
  prefix?: string;
  /** Largest JSON size of one request. @defaultValue 1048576 (1 MiB) */
  maxPayloadBytes?: number;
  /**
   * Producer packing: several requests share one job, which cuts the queue's per-job cost by the
   * packing factor (like Kafka's `linger.ms`/`batch.size`). Each `submit()` still resolves only once
   * its job is stored. Off by default so Bull Board shows one job per request.
   * @defaultValue `false`
   */
  packing?: false | { maxRequestsPerJob?: number; lingerMs?: number };
  /**
   * How many times BullMQ re-runs a job whose processing failed for a reason outside the sink
   * (e.g. Redis unavailable while dead-lettering). Sink failures never consume these.
   * @defaultValue 25
   */
  jobAttempts?: number;
  /**
   * Longest wait for Redis to confirm an enqueue. Past it `submit()` rejects with a
   * `QueueUnavailableError` instead of hanging while Redis is down (ioredis would otherwise
   * wait for a reconnect indefinitely).
   * @defaultValue 10000
   */
  enqueueTimeoutMs?: number;
  /** @defaultValue the no-op reporter */
  metrics?: MetricsReporter;
}

/** Defaults of {@link ProducerOptions}. */
export const PRODUCER_DEFAULTS = Object.freeze({
  prefix: DEFAULT_PREFIX,
  maxPayloadBytes: 1024 * 1024,
  maxRequestsPerJob: 100,
  lingerMs: 5,
  jobAttempts: SCHEMA_JOB_DEFAULTS.jobAttempts,
  enqueueTimeoutMs: 10_000,
});

/** Per-call options of `submit()` / `submitMany()`. */
export interface SubmitOptions {
  /** Aborts the call; checked before anything else, so an aborted call enqueues nothing. */
  signal?: AbortSignal;
  /**
   * Deduplicates a repeated submit of the same request: it becomes the BullMQ job id, so while
   * the job exists (waiting, active or delayed) another submit with the key is not enqueued again.
   * Not allowed with packing, where one job holds many requests.
   */
  idempotencyKey?: string;
}

type RowOfSchema<S extends Schema> = NonNullable<S['__row']>;

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
  readonly #redis: Redis;
  readonly #queues = new Map<string, Queue>();
  readonly #packers = new Map<string, PackingBuffer>();
  readonly #options: Omit<Required<ProducerOptions>, 'connection' | 'schemas' | 'packing'>;
  readonly #packing: { maxRequestsPerJob: number; lingerMs: number } | undefined;
  readonly #jobOptions: JobsOptions;

  constructor(options: ProducerOptions) {
    this.#registry = new SchemaRegistry(options.schemas);
    this.#options = {
      prefix: options.prefix ?? PRODUCER_DEFAULTS.prefix,
      maxPayloadBytes: options.maxPayloadBytes ?? PRODUCER_DEFAULTS.maxPayloadBytes,
      jobAttempts: options.jobAttempts ?? PRODUCER_DEFAULTS.jobAttempts,
      enqueueTimeoutMs: options.enqueueTimeoutMs ?? PRODUCER_DEFAULTS.enqueueTimeoutMs,
      metrics: options.metrics ?? noopMetrics,
    };
    this.#packing = options.packing
      ? {
          maxRequestsPerJob: options.packing.maxRequestsPerJob ?? PRODUCER_DEFAULTS.maxRequestsPerJob,
          lingerMs: options.packing.lingerMs ?? PRODUCER_DEFAULTS.lingerMs,
        }
      : undefined;
    this.#jobOptions = schemaJobOptions(this.#options.jobAttempts);
    this.#redis = createRedis(options.connection, 'producer');
    // Failures surface as rejected submit() calls; without a listener ioredis prints every reconnect error.
    this.#redis.on('error', () => {});
  }

  /** Schemas this producer accepts. */
  get schemas(): Schema[] {
    return this.#registry.all;
  }

  /** Submits one request, or one row of a schema (checked at compile time for typed schemas). */
  submit(request: Request, options?: SubmitOptions): Promise<void>;
  submit<S extends Schema>(schema: S, row: RowOfSchema<S>, options?: SubmitOptions): Promise<void>;
  /** Submits one row of a schema given by name (checked at run time only, e.g. for HTTP ingest). */
  submit(schema: string, row: Row, options?: SubmitOptions): Promise<void>;
  async submit(a: Request | Schema | string, b?: Row | SubmitOptions, c?: SubmitOptions): Promise<void> {
    const options = (a instanceof Request ? b : c) as SubmitOptions | undefined;
    if (options?.signal?.aborted) throw new AbortedError();
    const [schema, row] = this.#prepare(a instanceof Request ? a : this.#toRequest(a, b as Row));
    await this.#enqueue(schema, [row], options);
  }

  /** Submits many requests (or rows of one schema); all are validated before any is enqueued. */
  submitMany(requests: readonly Request[], options?: SubmitOptions): Promise<void>;
  submitMany<S extends Schema>(schema: S, rows: ReadonlyArray<RowOfSchema<S>>, options?: SubmitOptions): Promise<void>;
  /** Submits many rows of a schema given by name (checked at run time only). */
  submitMany(schema: string, rows: ReadonlyArray<Row>, options?: SubmitOptions): Promise<void>;
  async submitMany(a: readonly Request[] | Schema | string, b?: ReadonlyArray<Row> | SubmitOptions, c?: SubmitOptions): Promise<void> {
    const options = (Array.isArray(a) ? b : c) as SubmitOptions | undefined;
    if (options?.signal?.aborted) throw new AbortedError();
    if (options?.idempotencyKey) throw new ValidationError('invalid_row', 'idempotencyKey applies to submit(), not submitMany()');
    const requests = Array.isArray(a) ? (a as readonly Request[]) : (b as ReadonlyArray<Row>).map((row) => this.#toRequest(a as Schema | string, row));
    const bySchema = new Map<Schema, Record<string, EncodedValue>[]>();
    for (const request of requests) {
      const [schema, row] = this.#prepare(request);
      const rows = bySchema.get(schema) ?? [];
      rows.push(row);
      bySchema.set(schema, rows);
    }
    await Promise.all([...bySchema].map(([schema, rows]) => this.#enqueue(schema, rows, options)));
  }

  /** Sends any lingering packed requests, then closes the queues and the Redis connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#packers.values()].map((packer) => packer.close()));
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.#redis.disconnect();
  }

  #toRequest(schema: Schema | string, row: Row): Request {
    return Request.fromRow(this.#registry.resolve(schema), row);
  }

  /** Validates a request fully (schema, completeness, size) and encodes it; throws before any I/O. */
  #prepare(request: Request): [Schema, Record<string, EncodedValue>] {
    const schema = this.#registry.resolve(request.schema);
    const row = encodeRequest(request);
    assertPayloadSize(schema.name, row, this.#options.maxPayloadBytes);
    return [schema, row];
  }

  async #enqueue(schema: Schema, rows: Record<string, EncodedValue>[], options?: SubmitOptions): Promise<void> {
    const started = performance.now();
    // `!== undefined`, not truthiness: an empty key is a mistake to refuse, not "no key" (which would silently enqueue duplicates).
    const jobId = options?.idempotencyKey !== undefined ? idempotentJobId(options.idempotencyKey) : undefined;
    await withTimeout(this.#store(schema, rows, jobId), this.#options.enqueueTimeoutMs, schema.name);
    this.#options.metrics.requestsEnqueued(schema.name, rows.length, (performance.now() - started) / 1000);
  }

  async #store(schema: Schema, rows: Record<string, EncodedValue>[], jobId: string | undefined): Promise<void> {
    if (this.#packing && jobId === undefined) {
      await this.#packer(schema).addMany(rows);
    } else {
      const queue = this.#queue(schema);
      if (rows.length === 1) {
        await queue.add(schema.name, { v: PAYLOAD_VERSION, s: schema.name, rows }, jobId ? { ...this.#jobOptions, jobId } : this.#jobOptions);
      } else {
        for (let i = 0; i < rows.length; i += 1000) {
          await queue.addBulk(rows.slice(i, i + 1000).map((row) => ({ name: schema.name, data: { v: PAYLOAD_VERSION, s: schema.name, rows: [row] }, opts: this.#jobOptions })));
        }
      }
    }
  }

  #queue(schema: Schema): Queue {
    let queue = this.#queues.get(schema.name);
    if (!queue) {
      queue = openQueue(queueName(schema.name), this.#redis, this.#options.prefix);
      this.#queues.set(schema.name, queue);
    }
    return queue;
  }

  #packer(schema: Schema): PackingBuffer {
    let packer = this.#packers.get(schema.name);
    if (!packer) {
      const queue = this.#queue(schema);
      const packing = this.#packing as { maxRequestsPerJob: number; lingerMs: number };
      packer = new PackingBuffer(packing, (rows) =>
        queue.addBulk(chunk(rows, packing.maxRequestsPerJob).map((jobRows) => ({
          name: schema.name,
          data: { v: PAYLOAD_VERSION, s: schema.name, rows: jobRows },
          opts: this.#jobOptions,
        }))).then(() => undefined),
      );
      this.#packers.set(schema.name, packer);
    }
    return packer;
  }
}

/** BullMQ job ids may not contain `:` nor look like integers; a hash of the key is neither. */
function idempotentJobId(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new ValidationError('invalid_row', 'idempotencyKey must be a non-empty string');
  return `k_${createHash('sha256').update(key).digest('base64url')}`;
}

/** Rejects with {@link QueueUnavailableError} when `work` has not settled within `ms`. */
async function withTimeout(work: Promise<void>, ms: number, schema: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(`schema "${schema}": Redis did not confirm the enqueue within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, timeout]);
  } catch (err) {
    if (err instanceof QueueUnavailableError) throw err;
    throw new QueueUnavailableError(`schema "${schema}": enqueue failed: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
