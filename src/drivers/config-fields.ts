import { z } from 'zod';

// Shared zod fields of the config file. Messages never echo the offending value: it may be a
// URL with a password or a token. Sink definitions (src/drivers/<db>/) build their shapes from
// these, so every sink reports bad values the same way.

/** An integer > 0. */
export const positiveInt = z.number({ error: 'must be a positive integer' }).int({ error: 'must be a positive integer' }).positive({ error: 'must be a positive integer' });
/** An integer ≥ 0. */
export const nonNegativeInt = z.number({ error: 'must be an integer ≥ 0' }).int({ error: 'must be an integer ≥ 0' }).min(0, { error: 'must be an integer ≥ 0' });
/** A string with at least one character. */
export const nonEmpty = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' });
/** A SQL-safe identifier (sink, schema and column names). */
export const identifier = z.string({ error: 'must be a string' }).regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: 'must be an identifier (letters, digits, underscores; not starting with a digit)' });
/** `true` or `false`. */
export const bool = z.boolean({ error: 'must be true or false' });

/** A URL whose scheme is one of `schemes` (`postgres`, `postgresql`, …). */
export function urlWithScheme(schemes: readonly string[]) {
  return nonEmpty.refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { error: `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}` },
  );
}

/** A Redis URL (`redis://` or `rediss://`). */
export const redisUrl = urlWithScheme(['redis', 'rediss']);

/** A Redis Cluster seed node: `host:port`, or a Redis URL (which may carry credentials). */
export const redisClusterNode = z.union([z.string().regex(/^[^\s:/@]+:\d{1,5}$/), redisUrl], { error: 'must be "host:port" or a URL starting with redis:// or rediss://' });
