import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidateQueues, inPartitionOrder } from '../../src/queue/schema-layouts.js';

describe('inPartitionOrder', () => {
  it("keeps exactly the schema's candidate queues, in candidateQueues' order", () => {
    // The model: positions in the full candidate list, as the order is defined.
    const model = (schema: string, names: readonly string[]) => {
      const order = new Map(candidateQueues(schema).map((name, i) => [name, i]));
      return names.filter((name) => order.has(name)).sort((a, b) => (order.get(a) as number) - (order.get(b) as number));
    };
    const lookalikes = ['orders#256', 'orders#01', 'orders#-1', 'orders#1.0', 'orders#', 'orders#1e2', 'orders# 1', 'orders2', 'other#3', 'orders#0#1'];
    const name = fc.oneof(fc.constantFrom(...candidateQueues('orders'), ...lookalikes), fc.string());
    fc.assert(
      fc.property(fc.uniqueArray(name), (names) => {
        expect(inPartitionOrder('orders', names)).toEqual(model('orders', names));
      }),
      { numRuns: 2000 },
    );
  });
});
