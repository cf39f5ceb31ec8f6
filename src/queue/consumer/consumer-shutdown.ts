import { WaitingError, type Job, type Queue } from 'bullmq';
import type { BatchAccumulator } from '../../core/batch-accumulator.js';
import type { CircuitBreaker } from '../../core/circuit-breaker.js';
import { settleWithin } from '../../core/settle-within.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { isPostgresQueueClient } from '../connection.js';
import type { SharedQueueClient } from '../shared-queue-client.js';
import type { ConsumerUpkeep } from './consumer-upkeep.js';
import type { LayoutWatch } from './layout-watch.js';
import type { LedgerPruner } from './ledger-pruner.js';
import type { PartitionDeadLetters } from './partition-dead-letters.js';
import { cutWorkerConnections, type PartitionWorkers } from './partition-workers.js';
import type { PendingRequest } from './pending-request.js';

/** Longest wait for one held job to be handed back to `wait` at shutdown (Redis may be gone). */
const HAND_BACK_TIMEOUT_MS = 2000;
/** Extra time `close()` gives BullMQ to let go after the batches were aborted, before it cuts the connections. */
const CLOSE_GRACE_MS = 3000;

/** The parts of a consumer its shutdown stops, drains and closes. */
export interface ConsumerParts {
  readonly upkeep: ConsumerUpkeep;
  readonly layouts: LayoutWatch;
  readonly accumulator: BatchAccumulator<PendingRequest>;
  readonly breaker: CircuitBreaker;
  /** Aborts the batches in flight (their jobs are then handed back to the queue). */
  readonly abort: AbortController;
  readonly workers: PartitionWorkers;
  readonly deadLetters: PartitionDeadLetters;
  /** The queues held, by name (read when they are closed: a layout may have been let go meanwhile). */
  readonly queues: ReadonlyMap<string, Queue>;
  readonly pruner: LedgerPruner | undefined;
  /** The process's worker client for this connection, released last. */
  readonly shared: SharedQueueClient;
  readonly shutdownTimeoutMs: number;
}

/**
 * A consumer's graceful shutdown: stop taking jobs, flush and commit in-flight batches, release
 * connections. After `shutdownTimeoutMs` the batches still running are aborted and their jobs
 * left for redelivery; when the sink is failing they are handed back at once.
 */
export async function shutDownConsumer(p: ConsumerParts): Promise<void> {
  p.upkeep.stop();
  await settleWithin(p.layouts.close(), HAND_BACK_TIMEOUT_MS);
  p.accumulator.flushNow();
  // A sick sink commits nothing soon: hand the held jobs back now rather than at the deadline.
  if (p.breaker.streak > 0) abortHeld(p, 'shutdown while the sink is failing: held jobs handed back to the queue');
  const drained = (async () => {
    await p.workers.close();
    await p.accumulator.close();
  })();
  const inTime = await settleWithin(drained, p.shutdownTimeoutMs);
  if (!inTime) abortHeld(p, 'shutdown timeout: in-flight batches aborted; their jobs are handed back to the queue');
  p.breaker.dispose();
  // BullMQ's close() waits for Redis; with Redis gone it would never return. So the rest of the
  // shutdown gets one bounded grace period, after which this consumer's connections are cut (on
  // Redis only its Workers' blocking ones: the shared client goes with its last holder's release).
  const rest = (async () => {
    await drained;
    await p.deadLetters.closeWorkers(!inTime);
    await Promise.allSettled([p.deadLetters.close(), ...[...p.queues.values()].map((queue) => queue.close()), p.upkeep.close(), p.pruner?.close()]);
  })();
  if (!(await settleWithin(rest, CLOSE_GRACE_MS))) {
    const shares = !isPostgresQueueClient(p.shared.client);
    await settleWithin(Promise.allSettled([p.workers.disconnect(shares), ...p.deadLetters.workers.map((w) => cutWorkerConnections(w.worker, shares))]), 500);
  }
  p.shared.release();
}

function abortHeld(p: Pick<ConsumerParts, 'abort' | 'breaker'>, message: string): void {
  if (!p.abort.signal.aborted) p.abort.abort(new AbortedError(message));
  p.breaker.dispose();
}

/**
 * A job whose batch was aborted by the shutdown goes back to `wait` unpenalised (no attempt
 * spent, no backoff): BullMQ is told so with a {@link WaitingError}, which this always throws.
 */
export async function handJobBack(job: Job, token: string | undefined): Promise<never> {
  // If Redis is gone the lock lapses instead and the stalled check returns the job; nothing is lost.
  if (token) await settleWithin(job.moveToWait(token), HAND_BACK_TIMEOUT_MS);
  throw new WaitingError();
}
