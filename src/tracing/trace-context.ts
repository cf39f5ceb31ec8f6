import type { SpanContext } from '@opentelemetry/api';
import type { OtelApiModule } from './otel-api.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C `traceparent` of the span active in the caller's context, or `undefined` when none is
 * (or it is not valid). Written from the span context itself rather than through the global
 * propagator, so it travels even when the app registered no W3C propagator.
 */
export function activeTraceparent(api: OtelApiModule): string | undefined {
  const span = api.trace.getSpanContext(api.context.active());
  if (!span || !api.isSpanContextValid(span)) return undefined;
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The span context a `traceparent` names (remote), or `undefined` for anything else (an empty slot, a malformed or foreign value). */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value);
  if (!match) return undefined;
  return { traceId: match[1] as string, spanId: match[2] as string, traceFlags: Number.parseInt(match[3] as string, 16), isRemote: true };
}
