import { Router } from 'express';

/**
 * Anything that renders metrics in a text exposition format, such as `PrometheusReporter`
 * (or a prom-client `Registry`, which has the same two members).
 */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** `GET /metrics`: the source's text with its own content type, for Prometheus to scrape. */
export function metricsRouter(source: MetricsSource, onError: (err: unknown) => void): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    try {
      const text = await source.metrics();
      res.setHeader('Content-Type', source.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.send(text);
    } catch (err) {
      onError(err);
      res.status(500).type('text/plain').send('metrics unavailable\n');
    }
  });
  return router;
}
