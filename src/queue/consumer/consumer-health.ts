import type { BreakerState, HoldCause } from '../../core/circuit-breaker.js';
import type { QueueClient } from '../connection.js';
import type { PublishedHealth } from '../state/batchflow-state.js';
import { stateOf } from '../state/state-of.js';

export type { PublishedHealth } from '../state/batchflow-state.js';

/**
 * Publishes a consumer's health on the queue store's health board (see `BatchFlowState`); it
 * expires after `ttlMs`, so a crashed worker's state does not linger.
 */
export async function publishHealth(
  client: QueueClient,
  prefix: string,
  schema: string,
  consumerId: string,
  health: { breaker: BreakerState; holding: HoldCause | undefined; rowsPerSecond?: number; endpoint?: string | undefined },
  ttlMs: number,
): Promise<void> {
  const published: PublishedHealth = {
    consumerId,
    breaker: health.breaker,
    holding: health.holding ? { reason: health.holding.reason, code: health.holding.code ?? null, message: health.holding.message } : null,
    at: new Date().toISOString(),
    ...(health.rowsPerSecond !== undefined && { rowsPerSecond: health.rowsPerSecond }),
    ...(health.endpoint !== undefined && { endpoint: health.endpoint }),
  };
  await stateOf(client).publishHealth(prefix, schema, published, ttlMs);
}

/** The health every live consumer of `schema` published (at most a few entries per schema: one per consumer). */
export function readHealth(client: QueueClient, prefix: string, schema: string): Promise<PublishedHealth[]> {
  return stateOf(client).readHealth(prefix, schema);
}
