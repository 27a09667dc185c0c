import { describe, expect, it } from 'vitest';
import { recordFailedDelivery, runJob, submitJob } from '../../src/index.js';
import { ALICE, harness } from '../fixtures/harness.js';

describe('recordFailedDelivery: the job of an event Lambda gave up on', () => {
  it('fails a queued job whose event aged out under throttling, with the reason', async () => {
    const h = harness();
    const { job } = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } });
    const outcome = await recordFailedDelivery(h.deps, {
      jobId: job.id,
      hop: 0,
      condition: 'EventAgeExceeded',
      attempts: 0,
    });
    expect(outcome).toMatchObject({
      outcome: 'failed',
      job: { status: 'failed', error: { type: 'EventAgeExceeded', retryable: true } },
    });
    expect((await h.store.get(job.id))?.error?.message).toContain('EventAgeExceeded');
  });

  it('fails at once a running job whose lease the failed invocation still holds (it crashed on every attempt)', async () => {
    const h = harness();
    const { job } = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } });
    const lease = { holder: 'req-1/abc', expiresAt: new Date(h.clock.now() + 60_000).toISOString() };
    await h.store.update(job.id, { status: 'queued' }, { status: 'running', lease, attempts: 3, hop: 0 });
    const outcome = await recordFailedDelivery(h.deps, {
      jobId: job.id,
      hop: 0,
      condition: 'RetriesExhausted',
      invocationId: 'req-1',
      attempts: 3,
      lastError: 'Runtime.OutOfMemory: Runtime exited with error: signal: killed',
    });
    expect(outcome).toMatchObject({ outcome: 'failed', job: { error: { type: 'DeliveryFailed' } } });
    expect((await h.store.get(job.id))?.error?.message).toContain('Runtime.OutOfMemory');
  });

  it('leaves alone a job a live runner of another invocation holds, one that moved on, and one that ended', async () => {
    const h = harness();
    const held = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'a' } });
    const lease = { holder: 'req-2/abc', expiresAt: new Date(h.clock.now() + 60_000).toISOString() };
    await h.store.update(
      held.job.id,
      { status: 'queued' },
      { status: 'running', lease, attempts: 1, hop: 3 },
    );
    expect(
      await recordFailedDelivery(h.deps, {
        jobId: held.job.id,
        hop: 3,
        condition: 'RetriesExhausted',
        invocationId: 'req-1',
      }),
    ).toEqual({ outcome: 'ignored', reason: 'running-elsewhere' });
    expect(
      await recordFailedDelivery(h.deps, {
        jobId: held.job.id,
        hop: 2,
        condition: 'RetriesExhausted',
        invocationId: 'req-2',
      }),
    ).toEqual({ outcome: 'ignored', reason: 'stale-event' });

    const ended = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'b' } });
    await runJob(h.deps, ended.job.id);
    expect(
      await recordFailedDelivery(h.deps, { jobId: ended.job.id, hop: 0, condition: 'RetriesExhausted' }),
    ).toEqual({
      outcome: 'ignored',
      reason: 'finished',
    });
    expect(
      await recordFailedDelivery(h.deps, { jobId: 'gone', hop: 0, condition: 'RetriesExhausted' }),
    ).toEqual({
      outcome: 'ignored',
      reason: 'not-found',
    });
    expect((await h.store.get(held.job.id))?.status).toBe('running');
  });

  it('ignores the failed event of a dead hop once the job was requeued for the next one, so that one still runs', async () => {
    const h = harness();
    const { job } = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } });
    // The run at hop 1 died and the job was queued again for hop 2.
    await h.store.update(job.id, { status: 'queued' }, { hop: 1, attempts: 2 });
    expect(
      await recordFailedDelivery(h.deps, { jobId: job.id, hop: 1, condition: 'RetriesExhausted' }),
    ).toEqual({
      outcome: 'ignored',
      reason: 'stale-event',
    });
    expect(await h.run(runJob(h.deps, job.id, { hop: 2 }))).toMatchObject({ outcome: 'succeeded' });
  });
});
