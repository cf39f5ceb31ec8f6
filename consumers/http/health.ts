import { withTimeout } from '../../src/core/with-timeout.js';
import { Router } from 'express';

/**
 * What a readiness check reports: a plain boolean, or a verdict with named checks
 * (e.g. `{ ready: false, checks: { redis: true, consumers: false } }`) shown in the response body,
 * and `missing`: each dependency the worker cannot use, with what to do (no hosts or URLs, since
 * `/readyz` needs no credentials), e.g. `{ redis: 'is not reachable: start redis-server or set REDIS_URL' }`.
 */
export type Readiness = boolean | { ready: boolean; checks?: Record<string, boolean>; sinks?: Record<string, SinkHealth>; missing?: Record<string, string> };

/** One schema's sink as `/readyz` shows it: whether work flows, and if not, why. */
export interface SinkHealth {
  readonly breaker: string;
  readonly holding: { readonly reason: string; readonly code: string | null; readonly message: string } | null;
}

/** Supplied by the service: ready when Redis answers and the consumers are running. */
export type ReadinessCheck = () => Readiness | Promise<Readiness>;

/** Options of {@link healthRouter}. */
export interface HealthRouterOptions {
  /** @defaultValue always ready (so `/readyz` equals `/healthz`) */
  ready?: ReadinessCheck;
  /** A check that has not answered by then counts as not ready. @defaultValue 2000 */
  readyTimeoutMs: number;
}

/**
 * `GET /healthz`: 200 while the process serves HTTP (liveness).
 * `GET /readyz`: 200 when the readiness check says so, 503 when it says no, throws or hangs,
 * so a load balancer stops routing to a worker whose Redis is gone.
 */
export function healthRouter(options: HealthRouterOptions): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const verdict = await runCheck(options.ready, options.readyTimeoutMs);
    res.setHeader('Cache-Control', 'no-store');
    res.status(verdict.ready ? 200 : 503).json(verdict);
  });
  return router;
}

async function runCheck(check: ReadinessCheck | undefined, timeoutMs: number): Promise<{ ready: boolean; checks?: Record<string, boolean>; sinks?: Record<string, SinkHealth>; missing?: Record<string, string>; error?: string }> {
  if (!check) return { ready: true };
  const timedOut = new Error('timeout');
  try {
    const result = await withTimeout(Promise.resolve().then(check), timeoutMs, () => timedOut);
    return typeof result === 'boolean'
      ? { ready: result }
      : { ready: result.ready === true, ...(result.checks ? { checks: result.checks } : {}), ...(result.sinks ? { sinks: result.sinks } : {}), ...(result.missing ? { missing: result.missing } : {}) };
  } catch (err) {
    if (err === timedOut) return { ready: false, error: `readiness check did not answer within ${timeoutMs} ms` };
    // The error's message may name hosts or carry a connection string: report only the verdict.
    return { ready: false, error: 'readiness check failed' };
  }
}
