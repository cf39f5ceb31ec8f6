export * from './postgres-driver.js';
export * from './postgres-driver-options.js';
export * from './error-codes.js';
export * from './postgres-sink.js';
