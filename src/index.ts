export * from './core/index.js';
export * from './errors/index.js';
export * from './metrics/metrics-reporter.js';
export * from './testing/mock-executor.js';
export * from './queue/index.js';
export * from './drivers/redis/index.js';
export * from './metrics/prometheus-reporter.js';
export * from './runtime/shutdown-signals.js';
