import { BatchFlowError } from './batchflow-error.js';

/**
 * A sink's database client package is not installed. `pg`, `mysql2` and `better-sqlite3` are
 * optional peer dependencies: install the one your sink needs. The message names the package
 * and the command.
 */
export class MissingClientError extends BatchFlowError {
  /** The npm package to install, e.g. `pg`. */
  readonly packageName: string;

  constructor(packageName: string, needed: string, options?: { cause?: unknown }) {
    super('ERR_MISSING_CLIENT', `${needed} needs the npm package "${packageName}", which is not installed: run \`npm install ${packageName}\``, options);
    this.packageName = packageName;
  }
}
