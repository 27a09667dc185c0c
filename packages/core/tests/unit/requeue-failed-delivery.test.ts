import { describe, expect, it } from 'vitest';
import {
  type JobStore,
  recordFailedDelivery,
  requeueFailedDelivery,
  runJob,
  submitJob,
} from '../../src/index.js';
import { ALICE, harness } from '../fixtures/harness.js';
import { expectedSum, flakyRuns } from '../fixtures/operations.js';

type Harness = ReturnType<typeof harness>;

/** What the worker does with a replayed job-run event: requeue if the failure allows it, then a normal delivery. */
async function replay(h: Harness, jobId: string, hop: number, store: JobStore = h.store) {
  const requeue = await requeueFailedDelivery({ store, clock: h.clock }, { jobId, hop });
  const run = await h.run(runJob(h.deps, jobId, { hop }));
  return { requeue, run };
}

/** A submitted job whose first event Lambda gave up on before it ran (crashed at start on every attempt). */
async function failedBeforeItRan(h: Harness, operation: string, input: Record<string, unknown>) {
  const { job } = await submitJob(h.deps, { owner: ALICE, operation, input });
  h.dispatcher.take();
  const outcome = await recordFailedDelivery(h.deps, {
    jobId: job.id,
    hop: 0,
    condition: 'RetriesExhausted',
    attempts: 3,
    lastError: 'Error: not configured yet',
  });
  expect(outcome).toMatchObject({ outcome: 'failed', job: { error: { type: 'DeliveryFailed' } } });
  return job.id;
}

describe('requeueFailedDelivery: a replayed event of a job Lambda gave up delivering', () => {
  it('puts the job back in the queue for the hop that failed, and the replayed delivery runs it', async () => {
    const h = harness();
    flakyRuns.count = 0;
    const id = await failedBeforeItRan(h, 'flaky', { succeedOn: 1 });
    expect(await h.store.get(id)).toMatchObject({ status: 'failed', hop: 0, reconciled: 1 });

    const { requeue, run } = await replay(h, id, 0);
    expect(requeue).toMatchObject({ outcome: 'requeued', job: { status: 'queued', attempts: 0 } });
    if (requeue.outcome !== 'requeued') throw new Error('unreachable');
    expect(requeue.job).not.toHaveProperty('error');
    expect(requeue.job).not.toHaveProperty('finishedAt');
    expect(requeue.job).not.toHaveProperty('hop');
    expect(requeue.job).not.toHaveProperty('reconciled');
    expect(run).toMatchObject({ outcome: 'succeeded', job: { status: 'succeeded', attempts: 1, hop: 0 } });
    expect(flakyRuns.count).toBe(1);
  });

  it('runs the job exactly once when the replay is delivered twice, one after the other or at once', async () => {
    const h = harness();
    flakyRuns.count = 0;
    const id = await failedBeforeItRan(h, 'flaky', { succeedOn: 1 });
    const first = await replay(h, id, 0);
    const second = await replay(h, id, 0);
    expect(first.run.outcome).toBe('succeeded');
    expect(second).toEqual({
      requeue: { outcome: 'ignored', reason: 'not-failed' },
      run: { outcome: 'skipped', reason: 'not-claimable' },
    });
    expect(flakyRuns.count).toBe(1);

    const other = await failedBeforeItRan(h, 'flaky', { succeedOn: 1 });
    const both = await Promise.all([replay(h, other, 0), replay(h, other, 0)]);
    expect(both.map((one) => one.requeue.outcome).sort()).toEqual(['ignored', 'requeued']);
    expect(both.map((one) => one.run.outcome).sort()).toEqual(['skipped', 'succeeded']);
    expect(flakyRuns.count).toBe(2);
    expect(await h.store.get(other)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('resumes a job that failed mid-way at a later hop from its checkpoint, as that hop', async () => {
    const h = harness();
    const { job } = await submitJob(h.deps, {
      owner: ALICE,
      operation: 'sum-batches',
      input: { batches: 4, batchSize: 10, batchMs: 0 },
    });
    // Hop 2 claimed it with two batches done, then its invocation crashed on every attempt.
    const lease = { holder: 'req-9/abc', expiresAt: new Date(h.clock.now() + 60_000).toISOString() };
    await h.store.update(
      job.id,
      { status: 'queued' },
      {
        status: 'running',
        lease,
        attempts: 2,
        hop: 2,
        checkpoint: { next: 2, total: 210, resumes: 0 },
        startedAt: new Date(h.clock.now() - 86_400_000).toISOString(),
      },
    );
    await recordFailedDelivery(h.deps, {
      jobId: job.id,
      hop: 2,
      condition: 'RetriesExhausted',
      invocationId: 'req-9',
    });

    expect(await requeueFailedDelivery(h.deps, { jobId: job.id, hop: 1 })).toEqual({
      outcome: 'ignored',
      reason: 'other-hop',
    });
    const { requeue, run } = await replay(h, job.id, 2);
    expect(requeue).toMatchObject({
      outcome: 'requeued',
      job: { hop: 1, attempts: 0, checkpoint: { next: 2 }, startedAt: new Date(h.clock.now()).toISOString() },
    });
    // A fresh time budget: the day-old start would otherwise fail it with TimeBudgetExceeded at once.
    expect(run).toMatchObject({
      outcome: 'succeeded',
      job: { hop: 2, result: { total: expectedSum(4, 10), resumes: 1 } },
    });
  });

  it('leaves alone a job that finished otherwise, whose operation failed, or that is not failed', async () => {
    const h = harness();
    const { job: done } = await submitJob(h.deps, {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'x' },
    });
    await h.drain();
    expect(await requeueFailedDelivery(h.deps, { jobId: done.id, hop: 0 })).toEqual({
      outcome: 'ignored',
      reason: 'not-failed',
    });

    const { job: rejected } = await submitJob(h.deps, { owner: ALICE, operation: 'rejects', input: {} });
    await h.drain();
    expect(await h.store.get(rejected.id)).toMatchObject({ status: 'failed', hop: 0 });
    expect(await replay(h, rejected.id, 0)).toEqual({
      requeue: { outcome: 'ignored', reason: 'failed-otherwise' },
      run: { outcome: 'skipped', reason: 'not-claimable' },
    });
    expect(await h.store.get(rejected.id)).toMatchObject({ error: { type: 'MalformedRecord' } });

    const { job: queued } = await submitJob(h.deps, {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'y' },
    });
    expect(await requeueFailedDelivery(h.deps, { jobId: queued.id, hop: 0 })).toEqual({
      outcome: 'ignored',
      reason: 'not-failed',
    });
    expect(await requeueFailedDelivery(h.deps, { jobId: 'no-such-job', hop: 0 })).toEqual({
      outcome: 'ignored',
      reason: 'not-found',
    });
  });

  it('does not requeue a job failed by delivery without the handler’s mark (it could not tell which failure)', async () => {
    const h = harness();
    const id = await failedBeforeItRan(h, 'echo', { message: 'x' });
    await h.store.update(id, { status: 'failed' }, { reconciled: null });
    expect(await requeueFailedDelivery(h.deps, { jobId: id, hop: 0 })).toEqual({
      outcome: 'ignored',
      reason: 'failed-otherwise',
    });
  });

  it('never requeues, from a stale read, a job whose replayed run has failed by its operation since', async () => {
    const h = harness();
    const id = await failedBeforeItRan(h, 'rejects', {});
    const stale = await h.store.get(id);
    // Another delivery of the replay requeues and runs the job; the operation itself fails this time.
    expect((await replay(h, id, 0)).run).toMatchObject({
      outcome: 'failed',
      job: { error: { type: 'MalformedRecord' } },
    });
    // This one read the job before that and writes only now: its compare-and-swap must refuse.
    const staleStore: JobStore = Object.assign(Object.create(h.store) as JobStore, {
      get: async () => stale,
    });
    expect(await requeueFailedDelivery({ store: staleStore, clock: h.clock }, { jobId: id, hop: 0 })).toEqual(
      {
        outcome: 'ignored',
        reason: 'changed-meanwhile',
      },
    );
    expect(await h.store.get(id)).toMatchObject({ status: 'failed', error: { type: 'MalformedRecord' } });
  });

  it('revives a job whose replayed run was given up on again, when that failure is replayed in turn', async () => {
    const h = harness();
    flakyRuns.count = 0;
    const id = await failedBeforeItRan(h, 'flaky', { succeedOn: 1 });
    expect((await requeueFailedDelivery(h.deps, { jobId: id, hop: 0 })).outcome).toBe('requeued');
    // The replayed delivery crashed before it claimed the job, on every attempt: failed again, marked again.
    await recordFailedDelivery(h.deps, { jobId: id, hop: 0, condition: 'RetriesExhausted' });
    expect(await h.store.get(id)).toMatchObject({ status: 'failed', reconciled: 1 });
    expect((await replay(h, id, 0)).run.outcome).toBe('succeeded');
    expect(flakyRuns.count).toBe(1);
  });
});
