import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackingBuffer } from '../../src/queue/producer/packing-buffer.js';
import { schemaJobData, traceOfRow } from '../../src/queue/job-data.js';

// Every row of a packed job keeps the trace context of the call that submitted it, whatever the
// mix of traced and untraced calls and however the buffer cuts jobs.
describe('PackingBuffer trace contexts', () => {
  it('keeps one trace context per row, aligned with the rows, across any cut into jobs', async () => {
    const call = fc.record({ rows: fc.integer({ min: 1, max: 7 }), trace: fc.option(fc.constantFrom('00-aa-01', '00-bb-01', '00-cc-00'), { nil: undefined }) });
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 5 }), async (calls, maxRequestsPerJob) => {
        const sent: Array<{ rows: Array<Record<string, string>>; traces: string[] | undefined }> = [];
        const buffer = new PackingBuffer({ maxRequestsPerJob, maxBytesPerJob: 1 << 20, lingerMs: 0 }, async (jobs, traces) => {
          jobs.forEach((rows, i) => sent.push({ rows: rows as Array<Record<string, string>>, traces: traces[i] }));
        });
        const expected = new Map<string, string | undefined>();
        let n = 0;
        await Promise.all(
          calls.map(({ rows, trace }) => {
            const batch = Array.from({ length: rows }, () => ({ id: { $int64: String(n++) } as unknown as string }));
            for (const row of batch) expected.set(JSON.stringify(row.id), trace);
            return buffer.addMany(batch as never, undefined, trace);
          }),
        );
        await buffer.close();
        let seen = 0;
        for (const job of sent) {
          if (job.traces) expect(job.traces).toHaveLength(job.rows.length);
          const data = schemaJobData('s', job.rows as never, undefined, job.traces);
          job.rows.forEach((row, i) => {
            seen++;
            expect(traceOfRow(data, i)).toBe(expected.get(JSON.stringify(row.id)));
          });
          // A job with no traced row carries no trace field at all: untraced payloads are unchanged.
          if (job.traces === undefined) expect(data).not.toHaveProperty('tp');
        }
        expect(seen).toBe(n);
      }),
    );
  });
});
