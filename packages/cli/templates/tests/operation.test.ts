// The operation on its own, with the in-memory job store and dispatcher of @baton/core/testing: no AWS, no
// `baton dev`. Run with `npm test`.
import { randomIds, runInline, runJob, submitJob, systemClock } from '@baton/core';
import { InMemoryJobDispatcher, InMemoryJobStore } from '@baton/core/testing';
import { describe, expect, it } from 'vitest';
import { isPrime } from '../src/operations/count-primes.js';
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
    const store = new InMemoryJobStore();
    const dispatcher = new InMemoryJobDispatcher();
    const deps = { registry, store, dispatcher, clock: systemClock, ids: randomIds };
    const { job } = await submitJob(deps, {
      owner: 'arn:aws:iam::000000000000:user/tester',
      operation: 'count-primes',
      input: { upTo: 200_000, batchSize: 1_000 },
    });
    // Each invocation has almost no time left: the job hands over between batches, hop after hop.
    const short = { remainingTimeMs: () => 60, handoffMarginMs: 40, abortGraceMs: 500, maxHops: 500 };
    let outcome = await runJob(deps, job.id, short);
    let hops = 1;
    while (outcome.outcome === 'requeued' && hops < 500) {
      dispatcher.take();
      outcome = await runJob(deps, job.id, { ...short, hop: hops });
      hops += 1;
    }
    expect(hops).toBeGreaterThan(1);
    expect(outcome).toMatchObject({
      outcome: 'succeeded',
      job: { result: { upTo: 200_000, primes: 17_984 } },
    });
  });

  it('refuses input out of range, naming the field', () => {
    expect(() => registry.parseInput('count-primes', { upTo: 1 })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: ['input', 'upTo'] })] }),
    );
  });
});
