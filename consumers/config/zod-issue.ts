import type { z } from 'zod';
import { ConfigError } from '../../src/errors/config-error.js';

type Issue = z.core.$ZodIssue;

/**
 * Turns the first zod issue into a {@link ConfigError} naming the dotted field path
 * (`schemas.0.flushSize: must be a positive integer`). zod's own messages say what was
 * expected, never the value received, so nothing secret leaks into the message.
 */
export function configErrorFromZod(error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  return issue ? fromIssue(issue, []) : new ConfigError('(root)', 'invalid config');
}

function fromIssue(issue: Issue, prefix: readonly PropertyKey[]): ConfigError {
  const path = [...prefix, ...issue.path].map(String);
  const field = (parts: readonly string[]) => parts.join('.') || '(root)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return new ConfigError(field([...path, issue.keys[0] ?? '']), `unknown field${issue.keys.length > 1 ? ` (also: ${issue.keys.slice(1).join(', ')})` : ''}`);
    case 'invalid_type':
      return new ConfigError(field(path), issue.input === undefined ? 'is required' : issue.message);
    case 'invalid_union': {
      // A union of shapes (`columns` as array or object, `auth` as basic or token): when the
      // value clearly meant one branch (it failed only below the branch's top level), report
      // that branch's precise error instead of the generic union message.
      const meant = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
      const [only] = meant;
      if (meant.length === 1 && only?.[0]) return fromIssue(only[0], path);
      return new ConfigError(field(path), issue.message);
    }
    default:
      return new ConfigError(field(path), issue.message);
  }
}
