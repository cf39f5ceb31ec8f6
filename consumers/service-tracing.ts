import type { WorkerConfig } from './config/worker-config.js';
import { loadClient } from '../src/drivers/load-client.js';
import { loadOtelApi } from '../src/tracing/otel-api.js';

/** The worker service's OpenTelemetry SDK, once started: log fields of the active span, and the flush at exit. */
export interface ServiceTracing {
  /** `trace_id` and `span_id` of the span active where a log line is written; `{}` outside any span. */
  logFields(): Record<string, string>;
  /** Exports the spans still buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

/**
 * Whether the service traces: `tracing.enabled` in the config, or the standard variables
 * (`OTEL_TRACES_EXPORTER=otlp`, an `OTEL_EXPORTER_OTLP_ENDPOINT` or `..._TRACES_ENDPOINT`);
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn it off whatever else says.
 */
export function tracingWanted(config: WorkerConfig['tracing'], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER?.trim() === 'none') return false;
  return config.enabled || env.OTEL_TRACES_EXPORTER?.split(',').some((e) => e.trim() === 'otlp') === true || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry SDK for the service when {@link tracingWanted}: a Node tracer provider
 * (async-context propagation, W3C propagators) exporting OTLP over HTTP, configured by the
 * standard `OTEL_EXPORTER_OTLP_*` variables. The SDK packages are the service's optional
 * dependencies, loaded only here; a missing one fails the start with the package to install.
 */
export async function startServiceTracing(config: WorkerConfig['tracing'], env: NodeJS.ProcessEnv = process.env): Promise<ServiceTracing | undefined> {
  if (!tracingWanted(config, env)) return undefined;
  const needed = 'tracing in the worker service';
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    loadClient('@opentelemetry/sdk-trace-node', needed, () => import('@opentelemetry/sdk-trace-node')),
    loadClient('@opentelemetry/exporter-trace-otlp-http', needed, () => import('@opentelemetry/exporter-trace-otlp-http')),
    loadClient('@opentelemetry/resources', needed, () => import('@opentelemetry/resources')),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  const api = loadOtelApi();
  return {
    logFields: (): Record<string, string> => {
      const span = api.trace.getSpanContext(api.context.active());
      return span && api.isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
    },
    shutdown: () => provider.shutdown(),
  };
}
