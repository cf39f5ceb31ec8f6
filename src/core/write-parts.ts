import type { PartialWriteError } from '../errors/partial-write-error.js';
import type { SinkError } from '../errors/sink-error.js';
import type { Request } from './request.js';

/** A slice of the batch, with each request's position in the whole. */
export interface Part {
  readonly requests: readonly Request[];
  readonly indexes: readonly number[];
  /** Executor calls so far that included these requests. */
  readonly calls: number;
}

/** What the sink said to one part, once it answered at all (held failures never come back). */
export type Answer = { kind: 'ok' } | { kind: 'data'; error: SinkError; calls: number } | { kind: 'partial'; error: PartialWriteError; calls: number };

/** Data-error failures found in one round, before the sink's health is known. */
export interface Suspect {
  readonly index: number;
  readonly request: Request;
  readonly error: SinkError;
  readonly calls: number;
  /**
   * Whether it failed on its own (a lone request, or a sink's per-request answer). A held storm
   * set that failed whole is no evidence against any one of its requests.
   */
  readonly alone: boolean;
}

/** The code a suspect failed with (the sink's own, else the reason): what the storm guard counts. */
export function suspectCode(suspect: Suspect): string {
  return suspect.error.sinkCode ?? suspect.error.reason;
}

/** The suspects as one part to try again, counting the most executor calls any of them had. */
export function partOf(suspects: readonly Suspect[]): Part {
  return { requests: suspects.map((s) => s.request), indexes: suspects.map((s) => s.index), calls: Math.max(0, ...suspects.map((s) => s.calls)) };
}
