export * from './sqlite-driver.js';
export * from './error-codes.js';
export { buildSqliteInsert, sqliteConflictClause } from './statement-builder.js';
export * from './sqlite-sink.js';
