const SECRET_PARAMS = /pass|secret|token|key|auth/i;

/**
 * A URL fit for logs: password replaced by `***`, and query parameters that look like
 * credentials (`?password=`, `?sslkey=`, `?token=`) masked too. Sink definitions use it in
 * their `describe`.
 */
export function redactSecrets(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) if (SECRET_PARAMS.test(name)) parsed.searchParams.set(name, '***');
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
