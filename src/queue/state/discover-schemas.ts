import type { QueueClient } from '../connection.js';
import type { DiscoveredSchema } from './batchflow-state.js';
import { stateOf } from './state-of.js';

export type { DiscoveredSchema } from './batchflow-state.js';

/**
 * The schemas whose queues exist under `prefix` (on Redis; the queue schema on PostgreSQL), so
 * tools such as `batchflow dlq` and `stats` see schemas defined only in an app's code, given
 * the queue store's address and prefix.
 */
export function discoverSchemas(client: QueueClient, prefix: string): Promise<DiscoveredSchema[]> {
  return stateOf(client).discoverSchemas(prefix);
}
