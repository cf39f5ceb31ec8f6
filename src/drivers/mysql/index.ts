export * from './mysql-driver.js';
export * from './error-codes.js';
export { buildMySqlInsert, mySqlUpdateList } from './statement-builder.js';
export * from './mysql-sink.js';
