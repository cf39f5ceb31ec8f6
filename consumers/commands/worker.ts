import type { Command } from 'commander';
import { cliConfig, type GlobalOptions } from './cli-context.js';

/** Grace beyond the consumers' own shutdown timeout for closing sinks, HTTP and Redis. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * `batchflow worker`: runs the worker service until SIGTERM/SIGINT. The first signal shuts down
 * gracefully and exits 0; a second one exits 1 at once.
 * `keepRunning` tells the CLI not to exit when this action returns.
 */
export function registerWorker(program: Command, keepRunning: () => void): void {
  program
    .command('worker')
    .summary('run the worker service (no config: the SQLite demo)')
    .description('run the worker service: a batch consumer per configured schema, /metrics, /healthz, /readyz, Bull Board at /admin and HTTP ingest at /v1 (with no config: the demo schema on SQLite)')
    .action(async (_options: unknown, command: Command) => {
      const config = cliConfig(command.optsWithGlobals<GlobalOptions>());
      // Loaded here, not at the top: the HTTP stack and drivers would slow down every other command.
      const [{ closeOnSignals }, { createLogger }, { WorkerService }, { startServiceTracing }] = await Promise.all([
        import('../../src/runtime/shutdown-signals.js'),
        import('../logger.js'),
        import('../worker-service.js'),
        import('../service-tracing.js'),
      ]);
      // Before the service: its consumers find the tracer provider registered when they start.
      const tracing = await startServiceTracing(config.tracing);
      const logger = createLogger(config.logLevel, tracing?.logFields);
      // The JSON log is for machines; a newcomer without Redis also gets one plain line saying what to do.
      const service = new WorkerService({ config, logger, tracing: tracing !== undefined, notice: (line) => process.stderr.write(`batchflow: ${line}\n`) });
      const shutdownLimitMs = Math.max(...config.schemas.map((s) => s.tuning.shutdownTimeoutMs)) + SHUTDOWN_GRACE_MS;
      closeOnSignals(async () => {
        await service.stop();
        await tracing?.shutdown(); // the last batches' spans, exported before exit
      }, {
        onSignal: (signal, forced) => {
          logger.warn({ event: 'signal', signal, forced }, forced ? `${signal} again: exiting now` : `${signal}: shutting down gracefully`);
          if (!forced) {
            // close() bounds the flush itself; this only catches a sink or socket that never closes.
            setTimeout(() => {
              logger.error({ event: 'shutdown-timeout', ms: shutdownLimitMs }, 'shutdown did not finish in time: exiting');
              process.exit(1);
            }, shutdownLimitMs).unref();
          }
        },
        onError: (err) => logger.error({ event: 'stop-failed', err }, 'shutdown failed'),
      });
      try {
        await service.start();
      } catch (err) {
        logger.error({ event: 'start-failed', err }, 'worker failed to start');
        await service.stop().catch(() => {});
        throw err;
      }
      keepRunning();
    });
}
