// The reasons are part of SinkError, so they live in errors/ (which imports nothing of ours);
// re-exported here for the core's files that classify failures.
export * from '../errors/failure-reason.js';
