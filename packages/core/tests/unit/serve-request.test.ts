import { describe, expect, it } from 'vitest';
import {
  Conflict,
  cancelJob,
  type Job,
  PayloadTooLarge,
  serveRequest,
  ValidationError,
} from '../../src/index.js';
import { ALICE, BOB, harness } from '../fixtures/harness.js';
import { expectedSum } from '../fixtures/operations.js';

describe('serveRequest: the behaviour every door shares', () => {
  it('answers an async request with a queued, dispatched job', async () => {
    const { deps, dispatcher } = harness();
    const outcome = await serveRequest(deps, {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'hi' },
      async: true,
      budgetMs: 1_000,
    });
    expect(outcome).toMatchObject({
      kind: 'accepted',
      reason: 'async',
      created: true,
      job: { status: 'queued' },
    });
    expect(dispatcher.dispatched).toHaveLength(1);
  });

  it('answers a fast sync request inline, writing nothing', async () => {
    const { deps, store, dispatcher } = harness();
    const outcome = await serveRequest(deps, {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'hi' },
      budgetMs: 1_000,
    });
    expect(outcome).toEqual({ kind: 'completed', output: { echoed: 'hi' } });
    expect(store.writes).toBe(0);
    expect(dispatcher.dispatched).toEqual([]);
  });

  it('hands a sync request that outgrows its budget to the worker, checkpoint and all, and it completes', async () => {
    const { deps, dispatcher, drain, run } = harness();
    const input = { batches: 40, batchSize: 2, batchMs: 10 };
    const outcome = await run(
      serveRequest(deps, { owner: ALICE, operation: 'sum-batches', input, budgetMs: 150 }),
    );
    expect(outcome).toMatchObject({ kind: 'accepted', reason: 'handoff', job: { status: 'queued' } });
    const job = (outcome as { job: Job }).job;
    expect((job.checkpoint as { next: number }).next).toBeGreaterThan(0);
    expect(dispatcher.dispatched).toEqual([{ jobId: job.id, hop: 0 }]);
    const [result] = await drain();
    expect(result).toMatchObject({
      outcome: 'succeeded',
      job: { result: { total: expectedSum(40, 2), resumes: 1 } },
    });
  });

  it('records a sync request with a clientRequestId in one write, and replays its result on a retry', async () => {
    const { deps, store } = harness();
    const request = {
      owner: ALICE,
      operation: 'flaky',
      input: { succeedOn: 1 },
      clientRequestId: 'k1',
      budgetMs: 1_000,
    };
    const first = await serveRequest(deps, request);
    expect(first).toMatchObject({ kind: 'completed', output: { attempt: 1 }, job: { status: 'succeeded' } });
    expect(store.writes).toBe(2); // recorded as it started, then finished
    const retry = await serveRequest(deps, request);
    expect(retry).toMatchObject({ kind: 'completed', output: { attempt: 1 } });
    expect((retry as { job: Job }).job.id).toBe((first as { job: Job }).job.id);
  });

  it('lets a retried request join the run under way instead of running the work twice', async () => {
    const { deps, clock, run } = harness();
    const request = {
      owner: ALICE,
      operation: 'sum-batches',
      input: { batches: 20, batchSize: 1, batchMs: 10 },
      clientRequestId: 'k2',
      pollMs: 10,
    };
    const original = serveRequest(deps, { ...request, budgetMs: 5_000 });
    await clock.tick(20);
    // A retry with too little budget left answers with the job under way…
    const impatient = await run(serveRequest(deps, { ...request, budgetMs: 30 }));
    expect(impatient).toMatchObject({
      kind: 'accepted',
      reason: 'in-progress',
      created: false,
      job: { status: 'running' },
    });
    // …one with enough budget waits for it and gets its result.
    const [first, patient] = await run(
      Promise.all([original, serveRequest(deps, { ...request, budgetMs: 5_000 })]),
    );
    expect(first).toMatchObject({ kind: 'completed', output: { total: expectedSum(20, 1), resumes: 0 } });
    expect(patient).toMatchObject({ kind: 'completed', output: { total: expectedSum(20, 1), resumes: 0 } });
  });

  it('hands over a recorded run that outgrows its budget, and a retry finds the job', async () => {
    const { deps, drain, run } = harness();
    const request = {
      owner: ALICE,
      operation: 'sum-batches',
      input: { batches: 30, batchSize: 1, batchMs: 10 },
      clientRequestId: 'k3',
      budgetMs: 100,
    };
    const outcome = await run(serveRequest(deps, request));
    expect(outcome).toMatchObject({
      kind: 'accepted',
      reason: 'handoff',
      job: { status: 'queued', clientRequestId: 'k3' },
    });
    await drain();
    expect(await serveRequest(deps, request)).toMatchObject({
      kind: 'completed',
      output: { total: expectedSum(30, 1) },
    });
  });

  it('hands a recorded run whose request died to the worker, which takes it over', async () => {
    const { deps, store, dispatcher, drain, clock, run } = harness();
    const request = {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'x' },
      clientRequestId: 'k4',
      budgetMs: 1_000,
    };
    // What a request leaves behind when its function dies mid-run: a running job under a lapsed lease.
    await serveRequest(deps, { ...request, input: { message: 'x' } });
    const [job] = (await store.listByOwner(ALICE, { limit: 1 })).jobs as Job[];
    await store.update(
      job?.id as string,
      {},
      {
        status: 'running',
        lease: { holder: 'dead', expiresAt: new Date(clock.now() - 1).toISOString() },
        result: null,
      },
    );
    const retry = await run(serveRequest(deps, { ...request, budgetMs: 50, pollMs: 10 }));
    expect(retry).toMatchObject({ kind: 'accepted', reason: 'in-progress' });
    expect(dispatcher.dispatched).toEqual([{ jobId: job?.id, hop: 0 }]);
    expect(await drain()).toMatchObject([
      { outcome: 'succeeded', job: { attempts: 2, result: { echoed: 'x' } } },
    ]);
  });

  it('refuses a clientRequestId reused with a different input, and keys are per owner', async () => {
    const { deps } = harness();
    const request = {
      owner: ALICE,
      operation: 'echo',
      input: { message: 'a' },
      clientRequestId: 'k5',
      budgetMs: 1_000,
    };
    await serveRequest(deps, request);
    await expect(serveRequest(deps, { ...request, input: { message: 'b' } })).rejects.toBeInstanceOf(
      Conflict,
    );
    expect(await serveRequest(deps, { ...request, owner: BOB, input: { message: 'b' } })).toMatchObject({
      kind: 'completed',
      output: { echoed: 'b' },
    });
  });

  it('validates before writing anything', async () => {
    const { deps, store } = harness();
    await expect(
      serveRequest(deps, {
        owner: ALICE,
        operation: 'echo',
        input: {},
        clientRequestId: 'k6',
        budgetMs: 100,
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(store.writes).toBe(0);
  });

  describe('a recorded run behaves as a job run does', () => {
    const keyed = (key: string, input: object, extra: object = {}) => ({
      owner: ALICE,
      operation: 'sum-batches',
      input,
      clientRequestId: key,
      budgetMs: 5_000,
      ...extra,
    });

    it('fails its job when the hand-over cannot be dispatched: nothing is left queued (stuck path 2)', async () => {
      const { deps, dispatcher, store, run } = harness();
      dispatcher.failNext(new Error('Rate exceeded'));
      const request = keyed('h1', { batches: 30, batchSize: 1, batchMs: 10 }, { budgetMs: 100 });
      expect(await run(serveRequest(deps, request))).toMatchObject({
        kind: 'failed',
        error: { type: 'DispatchFailed', retryable: true },
      });
      const [job] = (await store.listByOwner(ALICE, { limit: 1 })).jobs;
      expect(job).toMatchObject({ status: 'failed', error: { type: 'DispatchFailed', retryable: true } });
      expect(job?.lease).toBeUndefined();
    });

    it('fails its job with PayloadTooLarge when the result cannot be stored, and a retry does not run it again (stuck path 4)', async () => {
      const { deps, store, run } = harness();
      const update = store.update.bind(store);
      store.update = async (id, expected, changes) => {
        if (changes.result !== undefined) throw new PayloadTooLarge('The result', 500_000, 400_000);
        return update(id, expected, changes);
      };
      const request = keyed('p1', { batches: 2, batchSize: 1, batchMs: 0 });
      const first = await run(serveRequest(deps, request));
      expect(first).toMatchObject({
        kind: 'failed',
        error: { type: 'PayloadTooLarge', retryable: false },
        job: { status: 'failed' },
      });
      const writes = store.writes;
      expect(await run(serveRequest(deps, request))).toMatchObject({
        kind: 'failed',
        error: { type: 'PayloadTooLarge' },
      });
      expect(store.writes).toBe(writes + 1); // the retry's create-if-absent, and nothing run
    });

    it('retries its last write through a passing store error instead of answering 500 for work that succeeded', async () => {
      const { deps, store, run } = harness();
      const update = store.update.bind(store);
      let failures = 2;
      store.update = async (id, expected, changes) => {
        if (changes.status === 'succeeded' && failures-- > 0)
          throw new Error('ProvisionedThroughputExceeded');
        return update(id, expected, changes);
      };
      const outcome = await run(serveRequest(deps, keyed('s1', { batches: 2, batchSize: 1, batchMs: 0 })));
      expect(outcome).toMatchObject({ kind: 'completed', job: { status: 'succeeded' } });
    });

    it('notices a cancel and ends cancelled (stuck path 5)', async () => {
      const { deps, store, clock, run } = harness();
      const running = serveRequest(
        deps,
        keyed('c1', { stepMs: 10 }, { operation: 'until-aborted', cancelPollMs: 50 }),
      );
      let job: Job | undefined;
      while (!job) {
        await clock.tick(10);
        job = (await store.listByOwner(ALICE, { limit: 1 })).jobs[0];
      }
      await cancelJob(deps, { owner: ALICE, jobId: job.id });
      expect(await run(running)).toMatchObject({ kind: 'failed', error: { type: 'Cancelled' } });
      expect(await store.get(job.id)).toMatchObject({ status: 'cancelled' });
    });

    it('refuses an invalid correlation id before writing anything (stuck path 1)', async () => {
      const { deps, store } = harness();
      for (const correlationId of ['', 'x'.repeat(257), 'has space', 'tab\t']) {
        await expect(
          serveRequest(deps, {
            owner: ALICE,
            operation: 'echo',
            input: { message: 'x' },
            async: true,
            budgetMs: 1,
            correlationId,
          }),
        ).rejects.toBeInstanceOf(ValidationError);
      }
      expect(store.writes).toBe(0);
    });
  });
});
