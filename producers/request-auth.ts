// Request-time checks of HTTP credentials (Bearer and Basic), for ingest here and for the admin
// side (Bull Board, DLQ actions) the worker service mounts next to it. The rules a configuration
// must meet are in consumers/config/http-auth-rules.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/**
 * Credentials for the admin side (Bull Board, DLQ actions). Give a username and password for
 * HTTP Basic auth (what a browser prompts for), a token for `Authorization: Bearer`, or both;
 * a request passes with either. The config file's `http.auth` and `createHttpServer`'s `auth`
 * are both this type, checked by the same rules (`httpAuthIssues` in consumers/config/http-auth-rules.ts).
 */
export interface HttpAuth {
  /** Basic auth user name; needs {@link HttpAuth.password}. @defaultValue none */
  username?: string;
  /** Basic auth password; needs {@link HttpAuth.username}. @defaultValue none */
  password?: string;
  /** Bearer token, at least 16 (`MIN_HTTP_TOKEN_LENGTH`) characters. @defaultValue none */
  token?: string;
}


/**
 * Compares two secrets in constant time. Both sides are hashed first so that neither the
 * comparison nor an early length check leaks how long the expected secret is.
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Reads `Authorization: Bearer <token>`; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

function basicCredentials(header: string | undefined): [string, string] | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/** True when the request's Authorization header matches one of the configured methods. */
export function isAuthorized(auth: HttpAuth, header: string | undefined): boolean {
  const token = bearerToken(header);
  if (token !== undefined && auth.token !== undefined) return safeEqual(token, auth.token);
  const basic = basicCredentials(header);
  if (basic && auth.username !== undefined && auth.password !== undefined) {
    // Compare both before combining, so timing does not reveal that the user name was right.
    const userOk = safeEqual(basic[0], auth.username);
    const passwordOk = safeEqual(basic[1], auth.password);
    return userOk && passwordOk;
  }
  return false;
}

/**
 * Middleware that answers 401 unless the request carries valid credentials. The challenge names
 * Basic when a password is configured, so browsers show their login prompt.
 */
export function requireAuth(auth: HttpAuth, realm: string): RequestHandler {
  const challenges = [
    ...(auth.username !== undefined ? [`Basic realm="${realm}", charset="UTF-8"`] : []),
    ...(auth.token !== undefined ? [`Bearer realm="${realm}"`] : []),
  ];
  return (req, res, next) => {
    if (isAuthorized(auth, req.headers.authorization)) return next();
    res.setHeader('WWW-Authenticate', challenges);
    res.status(401).json({ error: 'unauthorized' });
  };
}
