/**
 * Merges user options over frozen defaults (an explicit `undefined` keeps the default)
 * and returns a frozen result, so options are resolved and validated exactly once.
 * The one way BatchFlow applies defaults.
 */
export function resolveOptions<T extends object>(defaults: Readonly<Partial<T>>, options: Partial<T>): Readonly<T> {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  return Object.freeze(merged as T);
}
