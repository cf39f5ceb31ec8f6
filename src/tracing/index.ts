export { TRACING_DEFAULTS, type TracingOptions } from './tracing-options.js';
export { TRACER_NAME, type BatchOutcome } from './batch-tracer.js';
