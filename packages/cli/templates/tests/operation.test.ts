// The operation on its own, with the in-memory job store and dispatcher of @baton/core/testing: no AWS, no
// `baton dev`. Run with `npm test`.
import { runInline, systemClock } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { type Checkpoint, countPrimes, isPrime } from '../src/operations/count-primes.js';
import { registry } from '../src/operations/index.js';

describe('count-primes', () => {
  it('counts the primes up to a number', async () => {
    const outcome = await runInline(
      { registry, clock: systemClock },
      { operation: 'count-primes', input: { upTo: 100 } },
      { deadlineMs: 5_000 },
    );
    expect(outcome).toEqual({ kind: 'completed', output: { upTo: 100, primes: 25 } });
    expect([2, 3, 5, 7, 97].every(isPrime)).toBe(true);
    expect([0, 1, 4, 9, 91].some(isPrime)).toBe(false);
  });

  it('resumes from its checkpoint when a job outgrows an invocation, to the same result', async () => {
    const input = countPrimes.input.parse({ upTo: 200_000, batchSize: 1_000 });
    /**
     * An invocation that must hand over after `batches` batches: the runner aborts the signal then (Lambda's
     * time is up), and the next invocation starts from the last checkpoint. Counted in batches, not in
     * milliseconds, so the test is the same on a fast machine and a busy one.
     */
    const invocation = (resumeFrom: Checkpoint | undefined, batches: number) => {
      const controller = new AbortController();
      let saved = resumeFrom;
      let seen = 0;
      const context = {
        resumeFrom,
        progress: () => {},
        checkpoint: (state: Checkpoint) => {
          saved = structuredClone(state);
          if (++seen === batches) controller.abort(new Error('hand over'));
        },
        signal: controller.signal,
        remainingTimeMs: () => 60_000,
        attempt: 1,
        jobId: 'test',
      };
      return { run: () => countPrimes.run(input, context), saved: () => saved };
    };
    let resumeFrom: Checkpoint | undefined;
    let hops = 0;
    for (; hops < 500; hops++) {
      const hop = invocation(resumeFrom, 30);
      const ended = await hop.run().then(
        (output) => ({ output }),
        (error: unknown) => ({ error }),
      );
      if ('output' in ended) {
        expect(ended.output).toEqual({ upTo: 200_000, primes: 17_984 });
        break;
      }
      resumeFrom = hop.saved();
    }
    // 200 batches, 30 to an invocation: the result came from the seventh, each resuming the one before.
    expect(hops).toBe(6);
  });

  it('refuses input out of range, naming the field', () => {
    expect(() => registry.parseInput('count-primes', { upTo: 1 })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: ['input', 'upTo'] })] }),
    );
  });
});
