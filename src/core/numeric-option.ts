import { ConfigError } from '../errors/config-error.js';

/**
 * What a numeric option accepts: an integer > 0, an integer > 0 or `'auto'` (a size the consumer
 * adapts), an integer ≥ 0 (0 = off), or a share in (0, 1].
 */
export type NumericOptionKind = 'positive' | 'positiveOrAuto' | 'nonNegative' | 'ratio';

const KIND_RULES: Readonly<Record<NumericOptionKind, { ok: (v: unknown) => boolean; text: string }>> = Object.freeze({
  positive: { ok: (v) => Number.isInteger(v) && (v as number) > 0, text: 'a positive integer' },
  positiveOrAuto: { ok: (v) => v === 'auto' || (Number.isInteger(v) && (v as number) > 0), text: 'a positive integer or "auto"' },
  nonNegative: { ok: (v) => Number.isInteger(v) && (v as number) >= 0, text: '0 (off) or a positive integer' },
  ratio: { ok: (v) => typeof v === 'number' && v > 0 && v <= 1, text: 'a number in (0, 1]' },
});

/** Throws a `ConfigError` naming `field` unless `value` is of `kind`. */
export function checkNumericOption(field: string, kind: NumericOptionKind, value: unknown): void {
  const rule = KIND_RULES[kind];
  if (!rule.ok(value)) throw new ConfigError(field, `must be ${rule.text}, got ${JSON.stringify(value)}`);
}
