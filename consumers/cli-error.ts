/** Exit code of a usage error (unknown command, bad flag), as distinct from a failure (1). */
export const USAGE_EXIT_CODE = 2;

/**
 * A CLI command failed in a way the user can act on; the CLI prints the message (no stack)
 * and exits with {@link CliError.exitCode}: 1 for a failure, 2 for a usage error.
 */
export class CliError extends Error {
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
