export * from './batchflow-error.js';
export * from './validation-error.js';
export * from './schema-definition-error.js';
export * from './decode-error.js';
export * from './aborted-error.js';
export * from './config-error.js';
export * from './sink-error.js';
export * from './queue-unavailable-error.js';
