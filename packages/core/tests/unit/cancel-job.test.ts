import { describe, expect, it } from 'vitest';
import { cancelJob, IllegalTransition, NotFound, runJob, submitJob } from '../../src/index.js';
import { ALICE, BOB, harness } from '../fixtures/harness.js';

describe('cancelJob', () => {
  it('ends a queued job cancelled at once, and a later delivery does not run it', async () => {
    const { deps, drain } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    const cancelled = await cancelJob(deps, { owner: ALICE, jobId: job.id });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelRequested: true });
    expect(cancelled.finishedAt).toBeTypeOf('string');
    expect(await drain()).toEqual([{ outcome: 'skipped', reason: 'not-claimable' }]);
  });

  it('asks a running job to stop; its runner ends it cancelled when the operation stops', async () => {
    const { deps, store, clock } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'until-aborted', input: { stepMs: 2 } });
    const running = runJob(deps, job.id, { cancelPollMs: 10 });
    while ((await store.get(job.id))?.status !== 'running') await clock.tick(2);

    const requested = await cancelJob(deps, { owner: ALICE, jobId: job.id });
    expect(requested).toMatchObject({ status: 'running', cancelRequested: true });
    const outcome = await clock.run(running);
    expect(outcome.outcome).toBe('cancelled');
    expect(await store.get(job.id)).toMatchObject({ status: 'cancelled', cancelRequested: true });
    expect((await store.get(job.id))?.lease).toBeUndefined();
  });

  it('returns an already cancelled job unchanged, and refuses to cancel a finished one', async () => {
    const { deps, drain } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    await drain();
    await expect(cancelJob(deps, { owner: ALICE, jobId: job.id })).rejects.toBeInstanceOf(IllegalTransition);

    const other = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'two' } });
    const once = await cancelJob(deps, { owner: ALICE, jobId: other.job.id });
    expect(await cancelJob(deps, { owner: ALICE, jobId: other.job.id })).toEqual(once);
  });

  it("cannot cancel another owner's job: NotFound", async () => {
    const { deps, store } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    await expect(cancelJob(deps, { owner: BOB, jobId: job.id })).rejects.toBeInstanceOf(NotFound);
    expect((await store.get(job.id))?.status).toBe('queued');
  });
});
