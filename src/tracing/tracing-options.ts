import type { Telemetry } from 'bullmq';

/** Tracing options shared by `Producer` and `BatchConsumer` (docs: observability, "Traces"). */
export interface TracingOptions {
  /**
   * OpenTelemetry traces through `@opentelemetry/api` (an optional peer dependency, loaded only
   * when this is true; the app registers the SDK). A producer records the caller's active span
   * context with each request; a consumer opens a `batchflow.batch` span per batch, linked to
   * every request it carries.
   * @defaultValue false
   */
  tracing?: boolean;
  /**
   * BullMQ's own telemetry (e.g. `new BullMQOtel('my-app')` from the `bullmq-otel` package), given
   * to every BullMQ Queue and Worker this component opens, so enqueues and job processing show as
   * spans too. Independent of `tracing`.
   * @defaultValue none
   */
  telemetry?: Telemetry;
}

/** Defaults of {@link TracingOptions}. */
export const TRACING_DEFAULTS = Object.freeze({ tracing: false });
