import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchWriter } from '../../src/core/batch-writer.js';
import { CircuitBreaker } from '../../src/core/circuit-breaker.js';
import { Request } from '../../src/core/request.js';
import { Schema } from '../../src/core/schema.js';
import { SinkError } from '../../src/errors/sink-error.js';
import { MockExecutor } from '../../src/testing/mock-executor.js';

// The refined failure rule for codes no table knows (`unknown`): a healthy sink (a probe write
// goes through) raised it for this content, so it is bisected; an error nothing gets past holds.

const schema = Schema('t', { id: 'int32' });
const batch = (n: number) => Array.from({ length: n }, (_, i) => new Request(schema).setInt32('id', i));
const fast = { retryBaseMs: 1, retryMaxMs: 2 };
const quickBreaker = (states: string[] = []) => new CircuitBreaker({ threshold: 3, probeBaseMs: 2, probeMaxMs: 5, onStateChange: (s) => states.push(s) });
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('BatchWriter and codes no table knows', () => {
  it('isolates an unknown code by bisection when a probe write succeeds: exactly the bad rows fail, the rest commit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.uniqueArray(fc.nat(39), { maxLength: 4 }), async (size, badList) => {
        const bad = new Set(badList.filter((i) => i < size));
        let probes = 0;
        const mock = new MockExecutor({
          behaviour: (_s, requests) => {
            if (requests.some((r) => bad.has(r.getInt32('id')))) throw new SinkError('unknown', 'cardinality', { sinkCode: '21000' });
          },
        });
        const executor = Object.assign(mock, { probeWrite: async () => void probes++ });
        const { failures } = await new BatchWriter(executor, schema, quickBreaker(), fast).write(batch(size));
        expect(sorted(failures.map((f) => f.index))).toEqual(sorted([...bad]));
        expect(failures.every((f) => f.error.sinkCode === '21000')).toBe(true);
        expect(sorted(mock.committedRequests().map((r) => r.getInt32('id')))).toEqual(Array.from({ length: size }, (_, i) => i).filter((i) => !bad.has(i)));
        expect(probes > 0).toBe(bad.size > 0);
      }),
      { numRuns: 60 },
    );
  });

  it('holds an unknown code that nothing gets past (the probe write fails too): never bisected, nothing fails, all commit once it clears', async () => {
    let sick = true;
    const mock = new MockExecutor({
      behaviour: () => {
        if (sick) throw new SinkError('unknown', 'odd', { sinkCode: 'XX000' });
      },
    });
    const executor = Object.assign(mock, {
      probeWrite: async () => {
        if (sick) throw new SinkError('unknown', 'odd', { sinkCode: 'XX000' });
      },
      ping: async () => undefined, // a ping alone would answer: the write probe is what counts
    });
    const states: string[] = [];
    const written = new BatchWriter(executor, schema, quickBreaker(states), fast).write(batch(8));
    await new Promise((r) => setTimeout(r, 150));
    expect(states).toContain('open');
    expect(mock.calls.every((c) => c.requests.length === 8)).toBe(true);
    sick = false;
    const { failures } = await written;
    expect(failures).toEqual([]);
    expect(mock.committedRequests()).toHaveLength(8);
  });

  it('holds an unknown code when the executor has no probe at all', async () => {
    let calls = 0;
    const mock = new MockExecutor({
      behaviour: () => {
        if (++calls < 4) throw new SinkError('unknown', 'odd', { sinkCode: 'XX000' });
      },
    });
    const { failures } = await new BatchWriter(mock, schema, quickBreaker(), fast).write(batch(4));
    expect(failures).toEqual([]);
    expect(mock.calls.every((c) => c.requests.length === 4)).toBe(true);
  });
});
