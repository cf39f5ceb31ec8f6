import { isPostgresQueueClient, type QueueClient } from '../connection.js';
import type { BatchFlowState } from './batchflow-state.js';
import { PostgresState } from './postgres-state.js';
import { RedisState } from './redis-state.js';

const states = new WeakMap<QueueClient, BatchFlowState>();

/** BatchFlow's state on `client`'s store: Redis keys or PostgreSQL tables (one object per client). */
export function stateOf(client: QueueClient): BatchFlowState {
  let state = states.get(client);
  if (!state) states.set(client, (state = isPostgresQueueClient(client) ? new PostgresState(client) : new RedisState(client)));
  return state;
}
