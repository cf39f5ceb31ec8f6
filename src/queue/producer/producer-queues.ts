import type { JobsOptions, Queue } from 'bullmq';
import type { EncodedValue } from '../../core/codec.js';
import { settleWithin } from '../../core/settle-within.js';
import type { Schema } from '../../core/schema.js';
import type { QueueClient } from '../connection.js';
import { keyedJobOptions } from '../job-options.js';
import { schemaJobData } from '../job-data.js';
import { openQueue } from '../open-queue.js';
import { stateOf } from '../state/state-of.js';
import { PackingBuffer, type PackingLimits } from './packing-buffer.js';
import type { ResolvedProducerOptions } from './producer-options.js';

type EncodedRow = Record<string, EncodedValue>;

/**
 * The queues a producer writes into (a schema's, or one partition's), each opened on first use:
 * their entries in the schema's layout registry, their packing buffers, and the jobs added to them.
 */
export class ProducerQueues {
  readonly #queues = new Map<string, Queue>();
  readonly #packers = new Map<string, PackingBuffer>();
  /** Per queue: its entry in the schema's layout registry, written before its first job (see `schema-layouts.ts`). */
  readonly #registered = new Map<string, Promise<void>>();

  constructor(
    readonly client: QueueClient,
    readonly options: ResolvedProducerOptions,
    /** The options of every schema job (`jobAttempts`, `keepCompletedJobs`). */
    readonly jobOptions: JobsOptions,
  ) {}

  /**
   * Stores rows of `schema` in the queue `name`: through its packing buffer, or, without packing
   * or with an idempotency key (`jobId`), one job per row. `trace`: the caller's traceparent,
   * recorded with each of its rows.
   */
  async store(schema: Schema, name: string, rows: EncodedRow[], bytes: number[], jobId: string | undefined, trace: string | undefined): Promise<void> {
    // Packed: the registration rides in the packer's first send, so submits made meanwhile pack behind it.
    if (this.options.packing && jobId === undefined) return this.#packer(schema, name).addMany(rows, bytes, trace);
    await this.#register(schema.name, name);
    const queue = this.#queue(name);
    const traces = trace === undefined ? undefined : [trace];
    if (rows.length === 1) {
      await queue.add(schema.name, schemaJobData(schema.name, rows, undefined, traces), jobId ? keyedJobOptions(this.jobOptions, jobId) : this.jobOptions);
      return;
    }
    for (let i = 0; i < rows.length; i += 1000) {
      await queue.addBulk(rows.slice(i, i + 1000).map((row) => ({ name: schema.name, data: schemaJobData(schema.name, [row], undefined, traces), opts: this.jobOptions })));
    }
  }

  /** Sends any packed requests still waiting, waits for sends in flight (at most `enqueueTimeoutMs`), then closes the queues. */
  async close(): Promise<void> {
    // Bounded: a send to an unreachable Redis never settles, and its submits were already rejected after enqueueTimeoutMs.
    await Promise.allSettled([...this.#packers.values()].map((packer) => settleWithin(packer.close(), this.options.enqueueTimeoutMs)));
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
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
        .then(() => stateOf(this.client).registerQueues(this.options.prefix, schema, [name]));
      this.#registered.set(name, registered);
      registered.catch(() => this.#registered.delete(name)); // tried again with the next submit
    }
    return registered;
  }

  /** The queue named `name` (a schema's, or one partition's). */
  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = openQueue(name, this.client, this.options.prefix, this.options.telemetry);
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
        if (jobs.length === 1 && only) await queue.add(schema.name, schemaJobData(schema.name, only, undefined, traces[0]), this.jobOptions);
        else await queue.addBulk(jobs.map((rows, i) => ({ name: schema.name, data: schemaJobData(schema.name, rows, undefined, traces[i]), opts: this.jobOptions })));
      };
      packer = new PackingBuffer(this.options.packing as PackingLimits, send);
      this.#packers.set(name, packer);
    }
    return packer;
  }
}
