import type { SinkName } from '../options.js';
import type { BenchSink, SinkUrls } from './bench-sink.js';
import { mysqlSink } from './mysql.js';
import { postgresSink } from './postgres.js';
import { redisSink } from './redis.js';
import { sqliteSink } from './sqlite.js';

/** The {@link BenchSink} for a sink name. */
export function createSink(name: SinkName, urls: SinkUrls): BenchSink {
  switch (name) {
    case 'postgres':
      return postgresSink(urls.postgresUrl);
    case 'mysql':
      return mysqlSink(urls.mysqlUrl);
    case 'sqlite':
      return sqliteSink(urls.sqliteDir);
    case 'redis':
      return redisSink(urls.redisUrl);
  }
}
