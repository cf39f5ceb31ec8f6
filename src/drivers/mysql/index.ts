export * from './mysql-driver.js';
export * from './error-codes.js';
export * from './mysql-sink.js';
