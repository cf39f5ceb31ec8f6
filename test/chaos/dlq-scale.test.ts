// The DLQ tools at scale: a DLQ of 1,000,000 entries (300,000 at CHAOS_SCALE=ci) is walked page
// by page; heap use must stay flat (what the walk retains, sampled after full collections) and
// progress must reach the total.
import { describe, it } from 'vitest';
import { atScale, recordFigures } from '../helpers/chaos-figures.js';
import { checkDlqStreamsFlat } from '../helpers/dlq-scale.js';

const N = atScale(1_000_000, 300_000);

describe('chaos: DLQ at scale', () => {
  it(`streams ${N} DLQ entries with flat heap and progress`, async () => {
    const figures = await checkDlqStreamsFlat(N);
    recordFigures({
      scenario: 'dlq-scale',
      submitted: N,
      landed: figures.seen,
      duplicates: 0,
      deadLettered: N,
      faults: 0,
      durationMs: figures.fillMs + figures.listMs,
      notes: `list ${Math.round(N / (figures.listMs / 1000))}/s, heap retained +${figures.heapGrowthMb} MB (peak +${figures.heapPeakGrowthMb} MB), fill ${figures.fillMs} ms`,
    });
  });
});
