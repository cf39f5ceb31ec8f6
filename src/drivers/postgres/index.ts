export * from './postgres-driver.js';
export * from './error-codes.js';
export { buildPostgresInsert, postgresConflictClause } from './statement-builder.js';
export * from './postgres-sink.js';
