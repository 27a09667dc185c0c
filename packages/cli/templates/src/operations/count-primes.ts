import { defineOperation } from '@baton/core';
import * as z from 'zod';

/**
 * An operation: a zod schema in, a zod schema out, an async function. This one counts the primes up to `upTo`,
 * a batch at a time: quick for small numbers (answered synchronously), minutes for large ones (then it runs as a
 * job: the caller gets 202 and polls, and sees the progress it reports). It checkpoints after every batch, so a
 * job that outgrows one Lambda invocation resumes where it stopped instead of starting over.
 */
export const countPrimes = defineOperation({
  name: 'count-primes',
  description: 'Counts the prime numbers up to `upTo`, reporting progress as it goes.',
  input: z.strictObject({
    upTo: z
      .int()
      .min(2)
      .max(1_000_000_000)
      .meta({ examples: [100_000] }),
    batchSize: z.int().min(1_000).max(10_000_000).default(250_000),
  }),
  output: z.object({ upTo: z.int(), primes: z.int() }),
  policy: { checkpoints: true, maxAttempts: 3, timeBudgetMs: 60 * 60_000 },
  run: async ({ upTo, batchSize }, { resumeFrom, checkpoint, progress, signal }) => {
    const state = Checkpoint.parse(resumeFrom ?? { next: 2, primes: 0 });
    while (state.next <= upTo) {
      // Aborted when the job is cancelled, or when this invocation must hand over to the next one.
      signal.throwIfAborted();
      const end = Math.min(upTo, state.next + batchSize - 1);
      for (let n = state.next; n <= end; n++) if (isPrime(n)) state.primes += 1;
      state.next = end + 1;
      checkpoint(state);
      progress((end - 1) / (upTo - 1), `${end} of ${upTo} checked, ${state.primes} primes`);
      // Lets the runner notice a cancellation or a handover between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { upTo, primes: state.primes };
  },
});

const Checkpoint = z.object({ next: z.int(), primes: z.int() });
export type Checkpoint = z.infer<typeof Checkpoint>;

export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}
