/**
 * What a {@link BatchConsumer} logs through: the subset of a pino (or bunyan, winston-child…)
 * logger it needs, so an app passes its own logger as is: `logger: pino()`.
 */
export interface ConsumerLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
  /** Recoveries (the sink answers again); skipped when absent. */
  info?(obj: Record<string, unknown>, msg: string): void;
}

/**
 * The default {@link ConsumerLogger}: one plain line per event on stderr (`console.warn` /
 * `console.error`), prefixed `[batchflow]`, without the structured fields, since the message
 * already names the schema, the reason and the code.
 */
export const consoleConsumerLogger: ConsumerLogger = Object.freeze({
  warn: (_obj: Record<string, unknown>, msg: string) => console.warn(`[batchflow] ${msg}`),
  error: (_obj: Record<string, unknown>, msg: string) => console.error(`[batchflow] ${msg}`),
  info: (_obj: Record<string, unknown>, msg: string) => console.warn(`[batchflow] ${msg}`),
});
