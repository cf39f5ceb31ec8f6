/** Options of {@link closeOnSignals}. */
export interface CloseOnSignalsOptions {
  /** Signals that start a graceful shutdown. @defaultValue `['SIGTERM', 'SIGINT']` */
  signals?: readonly NodeJS.Signals[];
  /** Called when a signal arrives (e.g. to log it); `forced` is true for the second one. */
  onSignal?: (signal: NodeJS.Signals, forced: boolean) => void;
  /** Called if the graceful close throws. */
  onError?: (err: unknown) => void;
  /** Process exit, injectable for tests. @defaultValue `process.exit` */
  exit?: (code: number) => void;
}

/**
 * Wires SIGTERM/SIGINT to a graceful `close()`: the first signal closes and exits 0 (1 if close
 * failed); a second signal exits 1 at once, for an operator who will not wait. The time limit
 * itself belongs to `close()` (e.g. `BatchConsumer`'s `shutdownTimeoutMs`).
 * Returns a function that removes the handlers.
 */
export function closeOnSignals(close: () => Promise<void>, options: CloseOnSignalsOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    options.onSignal?.(signal, closing);
    if (closing) return exit(1);
    closing = true;
    close().then(
      () => exit(0),
      (err: unknown) => {
        options.onError?.(err);
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
