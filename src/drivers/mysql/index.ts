export * from './mysql-driver.js';
export * from './mysql-driver-options.js';
export * from './error-codes.js';
export * from './mysql-sink.js';
