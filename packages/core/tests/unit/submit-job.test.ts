import { describe, expect, it } from 'vitest';
import {
  Conflict,
  DispatchFailed,
  submitJob,
  Unauthenticated,
  UnknownOperation,
  ValidationError,
} from '../../src/index.js';
import { ALICE, BOB, harness } from '../fixtures/harness.js';

describe('submitJob', () => {
  it('stores a validated queued job with an unguessable id and dispatches it at hop 0', async () => {
    const { deps, dispatcher, store, clock } = harness();
    const { job, created } = await submitJob(deps, {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'hi' },
      correlationId: 'corr-1',
    });
    expect(created).toBe(true);
    expect(job).toMatchObject({
      operation: 'echo',
      operationVersion: 1,
      input: { message: 'hi', repeat: 1 },
      owner: ALICE,
      status: 'queued',
      attempts: 0,
      cancelRequested: false,
      correlationId: 'corr-1',
      createdAt: new Date(clock.now()).toISOString(),
    });
    expect(Buffer.from(job.id, 'base64url').length * 8).toBeGreaterThanOrEqual(96);
    expect(Date.parse(job.expiresAt) - Date.parse(job.createdAt)).toBe(7 * 24 * 3600 * 1000);
    expect(await store.get(job.id)).toEqual(job);
    expect(dispatcher.dispatched).toEqual([{ jobId: job.id, hop: 0, correlationId: 'corr-1' }]);
  });

  it('gives every job a different id', async () => {
    const { deps } = harness();
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      ids.add((await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } })).job.id);
    }
    expect(ids.size).toBe(200);
  });

  it('refuses invalid input, unknown operations and anonymous callers before writing anything', async () => {
    const { deps, store, dispatcher } = harness();
    await expect(
      submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 3 } }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(submitJob(deps, { owner: ALICE, operation: 'nope', input: {} })).rejects.toBeInstanceOf(
      UnknownOperation,
    );
    await expect(
      submitJob(deps, { owner: '', operation: 'echo', input: { message: 'x' } }),
    ).rejects.toBeInstanceOf(Unauthenticated);
    await expect(
      submitJob(deps, {
        owner: ALICE,
        operation: 'echo',
        input: { message: 'x' },
        clientRequestId: 'has space',
      }),
    ).rejects.toMatchObject({ code: 'ValidationError', issues: [{ path: ['meta', 'clientRequestId'] }] });
    expect(store.writes).toBe(0);
    expect(dispatcher.dispatched).toEqual([]);
  });

  it('is idempotent per owner and clientRequestId: the same request returns the same job', async () => {
    const { deps, dispatcher } = harness();
    const request = {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'hi', repeat: 2 },
      clientRequestId: 'k-1',
    };
    const first = await submitJob(deps, request);
    // Key order and defaults do not make a request different.
    const again = await submitJob(deps, { ...request, input: { repeat: 2, message: 'hi' } });
    expect(again).toEqual({ job: first.job, created: false });
    const otherOwner = await submitJob(deps, { ...request, owner: BOB });
    expect(otherOwner.created).toBe(true);
    expect(otherOwner.job.id).not.toBe(first.job.id);
    // A queued job never claimed is dispatched again (its first dispatch may have been lost): harmless.
    expect(dispatcher.dispatched.filter((m) => m.jobId === first.job.id)).toHaveLength(2);
  });

  it('answers Conflict when a clientRequestId is reused with a different input or operation', async () => {
    const { deps } = harness();
    await submitJob(deps, {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'hi' },
      clientRequestId: 'k-2',
    });
    await expect(
      submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'bye' }, clientRequestId: 'k-2' }),
    ).rejects.toBeInstanceOf(Conflict);
    await expect(
      submitJob(deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 1 }, clientRequestId: 'k-2' }),
    ).rejects.toMatchObject({ code: 'Conflict', reason: 'idempotency-key-reused' });
  });

  it('does not dispatch a resubmitted job that already ran', async () => {
    const { deps, dispatcher, drain } = harness();
    const request = { owner: ALICE, operation: 'echo', input: { message: 'hi' }, clientRequestId: 'k-3' };
    await submitJob(deps, request);
    await drain();
    const again = await submitJob(deps, request);
    expect(again.job.status).toBe('succeeded');
    expect(dispatcher.take()).toEqual([]);
  });

  it('marks the job failed and reports DispatchFailed when the runner cannot be reached', async () => {
    const { deps, dispatcher, store } = harness();
    dispatcher.failNext(new Error('Lambda said no'));
    const error = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DispatchFailed);
    const jobId = (error as DispatchFailed).jobId;
    expect(await store.get(jobId)).toMatchObject({
      status: 'failed',
      error: { type: 'DispatchFailed', retryable: true },
    });
    expect((await store.get(jobId))?.lease).toBeUndefined();
  });

  it('can start a job from a checkpoint handed over by an inline run', async () => {
    const { deps, store } = harness();
    const { job } = await submitJob(deps, {
      owner: ALICE,
      operation: 'sum-batches',
      input: { batches: 4, batchSize: 2, batchMs: 0 },
      checkpoint: { next: 2, total: 10, resumes: 0 },
      progress: { fraction: 0.5, message: 'batch 2 of 4' },
    });
    expect(await store.get(job.id)).toMatchObject({
      checkpoint: { next: 2, total: 10, resumes: 0 },
      progress: { fraction: 0.5 },
    });
  });
});
