import type { SinkConfig } from '../../src/config/config-schema.js';
import type { BatchExecutor } from '../../src/core/batch-executor.js';
import { MySqlDriver } from '../../src/drivers/mysql/index.js';
import { PostgresDriver } from '../../src/drivers/postgres/index.js';
import { RedisDriver } from '../../src/drivers/redis/index.js';
import { SqliteDriver } from '../../src/drivers/sqlite/index.js';

/**
 * The driver for one configured sink. Each driver opens and owns its own connections from the
 * URL (or file) and releases them in `close()`; the worker shares one executor per sink among
 * all the schemas written to it.
 */
export function createExecutor(sink: SinkConfig): BatchExecutor & { close(): Promise<void> } {
  switch (sink.type) {
    case 'postgres': {
      const { type: _type, url, ...options } = sink;
      return new PostgresDriver({ connectionString: url, ...options });
    }
    case 'mysql': {
      const { type: _type, url, ...options } = sink;
      return new MySqlDriver({ connectionString: url, ...options });
    }
    case 'sqlite': {
      const { type: _type, ...options } = sink;
      return new SqliteDriver(options);
    }
    case 'redis': {
      const { type: _type, ...options } = sink;
      return new RedisDriver(options);
    }
  }
}
