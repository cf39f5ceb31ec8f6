export * from './postgres-driver.js';
export * from './error-codes.js';
export * from './postgres-sink.js';
