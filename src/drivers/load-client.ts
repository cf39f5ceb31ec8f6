import { MissingClientError } from '../errors/missing-client-error.js';

const loaded = new Map<string, Promise<unknown>>();

/**
 * Loads a database client package on first use, so that importing BatchFlow (or a driver
 * class) loads no client: a producer-only app needs none of `pg`, `mysql2` or `better-sqlite3`.
 * A missing package becomes a {@link MissingClientError} naming it; any other load failure
 * (a broken native build) is rethrown as it is. The promise is cached per package.
 *
 * @param packageName - the npm package, e.g. `pg`
 * @param needed - who needs it, for the message, e.g. `the postgres sink`
 * @param load - `() => import('pg')`: a literal specifier, so bundlers and type checks see it
 */
export function loadClient<T>(packageName: string, needed: string, load: () => Promise<T>): Promise<T> {
  let promise = loaded.get(packageName) as Promise<T> | undefined;
  if (!promise) {
    promise = load().catch((err: unknown) => {
      loaded.delete(packageName);
      if (isMissing(err, packageName)) throw new MissingClientError(packageName, needed, { cause: err });
      throw err;
    });
    loaded.set(packageName, promise);
  }
  return promise;
}

function isMissing(err: unknown, packageName: string): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  // ESM reports ERR_MODULE_NOT_FOUND with the package in the message ("Cannot find package 'pg'").
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(`'${packageName}'`);
}
