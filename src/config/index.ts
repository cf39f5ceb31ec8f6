export * from './config-defaults.js';
export * from './config-schema.js';
export * from './worker-config.js';
export * from './env-overrides.js';
export * from './env-references.js';
export * from './loopback.js';
export * from './load-config.js';
export * from './describe-config.js';
