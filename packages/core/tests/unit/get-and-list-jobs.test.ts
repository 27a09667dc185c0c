import { describe, expect, it } from 'vitest';
import {
  cancelJob,
  getJob,
  listJobs,
  NotFound,
  submitJob,
  Unauthenticated,
  ValidationError,
} from '../../src/index.js';
import { ALICE, BOB, harness } from '../fixtures/harness.js';

describe('getJob and listJobs are owner-scoped', () => {
  it("returns the caller's own job", async () => {
    const { deps } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    const { history, ...withoutHistory } = job;
    // Its history only when asked for: a job view without the flag stays as it was.
    expect(await getJob(deps, { owner: ALICE, jobId: job.id })).toEqual(withoutHistory);
    expect(await getJob(deps, { owner: ALICE, jobId: job.id, history: true })).toEqual(job);
    expect(history).toMatchObject([{ event: 'queued', status: 'queued' }]);
  });

  it("answers NotFound — not Forbidden — for another owner's job, exactly as for a missing one", async () => {
    const { deps } = harness();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    const foreign = await getJob(deps, { owner: BOB, jobId: job.id }).catch((error: unknown) => error);
    const missing = await getJob(deps, { owner: BOB, jobId: 'no-such-id' }).catch((error: unknown) => error);
    expect(foreign).toBeInstanceOf(NotFound);
    expect(missing).toBeInstanceOf(NotFound);
    expect(Object.keys(foreign as object)).toEqual(Object.keys(missing as object));
    await expect(getJob(deps, { owner: '', jobId: job.id })).rejects.toBeInstanceOf(Unauthenticated);
  });

  it('answers NotFound for an id that was never issued — too long for the store, or not ASCII — without reading', async () => {
    const { deps, store } = harness();
    const get = store.get.bind(store);
    let reads = 0;
    store.get = async (id) => {
      reads++;
      return get(id);
    };
    for (const jobId of ['a'.repeat(2_045), '日'.repeat(700), '', 'has space']) {
      const error = await getJob(deps, { owner: ALICE, jobId }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotFound);
      expect((error as Error).message.length).toBeLessThan(200);
      await expect(cancelJob(deps, { owner: ALICE, jobId })).rejects.toBeInstanceOf(NotFound);
    }
    expect(reads).toBe(0);
  });

  it('lists only the caller’s jobs, newest first, with an opaque cursor', async () => {
    const { deps, clock } = harness();
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      mine.push(
        (await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: `m${i}` } })).job.id,
      );
      await submitJob(deps, { owner: BOB, operation: 'echo', input: { message: `b${i}` } });
      (clock as { advance(ms: number): void }).advance(1_000);
    }
    const first = await listJobs(deps, { owner: ALICE, limit: 2 });
    const second = await listJobs(deps, { owner: ALICE, limit: 2, cursor: first.nextCursor as string });
    const third = await listJobs(deps, { owner: ALICE, limit: 2, cursor: second.nextCursor as string });
    expect([...first.jobs, ...second.jobs, ...third.jobs].map((job) => job.id)).toEqual(mine.reverse());
    expect(third.nextCursor).toBeUndefined();
    await expect(listJobs(deps, { owner: BOB, cursor: first.nextCursor as string })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect((await listJobs(deps, { owner: ALICE })).jobs).toHaveLength(5);
  });

  it('refuses a page size outside 1..100', async () => {
    const { deps } = harness();
    for (const limit of [0, 101, 2.5]) {
      await expect(listJobs(deps, { owner: ALICE, limit })).rejects.toMatchObject({
        code: 'ValidationError',
        issues: [{ path: ['limit'] }],
      });
    }
  });
});
