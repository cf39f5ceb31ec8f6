/**
 * Redis commands whose arguments can carry credentials: `AUTH [user] password`,
 * `HELLO 3 AUTH user password`, `MIGRATE … AUTH password`, `ACL SETUSER … >password`,
 * `CONFIG SET requirepass|masterauth …`.
 */
const CREDENTIAL_COMMANDS: ReadonlySet<string> = new Set(['auth', 'hello', 'migrate', 'acl', 'config']);

/**
 * ioredis attaches the failed command to its errors (`err.command = { name, args }`), so a refused
 * AUTH (wrong password) carries the password in `args`, and any logger or `util.inspect` that
 * prints the error's properties prints the password. This replaces such arguments with `***`,
 * in place (the same error object reaches every listener and rejected command), along the
 * `cause` chain, and returns the error.
 */
export function redactCommandCredentials<T>(err: T): T {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const command = (current as { command?: unknown }).command as { name?: unknown; args?: unknown } | undefined;
    if (command && typeof command.name === 'string' && CREDENTIAL_COMMANDS.has(command.name.toLowerCase()) && Array.isArray(command.args)) {
      command.args = command.args.map(() => '***');
    }
    current = (current as { cause?: unknown }).cause;
  }
  return err;
}
