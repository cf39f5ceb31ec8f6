export type { BatchFlowState, DiscoveredSchema, RawJobFields, WaitingJob } from './batchflow-state.js';
export { RedisState, REPLAYED_FIELD } from './redis-state.js';
export { PostgresState } from './postgres-state.js';
export { stateOf } from './state-of.js';
export { migrateQueueSchema } from './migrate-queue-schema.js';
