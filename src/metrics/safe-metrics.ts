import type { MetricsReporter } from './metrics-reporter.js';

/**
 * Wraps a reporter so that a throwing method is reported to `onError` instead of propagating:
 * a broken metrics backend must never fail a job whose rows have committed (it would be
 * delivered again) nor stop a flush.
 */
export function safeMetrics(reporter: MetricsReporter, onError: (err: unknown) => void): MetricsReporter {
  const safe = {} as Record<keyof MetricsReporter, (...args: never[]) => void>;
  for (const name of Object.keys(reporter) as Array<keyof MetricsReporter>) bind(name);
  // Class-based reporters keep their methods on the prototype chain.
  for (let proto = Object.getPrototypeOf(reporter) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto) as Array<keyof MetricsReporter | 'constructor'>) if (name !== 'constructor' && !(name in safe)) bind(name);
  }
  return safe as unknown as MetricsReporter;

  function bind(name: keyof MetricsReporter): void {
    const method = reporter[name] as unknown;
    if (typeof method !== 'function') return;
    safe[name] = (...args: never[]) => {
      try {
        (method as (...a: never[]) => void).apply(reporter, args);
      } catch (err) {
        onError(err);
      }
    };
  }
}
