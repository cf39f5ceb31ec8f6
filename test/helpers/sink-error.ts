import { expect } from 'vitest';
import { SinkError } from '../../src/index.js';

/** The {@link SinkError} `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function sinkErrorOf(promise: Promise<unknown>): Promise<SinkError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SinkError);
  return err as SinkError;
}
