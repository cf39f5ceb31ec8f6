import type { Job, Queue } from 'bullmq';
import type { PostgresQueueClient } from '../postgres-queue-client.js';
import { deadLetterQueueName } from '../queue-names.js';
import type { BatchFlowState, DiscoveredSchema, PublishedHealth, WaitingJob } from './batchflow-state.js';
import { schemasOfQueues } from './redis-state.js';

/** Queue names BatchFlow makes (`orders`, `orders#2`, `orders.dlq`): other queues of a shared schema are not schemas. */
const BATCHFLOW_QUEUE = /^[A-Za-z_][A-Za-z0-9_]*(#\d+)?(\.dlq)?$/;

/**
 * BatchFlow's state in the PostgreSQL queue schema: its `bf_*` tables (`postgres-state-tables.ts`)
 * and reads of BullMQ's `job` and `meta` tables. Every statement names the schema, so it runs on
 * any pool. The schema is the namespace: `prefix` is not used.
 */
export class PostgresState implements BatchFlowState {
  readonly backend = 'postgres';
  readonly #client: PostgresQueueClient;
  readonly #s: string;

  constructor(client: PostgresQueueClient) {
    this.#client = client;
    this.#s = client.quotedSchema;
  }

  async registerQueues(_prefix: string, schema: string, queues: readonly string[]): Promise<void> {
    if (queues.length === 0) return;
    await this.#client.query(`INSERT INTO ${this.#s}.bf_layout (schema_name, queue) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [schema, [...queues]]);
  }

  async registeredQueues(_prefix: string, schema: string): Promise<string[]> {
    const rows = await this.#client.query<{ queue: string }>(`SELECT queue FROM ${this.#s}.bf_layout WHERE schema_name = $1`, [schema]);
    return rows.map((row) => row.queue);
  }

  /** One statement: the queues among `names` with a job, other than completed, in the queue or its DLQ. */
  async queuesHoldingWork(_prefix: string, names: readonly string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const all = names.flatMap((name) => [name, deadLetterQueueName(name)]);
    const rows = await this.#client.query<{ queue: string }>(`SELECT DISTINCT queue FROM ${this.#s}.job WHERE queue = ANY($1::text[]) AND state <> 'completed'`, [all]);
    const held = new Set(rows.map((row) => row.queue));
    return names.filter((name) => held.has(name) || held.has(deadLetterQueueName(name)));
  }

  async publishHealth(_prefix: string, schema: string, health: PublishedHealth, ttlMs: number): Promise<void> {
    await this.#client.query(
      `INSERT INTO ${this.#s}.bf_health (schema_name, consumer_id, health, expires_at_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (schema_name, consumer_id) DO UPDATE SET health = EXCLUDED.health, expires_at_ms = EXCLUDED.expires_at_ms`,
      [schema, health.consumerId, JSON.stringify(health), Date.now() + ttlMs],
    );
  }

  /** Live rows only; expired ones are deleted by the same statement, as Redis expires their keys. */
  async readHealth(_prefix: string, schema: string): Promise<PublishedHealth[]> {
    const now = Date.now();
    await this.#client.query(`DELETE FROM ${this.#s}.bf_health WHERE schema_name = $1 AND expires_at_ms <= $2`, [schema, now]);
    const rows = await this.#client.query<{ health: PublishedHealth }>(`SELECT health FROM ${this.#s}.bf_health WHERE schema_name = $1 AND expires_at_ms > $2 ORDER BY consumer_id`, [schema, now]);
    return rows.map((row) => row.health);
  }

  /** From BullMQ's `meta` table (a row set per queue) and the layout registry. */
  async discoverSchemas(): Promise<DiscoveredSchema[]> {
    const rows = await this.#client.query<{ queue: string }>(`SELECT queue FROM ${this.#s}.meta UNION SELECT queue FROM ${this.#s}.bf_layout`);
    return schemasOfQueues(rows.map((row) => row.queue).filter((queue) => BATCHFLOW_QUEUE.test(queue)));
  }

  /** PostgreSQL stores job data as `jsonb`: it is always JSON, so there is nothing raw to read. */
  async readRawJob(): Promise<undefined> {
    return undefined;
  }

  /** One statement, in BullMQ's FIFO order of waiting jobs (`seq`; prioritized ones are a state of their own there). */
  async waitingPage(queue: Queue, offset: number, count: number): Promise<WaitingJob[]> {
    const rows = await this.#client.query<{ id: string; data: unknown; added_at_ms: string }>(
      `SELECT id, data, added_at_ms FROM ${this.#s}.job WHERE queue = $1 AND state = 'waiting' AND priority = 0 ORDER BY seq OFFSET $2 LIMIT $3`,
      [queue.name, offset, count],
    );
    return rows.map((row) => ({ id: row.id, data: row.data, timestamp: Number(row.added_at_ms) }));
  }

  async isReplayed(dlq: Queue, job: Job): Promise<boolean> {
    const rows = await this.#client.query(`SELECT 1 FROM ${this.#s}.bf_replayed WHERE queue = $1 AND job_id = $2 AND job_ts = $3`, [dlq.name, job.id, job.timestamp]);
    return rows.length > 0;
  }

  /**
   * The add, then the mark: BullMQ adds in its own transaction, so the two cannot share one.
   * A crash in between adds under the same job id on the next try, which is nothing while that
   * job is still queued (see {@link BatchFlowState.enqueueReplay}).
   */
  async enqueueReplay(_home: Queue, target: Queue, replayed: Job, dlq: Queue, dlqJob: Job, jobId: string): Promise<void> {
    await target.add(replayed.name, replayed.data, replayed.opts);
    await this.#client.query(`INSERT INTO ${this.#s}.bf_replayed (queue, job_id, job_ts, replayed_as) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [dlq.name, dlqJob.id, dlqJob.timestamp, jobId]);
  }

  /** One statement: the marks whose entry (same id and creation time) is no longer in BullMQ's `job` table. */
  async pruneReplayMarks(dlq: Queue): Promise<number> {
    const rows = await this.#client.query(
      `DELETE FROM ${this.#s}.bf_replayed r WHERE r.queue = $1
       AND NOT EXISTS (SELECT 1 FROM ${this.#s}.job j WHERE j.queue = r.queue AND j.id = r.job_id AND j.added_at_ms = r.job_ts)
       RETURNING 1`,
      [dlq.name],
    );
    return rows.length;
  }
}
