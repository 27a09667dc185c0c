import { defineOperation } from '@baton/core';
import * as z from 'zod';

export const REGIONS = ['north', 'south', 'east', 'west', 'central'] as const;

/**
 * Sale number `index` of the data set `seed`: a pure function of the two, so a resumed job regenerates exactly
 * the records it has not yet counted, and a test can recompute the report independently.
 */
export function saleRecord(
  seed: number,
  index: number,
): { region: (typeof REGIONS)[number]; amountCents: number } {
  // SplitMix32-style mixing of (seed, index): cheap, well distributed, and stateless.
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index | 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  return { region: REGIONS[h % REGIONS.length] as (typeof REGIONS)[number], amountCents: 100 + (h % 99_900) };
}

const RegionTotals = z.record(z.string(), z.object({ count: z.int(), totalCents: z.int() }));

const ReportState = z.object({
  next: z.int(),
  count: z.int(),
  totalCents: z.int(),
  minCents: z.int(),
  maxCents: z.int(),
  byRegion: RegionTotals,
});
type ReportState = z.infer<typeof ReportState>;

/**
 * A realistic long job: a sales report over N generated records, computed in batches. Each batch ends with a
 * checkpoint and a progress report, and yields to the event loop so cancellation and handoff are noticed.
 */
export const report = defineOperation({
  name: 'report',
  description:
    'Builds a sales report (count, total, mean, min, max, totals per region) over N generated records.',
  input: z.strictObject({
    // Up to a billion: about 10 million records a second on one core, so the largest runs for minutes.
    records: z.int().min(1).max(1_000_000_000),
    batchSize: z.int().min(100).max(1_000_000).default(50_000),
    seed: z
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
  }),
  output: z.object({
    records: z.int(),
    totalCents: z.int(),
    meanCents: z.number(),
    minCents: z.int(),
    maxCents: z.int(),
    byRegion: RegionTotals,
  }),
  policy: { checkpoints: true, maxAttempts: 3, timeBudgetMs: 60 * 60_000 },
  run: async ({ records, batchSize, seed }, { resumeFrom, checkpoint, progress, signal }) => {
    const state: ReportState = resumeFrom
      ? ReportState.parse(resumeFrom)
      : { next: 0, count: 0, totalCents: 0, minCents: Number.MAX_SAFE_INTEGER, maxCents: 0, byRegion: {} };
    while (state.next < records) {
      signal.throwIfAborted();
      const end = Math.min(records, state.next + batchSize);
      for (let index = state.next; index < end; index++) {
        const sale = saleRecord(seed, index);
        state.count += 1;
        state.totalCents += sale.amountCents;
        state.minCents = Math.min(state.minCents, sale.amountCents);
        state.maxCents = Math.max(state.maxCents, sale.amountCents);
        const region = state.byRegion[sale.region] ?? { count: 0, totalCents: 0 };
        region.count += 1;
        region.totalCents += sale.amountCents;
        state.byRegion[sale.region] = region;
      }
      state.next = end;
      checkpoint(state);
      progress(state.next / records, `${state.next} of ${records} records`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return {
      records: state.count,
      totalCents: state.totalCents,
      meanCents: state.totalCents / state.count,
      minCents: state.minCents,
      maxCents: state.maxCents,
      byRegion: state.byRegion,
    };
  },
});
