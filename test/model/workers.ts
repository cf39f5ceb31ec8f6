// The workers of a model case: BatchConsumers in the test process (each with its own driver) and
// worker child processes (test/fixtures/model-worker.mjs) that `kill` steps SIGKILL and restart.
// Both report into one event log, which the runner uses to see progress and the checker to see
// retries and holds.
import { BatchConsumer, SQLSchema, type BatchConsumerOptions, type BatchExecutor, type ColumnType, type SQLSchemaOptions } from '../../src/index.js';
import { spawnNode, type Spawned } from '../helpers/child-process.js';
import { REDIS_URL } from '../helpers/redis.js';
import type { ModelDb } from './model-db.js';
import type { SchemaArgs, WorkerSpec } from './model.js';

const FIXTURE = new URL('../fixtures/model-worker.mjs', import.meta.url).pathname;

/** What a worker reported: a retry (deadlock or hold) or a breaker change, with reason and code; or an operational error. */
export interface WorkerEvent {
  readonly worker: string;
  readonly type: 'retry' | 'breaker' | 'error';
  readonly reason: string | null;
  readonly code: string | null;
  readonly state?: string;
  readonly message?: string;
}

/**
 * Consumer options of every worker: a killed worker's jobs come back within seconds, BullMQ's own
 * failures reach the DLQ quickly, and the dead-letter storm guard is off, because a case may
 * legitimately be mostly poison (the guard would hold it, as documented, and the model does not
 * model that).
 */
export function consumerOptions(w: WorkerSpec): Omit<BatchConsumerOptions, 'connection' | 'schema' | 'executor' | 'prefix'> {
  return {
    flushSize: w.flushSize,
    maxInFlightBatches: w.maxInFlightBatches,
    flushIntervalMs: w.flushIntervalMs,
    lockDurationMs: 3000,
    stalledIntervalMs: 1000,
    shutdownTimeoutMs: 3000,
    failedJobSweepIntervalMs: 500,
    queueDepthIntervalMs: 0,
    metricsMaxDataPoints: 0,
    stormMinRows: 1_000_000,
  };
}

/** The schema a case's arguments describe (the same in the test process and in a child). */
export function buildSchema(args: SchemaArgs) {
  const [table, strategy, columns, options] = args;
  return SQLSchema(table, strategy, columns as Record<string, ColumnType>, options as SQLSchemaOptions);
}

/** The running workers of one case. */
export class Workers {
  readonly events: WorkerEvent[] = [];
  /** Commits and dead-letterings seen so far, from every worker: the runner's sign of progress. */
  #progress = 0;
  readonly consumers: BatchConsumer[] = [];
  readonly #drivers: BatchExecutor[] = [];
  readonly #children: Spawned[] = [];
  readonly #childSpecs: readonly WorkerSpec[];
  /** Child output lines already counted for progress and events. */
  readonly #seen = new Map<Spawned, number>();
  readonly #names = new Map<Spawned, string>();

  constructor(
    private readonly args: SchemaArgs,
    private readonly db: ModelDb,
    private readonly prefix: string,
    workers: readonly WorkerSpec[],
    children: readonly WorkerSpec[],
  ) {
    workers.forEach((w, i) => this.#startInProcess(w, `w${i}`));
    this.#childSpecs = children;
    this.#children = children.map((w) => this.#spawn(w));
  }

  /** Resolves once every worker takes jobs. */
  async ready(): Promise<void> {
    await Promise.all([...this.consumers.map((c) => c.waitUntilReady()), ...this.#children.map((c) => c.waitForLine(/"ready"/, 60_000))]);
  }

  /** Commits and dead-letterings so far (child output is read as it arrives). */
  get progress(): number {
    for (const child of this.#children) this.#read(child);
    return this.#progress;
  }

  /** SIGKILLs child `index` (modulo the children) and starts its replacement at once. */
  async kill(index: number): Promise<void> {
    if (this.#children.length === 0) return;
    const slot = index % this.#children.length;
    const victim = this.#children[slot] as Spawned;
    this.#read(victim);
    victim.child.kill('SIGKILL');
    await victim.exited;
    this.#children[slot] = this.#spawn(this.#childSpecs[slot] as WorkerSpec);
  }

  /** Stops everything: children killed, consumers closed, drivers closed. */
  async close(): Promise<void> {
    for (const child of this.#children) {
      this.#read(child);
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    }
    await Promise.allSettled(this.#children.map((c) => c.exited));
    await Promise.allSettled(this.consumers.map((c) => c.close()));
    await Promise.allSettled(this.#drivers.map((d) => d.close?.()));
  }

  #startInProcess(w: WorkerSpec, name: string): void {
    const executor = this.db.driver(w.maxRowsPerStatement);
    const consumer = new BatchConsumer({ ...consumerOptions(w), connection: REDIS_URL, schema: buildSchema(this.args), executor, prefix: this.prefix });
    consumer.on('batch:committed', () => this.#progress++);
    consumer.on('dead-lettered', () => this.#progress++);
    consumer.on('batch:retry', (e) => this.events.push({ worker: name, type: 'retry', reason: e.reason, code: e.errorCode }));
    consumer.on('breaker', (e) => this.events.push({ worker: name, type: 'breaker', state: e.state, reason: e.reason, code: e.errorCode }));
    consumer.on('error', (err) => this.events.push({ worker: name, type: 'error', reason: null, code: null, message: err.message }));
    this.consumers.push(consumer);
    this.#drivers.push(executor);
  }

  #spawn(w: WorkerSpec): Spawned {
    const env = {
      DIALECT: this.db.dialect,
      DB_URL: this.db.url,
      REDIS_URL,
      PREFIX: this.prefix,
      SCHEMA_ARGS: JSON.stringify(this.args),
      CONSUMER: JSON.stringify(consumerOptions(w)),
      MAX_ROWS_PER_STATEMENT: String(w.maxRowsPerStatement),
    };
    const child = spawnNode([FIXTURE], env);
    this.#seen.set(child, 0);
    this.#names.set(child, `child${this.#names.size}`);
    return child;
  }

  /** Counts a child's new output lines: commits and dead-letterings as progress, the rest as events. */
  #read(child: Spawned): void {
    const from = this.#seen.get(child) ?? 0;
    const name = this.#names.get(child) ?? 'child';
    for (const line of child.lines.slice(from)) {
      let e: { event?: string; reason?: string | null; code?: string | null; state?: string; message?: string };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        this.events.push({ worker: name, type: 'error', reason: null, code: null, message: line });
        continue;
      }
      if (e.event === 'committed' || e.event === 'dead-lettered') this.#progress++;
      else if (e.event === 'retry' || e.event === 'breaker' || e.event === 'error') {
        this.events.push({ worker: name, type: e.event, reason: e.reason ?? null, code: e.code ?? null, ...(e.state && { state: e.state }), ...(e.message && { message: e.message }) });
      }
    }
    this.#seen.set(child, child.lines.length);
  }
}
