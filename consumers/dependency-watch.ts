import { withTimeout } from '../src/core/with-timeout.js';
import type { Logger } from 'pino';
import type { SinkConfig, SinkExecutor } from '../src/drivers/sink-definition.js';
import { redisHint, sinkHint, type DependencyHint } from './dependency-hints.js';

/** The part of an ioredis client (one server or a cluster) the watch needs. */
export interface WatchedRedis {
  readonly status: string;
  on(event: 'error' | 'ready', listener: (arg?: unknown) => void): unknown;
}

/** How long the worker waits for Redis at start before it says what is wrong (it keeps trying). */
export const REDIS_START_GRACE_MS = 1500;
/** Longest wait for one sink's start-up check. */
const SINK_CHECK_TIMEOUT_MS = 3000;
/** Longest wait for one sink's re-check while `/readyz` answers (it has 2 s in all). */
const SINK_RECHECK_TIMEOUT_MS = 1000;

/**
 * Says, once per outage, which dependency the worker cannot use and what to do about it: one
 * human line through `notice` (the CLI prints it on stderr) and one JSON log line. Keeps what is
 * missing for `/readyz`, and clears it when the dependency answers again.
 */
export class DependencyWatch {
  readonly #missing = new Map<string, DependencyHint>();
  readonly #notice: (line: string) => void;
  readonly #log: Logger;

  constructor(notice: (line: string) => void, log: Logger) {
    this.#notice = notice;
    this.#log = log;
  }

  /** What is missing, for `/readyz`: dependency (`redis`, `sinks.<name>`) → what to do. No hosts, no URLs. */
  get missing(): Record<string, string> {
    return Object.fromEntries([...this.#missing].map(([name, hint]) => [name, hint.advice]));
  }

  /** Reports Redis when it has not connected within {@link REDIS_START_GRACE_MS}, and its recovery. */
  watchRedis(redis: WatchedRedis, url: string): void {
    let lastError: unknown;
    const onError = (err: unknown): void => void (lastError = err);
    redis.on('error', onError);
    const timer = setTimeout(() => {
      if (redis.status !== 'ready') this.#report('redis', redisHint(url, lastError));
    }, REDIS_START_GRACE_MS);
    timer.unref();
    redis.on('ready', () => {
      clearTimeout(timer);
      this.#recovered('redis');
    });
  }

  /** Checks that a sink answers (its breaker probe), reporting it when it does not. Never throws. */
  async checkSink(name: string, sink: SinkConfig, executor: SinkExecutor, timeoutMs = SINK_CHECK_TIMEOUT_MS): Promise<void> {
    if (!executor.ping) return;
    try {
      // Raced too: a driver may check the signal only before it connects, and a silent host never refuses.
      await raceTimeout(executor.ping(AbortSignal.timeout(timeoutMs)), timeoutMs);
      this.#recovered(`sinks.${name}`);
    } catch (err) {
      const hint = sinkHint(name, sink, err);
      if (hint) this.#report(`sinks.${name}`, hint);
    }
  }

  /** Re-checks the sinks reported missing, so `/readyz` clears once they answer. */
  async recheckSinks(executors: ReadonlyMap<string, SinkExecutor>, sinks: Readonly<Record<string, SinkConfig>>): Promise<void> {
    const checks = [...executors].map(([name, executor]) => {
      const sink = sinks[name];
      return sink && this.#missing.has(`sinks.${name}`) ? this.checkSink(name, sink, executor, SINK_RECHECK_TIMEOUT_MS) : undefined;
    });
    await Promise.all(checks);
  }

  /**
   * Reports a sink whose start-up step failed (e.g. `CREATE TABLE` over a dead port); false when
   * the error is not about reaching it, or waiting cannot fix it (a database that does not exist).
   */
  reportSinkFailure(name: string, sink: SinkConfig, err: unknown): boolean {
    const hint = sinkHint(name, sink, err);
    if (!hint || hint.fatal) return false;
    this.#report(`sinks.${name}`, hint);
    return true;
  }

  #report(dependency: string, hint: DependencyHint): void {
    if (this.#missing.has(dependency)) return;
    this.#missing.set(dependency, hint);
    this.#notice(hint.line);
    this.#log.error({ event: 'dependency-unreachable', dependency }, hint.line);
  }

  #recovered(dependency: string): void {
    if (!this.#missing.delete(dependency)) return;
    this.#log.info({ event: 'dependency-reachable', dependency }, `${dependency} is reachable again`);
  }
}

/** Rejects with a `timeout` error (ETIMEDOUT) when `work` has not settled within `ms`. */
function raceTimeout(work: Promise<void>, ms: number): Promise<void> {
  return withTimeout(work, ms, () => Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' }));
}
