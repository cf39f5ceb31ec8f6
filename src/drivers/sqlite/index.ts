export * from './sqlite-driver.js';
export * from './error-codes.js';
export * from './sqlite-sink.js';
