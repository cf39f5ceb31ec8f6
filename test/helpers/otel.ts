import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** The real OpenTelemetry SDK, registered globally with an in-memory exporter; `stop()` unregisters it. */
export function startTestTracing(): { exporter: InMemorySpanExporter; spans: () => ReadableSpan[]; stop: () => Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(provider);
  return {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    stop: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/** A text dump of one span and its children (name, ids, parent, links, attributes, events), for docs and failure messages. */
export function dumpTrace(root: ReadableSpan, all: readonly ReadableSpan[], indent = ''): string {
  const { traceId, spanId } = root.spanContext();
  const lines = [`${indent}${root.name} trace=${traceId} span=${spanId} parent=${root.parentSpanContext?.spanId ?? '-'} status=${root.status.code}`];
  for (const link of root.links) lines.push(`${indent}  link -> trace=${link.context.traceId} span=${link.context.spanId}`);
  for (const [key, value] of Object.entries(root.attributes)) lines.push(`${indent}  ${key}=${JSON.stringify(value)}`);
  for (const event of root.events) lines.push(`${indent}  event ${event.name} ${JSON.stringify(event.attributes ?? {})}`);
  for (const child of all.filter((s) => s.parentSpanContext?.spanId === spanId)) lines.push(dumpTrace(child, all, `${indent}  `));
  return lines.join('\n');
}
