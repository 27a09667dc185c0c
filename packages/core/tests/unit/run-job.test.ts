import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  cancelJob,
  type Job,
  PayloadTooLarge,
  RETRY_BACKOFF,
  runJob,
  submitJob,
} from '../../src/index.js';
import type { ManualClock } from '../../src/testing/index.js';
import { ALICE, harness } from '../fixtures/harness.js';
import { expectedSum, flakyRuns, untilAbortedRuns } from '../fixtures/operations.js';

describe('runJob', () => {
  it('runs a queued job to succeeded in exactly 3 writes: create, claim, finish', async () => {
    const { deps, store } = harness();
    const { job } = await submitJob(deps, {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'ab', repeat: 2 },
    });
    const outcome = await runJob(deps, job.id);
    expect(outcome).toMatchObject({
      outcome: 'succeeded',
      job: { status: 'succeeded', result: { echoed: 'abab' } },
    });
    const stored = (await store.get(job.id)) as Job;
    expect(stored).toMatchObject({ attempts: 1, progress: { fraction: 1 } });
    expect(stored.startedAt).toBeTypeOf('string');
    expect(stored.finishedAt).toBeTypeOf('string');
    expect(stored.lease).toBeUndefined();
    expect(store.writes).toBe(3);
  });

  it('coalesces progress: a quick job that reports progress 50 times still costs 3 writes', async () => {
    const { deps, store } = harness();
    const { job } = await submitJob(deps, {
      owner: ALICE,
      operation: 'sum-batches',
      input: { batches: 50, batchSize: 10, batchMs: 0 },
    });
    const outcome = await runJob(deps, job.id);
    expect(outcome).toMatchObject({ outcome: 'succeeded', job: { result: { total: expectedSum(50, 10) } } });
    expect(store.writes).toBe(3);
    expect((await store.get(job.id))?.progress).toEqual({ fraction: 1, message: 'batch 50 of 50' });
  });

  it('writes progress of a long job at most once per interval', async () => {
    const { deps, store, clock, run } = harness();
    const { job } = await submitJob(deps, {
      owner: ALICE,
      operation: 'sum-batches',
      input: { batches: 30, batchSize: 1, batchMs: 10 },
    });
    const seen: number[] = [];
    const update = store.update.bind(store);
    store.update = async (id, expected, changes) => {
      if (changes.status === undefined) seen.push(clock.now());
      return update(id, expected, changes);
    };
    const started = clock.now();
    await run(runJob(deps, job.id, { progressIntervalMs: 100 }));
    expect(clock.now() - started).toBe(300);
    // 300 ms of batches, at most one write per 100 ms (what is left at the end goes into the final write).
    expect(seen).toEqual([started + 100, started + 200, started + 300]);
  });

  it('treats a duplicate delivery as a no-op', async () => {
    const { deps, store } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 1 } });
    flakyRuns.count = 0;
    expect((await runJob(deps, job.id)).outcome).toBe('succeeded');
    const writes = store.writes;
    expect(await runJob(deps, job.id)).toEqual({ outcome: 'skipped', reason: 'not-claimable' });
    expect(await runJob(deps, 'unknown-job')).toEqual({ outcome: 'skipped', reason: 'not-found' });
    expect(flakyRuns.count).toBe(1);
    // Each delivery's claim is its read: one refused conditional write apiece, which changes nothing.
    expect(store.writes).toBe(writes + 2);
    expect((await store.get(job.id))?.status).toBe('succeeded');
  });

  it('runs a job once when two deliveries arrive at the same time', async () => {
    const { deps } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 1 } });
    flakyRuns.count = 0;
    const outcomes = await Promise.all([runJob(deps, job.id), runJob(deps, job.id), runJob(deps, job.id)]);
    expect(outcomes.filter((o) => o.outcome === 'succeeded')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'skipped')).toHaveLength(2);
    expect(flakyRuns.count).toBe(1);
  });

  describe('lease expiry', () => {
    /** A job claimed by a runner that then died: it holds a lease that nobody will release. */
    async function jobOfDeadRunner() {
      const h = harness();
      const { job } = await submitJob(h.deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 1 } });
      const clock = h.clock as ManualClock;
      const lease = { holder: 'dead-runner', expiresAt: new Date(clock.now() + 60_000).toISOString() };
      await h.store.update(job.id, { status: 'queued' }, { status: 'running', lease, attempts: 1 });
      return { ...h, clock, job, lease };
    }

    it('leaves a running job alone while its lease holds', async () => {
      const { deps, job, clock } = await jobOfDeadRunner();
      clock.advance(59_999);
      expect(await runJob(deps, job.id)).toEqual({ outcome: 'skipped', reason: 'not-claimable' });
    });

    it('takes over a job whose lease expired, as a new attempt, and completes it', async () => {
      const { deps, job, clock, store, lease } = await jobOfDeadRunner();
      clock.advance(60_000);
      const outcome = await runJob(deps, job.id);
      expect(outcome).toMatchObject({ outcome: 'succeeded', job: { attempts: 2, result: { attempt: 2 } } });
      // The dead runner, should it wake, can no longer write: its lease is gone.
      expect(await store.update(job.id, { leaseHolder: lease.holder }, { status: 'failed' })).toBeUndefined();
      expect((await store.get(job.id))?.status).toBe('succeeded');
    });

    it('fails the job when its runners keep dying past maxAttempts', async () => {
      const { deps, job, clock, store } = await jobOfDeadRunner();
      await store.update(job.id, { status: 'running' }, { attempts: 3 });
      clock.advance(60_000);
      const outcome = await runJob(deps, job.id);
      expect(outcome).toMatchObject({
        outcome: 'failed',
        job: { attempts: 4, error: { type: 'AttemptsExhausted', retryable: false } },
      });
    });

    it('ends a job cancelled when its runner died after a cancel was requested', async () => {
      const { deps, job, clock, store } = await jobOfDeadRunner();
      await store.update(job.id, { status: 'running' }, { cancelRequested: true });
      clock.advance(60_000);
      expect((await runJob(deps, job.id)).outcome).toBe('cancelled');
    });
  });

  describe('lease renewal and recovery', () => {
    it('renews the lease of a long run, so it never lapses while the runner lives', async () => {
      const { deps, store, clock } = harness();
      const { job } = await submitJob(deps, {
        owner: ALICE,
        operation: 'sum-batches',
        input: { batches: 25, batchSize: 1, batchMs: 10 },
      });
      const expiries = new Set<string>();
      const running = runJob(deps, job.id, { leaseTtlMs: 60, progressIntervalMs: 60_000 });
      let stored: Job | undefined;
      do {
        stored = await store.get(job.id);
        if (stored?.status === 'running' && stored.lease) {
          expect(Date.parse(stored.lease.expiresAt)).toBeGreaterThan(clock.now());
          expiries.add(stored.lease.expiresAt);
        }
        await clock.tick(5);
      } while (stored?.status !== 'succeeded');
      expect((await running).outcome).toBe('succeeded');
      expect(expiries.size).toBeGreaterThanOrEqual(3);
    });

    it('waits for a lapsing lease of a dead runner and recovers the job (the retry of a crashed invocation)', async () => {
      const { deps, store, clock, run } = harness();
      const { job } = await submitJob(deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 1 } });
      const lease = { holder: 'crashed', expiresAt: new Date(clock.now() + 150).toISOString() };
      await store.update(job.id, { status: 'queued' }, { status: 'running', lease, attempts: 1 });
      expect(await runJob(deps, job.id)).toEqual({ outcome: 'skipped', reason: 'not-claimable' });
      const outcome = await run(runJob(deps, job.id, { leaseWaitMs: 1_000 }));
      expect(outcome).toMatchObject({ outcome: 'succeeded', job: { attempts: 2 } });
    });

    it('skips, after waiting, a job whose live runner renewed its lease (a duplicate delivery)', async () => {
      const { deps, store, clock, run } = harness();
      const { job } = await submitJob(deps, {
        owner: ALICE,
        operation: 'until-aborted',
        input: { stepMs: 2 },
      });
      untilAbortedRuns.count = 0;
      const live = runJob(deps, job.id, { leaseTtlMs: 90, cancelPollMs: 10 });
      while ((await store.get(job.id))?.status !== 'running') await clock.tick(2);
      expect(await run(runJob(deps, job.id, { leaseWaitMs: 200 }))).toEqual({
        outcome: 'skipped',
        reason: 'not-claimable',
      });
      await cancelJob(deps, { owner: ALICE, jobId: job.id });
      expect((await run(live)).outcome).toBe('cancelled');
      expect(untilAbortedRuns.count).toBe(1);
    });
  });

  describe('retry policy', () => {
    it('retries a retryable error in the same invocation after a jittered backoff: no hop spent', async () => {
      const { deps, dispatcher, clock, run } = harness();
      const { job } = await submitJob(deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 3 } });
      flakyRuns.count = 0;
      const started = clock.now();
      const outcome = await run(runJob(deps, job.id, { random: () => 0.5 }));
      expect(outcome).toMatchObject({ outcome: 'succeeded', job: { attempts: 3, result: { attempt: 3 } } });
      expect(outcome && 'job' in outcome && outcome.job.error).toBeUndefined();
      // Full jitter at 0.5: half of 1 s, then half of 2 s.
      expect(clock.now() - started).toBe(500 + 1_000);
      expect(flakyRuns.count).toBe(3);
      expect(dispatcher.dispatched).toEqual([{ jobId: job.id, hop: 0 }]); // the submit's, and no other
    });

    it('draws each backoff at random below a doubling ceiling, capped', () => {
      const ceiling = (retry: number) => backoffDelayMs(retry, () => 0.999_999, RETRY_BACKOFF);
      expect([1, 2, 3, 4, 5, 6, 7].map(ceiling)).toEqual([999, 1_999, 3_999, 7_999, 15_999, 29_999, 29_999]);
      expect(backoffDelayMs(3, () => 0, RETRY_BACKOFF)).toBe(0);
    });

    it('requeues a retry to the next hop when the invocation has no time left to back off', async () => {
      const { deps, dispatcher, drain } = harness();
      const { job } = await submitJob(deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 3 } });
      const outcomes = await drain({ remainingTimeMs: () => 5_000 });
      expect(outcomes.map((o) => o.outcome)).toEqual(['requeued', 'requeued', 'succeeded']);
      expect(outcomes[0]).toMatchObject({
        reason: 'retry',
        nextHop: 1,
        job: { status: 'queued', attempts: 2, error: { type: 'UpstreamUnavailable', retryable: true } },
      });
      expect(outcomes[2]).toMatchObject({ job: { attempts: 3, hop: 2, result: { attempt: 3 } } });
      expect(outcomes[2] && 'job' in outcomes[2] && outcomes[2].job.error).toBeUndefined();
      expect(dispatcher.dispatched.map((m) => [m.jobId, m.hop])).toEqual([
        [job.id, 0],
        [job.id, 1],
        [job.id, 2],
      ]);
    });

    it('fails a retryable error at maxAttempts', async () => {
      const { deps, drain } = harness();
      await submitJob(deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 4 } });
      const outcomes = await drain();
      expect(outcomes.map((o) => o.outcome)).toEqual(['failed']);
      expect(outcomes[0]).toMatchObject({ job: { attempts: 3, error: { type: 'UpstreamUnavailable' } } });
    });

    it('fails a non-retryable error at once, and an invalid result as InvalidOutput', async () => {
      const { deps, drain } = harness();
      await submitJob(deps, { owner: ALICE, operation: 'rejects', input: {} });
      await submitJob(deps, { owner: ALICE, operation: 'bad-output', input: {} });
      const outcomes = await drain();
      expect(outcomes).toMatchObject([
        { outcome: 'failed', job: { attempts: 1, error: { type: 'MalformedRecord', retryable: false } } },
        { outcome: 'failed', job: { error: { type: 'InvalidOutput', retryable: false } } },
      ]);
    });

    it('marks the job failed when the retry cannot be dispatched: nothing is left queued', async () => {
      const { deps, dispatcher, store } = harness();
      const { job } = await submitJob(deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 2 } });
      dispatcher.failNext(new Error('throttled'));
      const outcome = await runJob(deps, job.id, { remainingTimeMs: () => 5_000 });
      expect(outcome).toMatchObject({ outcome: 'failed', job: { error: { type: 'DispatchFailed' } } });
      expect((await store.get(job.id))?.status).toBe('failed');
    });
  });

  describe('continuation', () => {
    it('hands a checkpointing job over when its invocation runs short, and completes it from checkpoints', async () => {
      const { deps, dispatcher, drain } = harness();
      const input = { batches: 24, batchSize: 5, batchMs: 10 };
      const { job } = await submitJob(deps, { owner: ALICE, operation: 'sum-batches', input });
      // Each invocation has 150 ms and hands over 100 ms before its end: ~5 batches per hop.
      const outcomes = await drain({ remainingTimeMs: () => 150, handoffMarginMs: 100, abortGraceMs: 500 });
      const last = outcomes.at(-1);
      expect(last).toMatchObject({ outcome: 'succeeded', job: { result: { total: expectedSum(24, 5) } } });
      const continuations = outcomes.filter((o) => o.outcome === 'requeued');
      expect(continuations.length).toBeGreaterThanOrEqual(2);
      for (const c of continuations)
        expect(c).toMatchObject({ reason: 'continuation', job: { attempts: 1 } });
      // Each hop resumed where the last stopped: the result counts the resumes, the dispatcher the hops.
      const resumes = last && 'job' in last ? (last.job.result as { resumes: number }).resumes : -1;
      expect(resumes).toBe(continuations.length);
      expect(dispatcher.dispatched.map((m) => [m.jobId, m.hop])).toEqual(
        outcomes.map((_, hop) => [job.id, hop]),
      );
      expect(last && 'job' in last && last.job.checkpoint).toBeUndefined();
    });

    it('saves the checkpoint and progress with the requeue', async () => {
      const { deps, store, run } = harness();
      const { job } = await submitJob(deps, {
        owner: ALICE,
        operation: 'sum-batches',
        input: { batches: 100, batchSize: 1, batchMs: 10 },
      });
      const outcome = await run(runJob(deps, job.id, { remainingTimeMs: () => 150, handoffMarginMs: 100 }));
      expect(outcome).toMatchObject({ outcome: 'requeued', reason: 'continuation', nextHop: 1 });
      const stored = (await store.get(job.id)) as Job;
      const checkpoint = stored.checkpoint as { next: number };
      expect(stored.status).toBe('queued');
      expect(checkpoint.next).toBeGreaterThan(0);
      expect(stored.progress?.fraction).toBeCloseTo(checkpoint.next / 100);
    });

    it('fails with MaxHopsExceeded instead of hopping forever', async () => {
      const { deps, drain } = harness();
      await submitJob(deps, {
        owner: ALICE,
        operation: 'sum-batches',
        input: { batches: 200, batchSize: 1, batchMs: 10 },
      });
      const outcomes = await drain({ remainingTimeMs: () => 120, handoffMarginMs: 100, maxHops: 2 });
      expect(outcomes.map((o) => o.outcome)).toEqual(['requeued', 'requeued', 'failed']);
      expect(outcomes[2]).toMatchObject({ job: { error: { type: 'MaxHopsExceeded', retryable: false } } });
      // The work done so far is kept: the checkpoint stays on the failed job.
      expect(outcomes[2] && 'job' in outcomes[2] && outcomes[2].job.checkpoint).toBeTruthy();
    });
  });

  it('fails a job whose result the store cannot hold, instead of crashing the runner', async () => {
    const { deps, store } = harness();
    const update = store.update.bind(store);
    store.update = async (id, expected, changes) => {
      const size = JSON.stringify(changes.result ?? null).length;
      if (size > 10) throw new PayloadTooLarge('The result', size, 10);
      return update(id, expected, changes);
    };
    const { job } = await submitJob(deps, {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'a long message' },
    });
    expect(await runJob(deps, job.id)).toMatchObject({
      outcome: 'failed',
      job: { error: { type: 'PayloadTooLarge', retryable: false } },
    });
    expect((await store.get(job.id))?.result).toBeUndefined();
  });

  it('fails a job that outruns its time budget', async () => {
    const { deps, store, clock, run } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'until-aborted', input: {} });
    // Started long ago: the budget (60 s) is already spent when this delivery arrives.
    await store.update(job.id, {}, { startedAt: new Date(clock.now() - 61_000).toISOString() });
    untilAbortedRuns.count = 0;
    expect(await runJob(deps, job.id)).toMatchObject({
      outcome: 'failed',
      job: { error: { type: 'TimeBudgetExceeded', retryable: false } },
    });
    expect(untilAbortedRuns.count).toBe(0);

    const second = await submitJob(deps, { owner: ALICE, operation: 'until-aborted', input: {} });
    await store.update(second.job.id, {}, { startedAt: new Date(clock.now() - 59_950).toISOString() });
    expect(await run(runJob(deps, second.job.id))).toMatchObject({
      outcome: 'failed',
      job: { error: { type: 'TimeBudgetExceeded' } },
    });
    expect(untilAbortedRuns.count).toBe(1);
  });

  it('fails, without running, a job whose operation was removed or changed version', async () => {
    const { deps, store } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } });
    const renamed = { ...(await store.get(job.id)), id: 'renamed', operation: 'gone' } as Job;
    await store.create(renamed);
    const bumped = { ...(await store.get(job.id)), id: 'bumped', operationVersion: 2 } as Job;
    await store.create(bumped);
    expect(await runJob(deps, 'renamed')).toMatchObject({
      outcome: 'failed',
      job: { error: { type: 'UnknownOperation' } },
    });
    expect(await runJob(deps, 'bumped')).toMatchObject({
      outcome: 'failed',
      job: { error: { type: 'OperationVersionMismatch' } },
    });
  });

  it('reports lease-lost and records nothing when another runner took the job over mid-run', async () => {
    const { deps, store, clock, run } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'until-aborted', input: { stepMs: 2 } });
    const running = runJob(deps, job.id, { cancelPollMs: 10 });
    while ((await store.get(job.id))?.status !== 'running') await clock.tick(2);
    const usurper = { holder: 'usurper', expiresAt: new Date(clock.now() + 60_000).toISOString() };
    await store.update(job.id, { status: 'running' }, { lease: usurper });
    expect(await run(running)).toEqual({ outcome: 'lease-lost', jobId: job.id });
    expect(await store.get(job.id)).toMatchObject({ status: 'running', lease: usurper });
  });
});
