import { describe, expect, it } from 'vitest';
import { tracingWanted } from '../../consumers/service-tracing.js';

const off = { enabled: false, serviceName: 'batchflow-worker' };
const on = { enabled: true, serviceName: 'batchflow-worker' };

describe('tracingWanted: the worker traces from its config or the standard OTEL_* variables', () => {
  it.each([
    ['nothing set', off, {}, false],
    ['config enabled', on, {}, true],
    ['OTEL_TRACES_EXPORTER=otlp', off, { OTEL_TRACES_EXPORTER: 'otlp' }, true],
    ['OTEL_TRACES_EXPORTER=console,otlp', off, { OTEL_TRACES_EXPORTER: 'console, otlp' }, true],
    ['OTEL_TRACES_EXPORTER=console', off, { OTEL_TRACES_EXPORTER: 'console' }, false],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', off, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', off, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    ['OTEL_SDK_DISABLED=true beats the config', on, { OTEL_SDK_DISABLED: 'TRUE' }, false],
    ['OTEL_TRACES_EXPORTER=none beats an endpoint', off, { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
    ['OTEL_SDK_DISABLED=false changes nothing', on, { OTEL_SDK_DISABLED: 'false' }, true],
  ] as const)('%s', (_name, config, env, expected) => {
    expect(tracingWanted(config, env)).toBe(expected);
  });
});
