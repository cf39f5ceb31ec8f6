import { ConfigError } from '../../src/errors/config-error.js';
import type { HttpAuth } from '../../producers/request-auth.js';
import { isLoopbackHost } from './loopback.js';

export type { HttpAuth } from '../../producers/request-auth.js';

/** The shortest bearer token (admin or ingest) accepted: shorter ones are guessable. */
export const MIN_HTTP_TOKEN_LENGTH = 16;

/** One broken auth rule: the field below the auth object (`[]` for the object itself) and what is wrong. */
export interface HttpAuthIssue {
  readonly path: ReadonlyArray<keyof HttpAuth>;
  readonly message: string;
}

/** Why `token` cannot be a bearer token, or undefined when it can. */
export function tokenIssue(token: unknown): string | undefined {
  if (typeof token !== 'string' || token.length === 0) return 'must be a non-empty string';
  if (token.length < MIN_HTTP_TOKEN_LENGTH) return `must be at least ${MIN_HTTP_TOKEN_LENGTH} characters`;
  return undefined;
}

/**
 * Every broken rule of one auth object, fields first: non-empty strings, a long enough token,
 * no `:` in a Basic user name, username and password together, at least one method. Messages
 * never hold the values.
 */
export function httpAuthIssues(auth: HttpAuth): HttpAuthIssue[] {
  const issues: HttpAuthIssue[] = [];
  const { username, password, token } = auth;
  for (const [name, value] of [['username', username], ['password', password]] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) issues.push({ path: [name], message: 'must be a non-empty string' });
  }
  const badToken = token === undefined ? undefined : tokenIssue(token);
  if (badToken) issues.push({ path: ['token'], message: badToken });
  if (typeof username === 'string' && username.includes(':')) issues.push({ path: ['username'], message: 'must not contain ":" (Basic auth cannot carry it)' });
  if ((username === undefined) !== (password === undefined)) {
    issues.push({ path: [username === undefined ? 'username' : 'password'], message: 'is required: username and password go together' });
  } else if (username === undefined && token === undefined) {
    issues.push({ path: [], message: 'give { "username", "password" }, { "token" }, or both' });
  }
  return issues;
}

/** Throws a {@link ConfigError} for the first of {@link httpAuthIssues}, naming `field` (and the sub-field). */
export function checkHttpAuth(auth: HttpAuth, field = 'auth'): void {
  const [issue] = httpAuthIssues(auth);
  if (issue) throw new ConfigError([field, ...issue.path].join('.'), issue.message);
}

/** What {@link checkHttpExposure} looks at: where the server listens and what protects it. */
export interface HttpExposure {
  readonly host: string;
  readonly auth: HttpAuth | undefined;
  /** Whether HTTP ingest is served. */
  readonly ingest: boolean;
  readonly ingestToken: string | undefined;
}

/** Field names for {@link checkHttpExposure}'s messages, e.g. `http.auth` in the config file. */
export interface HttpExposureFields {
  readonly auth: string;
  readonly ingestToken: string;
  /** The switch that turns ingest off, offered as a fix when there is one. @defaultValue none */
  readonly ingest?: string;
}

/**
 * The rule for a server reachable beyond loopback: the admin endpoints need credentials and
 * HTTP ingest needs a token, or whoever finds the port could use them. Validates the given
 * credentials too ({@link checkHttpAuth}, {@link tokenIssue}). Throws a {@link ConfigError}
 * naming the field and the fix.
 */
export function checkHttpExposure(o: HttpExposure, fields: HttpExposureFields = { auth: 'auth', ingestToken: 'ingestToken' }): void {
  if (o.auth) checkHttpAuth(o.auth, fields.auth);
  if (o.ingestToken !== undefined) {
    const bad = tokenIssue(o.ingestToken);
    if (bad) throw new ConfigError(fields.ingestToken, bad);
  }
  if (isLoopbackHost(o.host)) return;
  const where = `on host ${JSON.stringify(o.host)}`;
  if (!o.auth) {
    throw new ConfigError(
      fields.auth,
      `the admin endpoints (Bull Board, DLQ actions) would be reachable beyond loopback ${where}; ` +
        `configure ${fields.auth} ({ "username", "password" } and/or { "token" }) or listen on 127.0.0.1`,
    );
  }
  if (o.ingest && o.ingestToken === undefined) {
    const off = fields.ingest ? `, set ${fields.ingest} to false` : '';
    throw new ConfigError(fields.ingestToken, `HTTP ingest would be reachable beyond loopback ${where} without a token; set ${fields.ingestToken}${off} or listen on 127.0.0.1`);
  }
}
