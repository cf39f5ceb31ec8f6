import type { BreakerState, HoldCause } from '../../core/circuit-breaker.js';
import type { MetricsReporter } from '../../metrics/metrics-reporter.js';
import type { ConsumerEmitter } from './consumer-emitter.js';
import type { ConsumerUpkeep } from './consumer-upkeep.js';
import type { PartitionWorkers } from './partition-workers.js';

/** The breaker state as the `breaker_state` gauge shows it. */
export const BREAKER_GAUGE = { closed: 0, half_open: 1, open: 2 } as const;

/** What a consumer's breaker change reaches. */
export interface BreakerReactionParts {
  readonly schema: string;
  readonly sink: string;
  readonly metrics: MetricsReporter;
  readonly workers: PartitionWorkers;
  /** True once `close()` was called: the workers are not resumed then. */
  readonly closing: boolean;
  readonly emitter: ConsumerEmitter;
  readonly upkeep: ConsumerUpkeep;
}

/**
 * A consumer's answer to its breaker changing state: the gauge, fetching paused while the sink is
 * sick (resumed once it answers), the log line and `breaker` event, and the health published at once.
 */
export function reactToBreaker(p: BreakerReactionParts, state: BreakerState, cause: HoldCause | undefined): void {
  p.metrics.breakerState(p.schema, p.sink, BREAKER_GAUGE[state]);
  // Stop fetching while the sink is sick: jobs stay safely in the queue (not in this process).
  if (state === 'open' && !p.workers.isPaused()) void p.workers.pause(true).catch((err: unknown) => p.emitter.error(err));
  if (state === 'closed' && p.workers.isPaused() && !p.closing) void p.workers.resume().catch((err: unknown) => p.emitter.error(err));
  p.emitter.breaker({ schema: p.schema, sink: p.sink, state, reason: cause?.reason ?? null, errorCode: cause?.code ?? null, message: cause?.message ?? null });
  void p.upkeep.publishHealth();
}
