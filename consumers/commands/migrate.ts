import type { Command } from 'commander';
import { redactSecrets } from '../../src/drivers/redact-secrets.js';
import { CliError } from '../cli-error.js';
import { cliConfig, type GlobalOptions } from './cli-context.js';

/**
 * `batchflow migrate`: creates or upgrades the PostgreSQL queue schema (BullMQ's migrations,
 * then BatchFlow's state tables) of `queue.postgresUrl`. Idempotent; the worker runs the same
 * at start, and a producer never does, so an app that only enqueues needs no DDL rights.
 * On Redis there is nothing to migrate: it says so and exits 0.
 */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .summary('create or upgrade the PostgreSQL queue schema (queue.postgresUrl)')
    .description('create or upgrade the PostgreSQL queue schema of queue.postgresUrl (env BATCHFLOW_QUEUE_POSTGRES_URL): BullMQ\'s migrations, then BatchFlow\'s state tables. Idempotent. Nothing to do on Redis.')
    .action(async (_flags: unknown, command: Command) => {
      const config = cliConfig(command.optsWithGlobals<GlobalOptions>());
      const queue = config.redis;
      const [{ migrateQueueSchema }, { isPostgresQueueConnection }] = await Promise.all([
        import('../../src/queue/state/migrate-queue-schema.js'),
        import('../../src/queue/postgres-queue-client.js'),
      ]);
      if (!isPostgresQueueConnection(queue)) {
        console.log('queues are on Redis (no queue.postgresUrl): nothing to migrate');
        return;
      }
      try {
        const version = await migrateQueueSchema({ ...queue });
        console.log(`queue schema "${queue.schema}" at ${redactSecrets(queue.postgres)}: BullMQ schema version ${version}, BatchFlow state tables ready`);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        throw new CliError(`cannot migrate the queue schema "${queue.schema}" at ${redactSecrets(queue.postgres)}${typeof code === 'string' ? ` (${code})` : ''}: ${(err as Error).message}`);
      }
    });
}
