import { describe, expect, it } from 'vitest';
import { type Job, reconcileJobs, runJob, submitJob } from '../../src/index.js';
import { ALICE, harness } from '../fixtures/harness.js';
import { flakyRuns } from '../fixtures/operations.js';

const GRACE = 60_000;

/** A job whose runner died mid-run at `hop`: running, under a lease that nobody will renew. */
async function jobOfDeadRunner(
  h: ReturnType<typeof harness>,
  overrides: { attempts?: number; hop?: number } = {},
) {
  const { job } = await submitJob(h.deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 1 } });
  h.dispatcher.take();
  const lease = { holder: 'dead-invocation/x', expiresAt: new Date(h.clock.now() + 60_000).toISOString() };
  await h.store.update(
    job.id,
    { status: 'queued' },
    { status: 'running', lease, attempts: overrides.attempts ?? 1, hop: overrides.hop ?? 0 },
  );
  return job;
}

describe('reconcileJobs: every job ends', () => {
  it('re-dispatches a queued job whose dispatch was lost, once the grace period has passed', async () => {
    const h = harness();
    const { job } = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } });
    h.dispatcher.take(); // the event is lost: nobody delivers it
    h.clock.advance(GRACE - 1);
    expect(await reconcileJobs(h.deps)).toMatchObject({ examined: 0, redispatched: 0 });
    h.clock.advance(1);
    expect(await reconcileJobs(h.deps)).toMatchObject({ examined: 1, redispatched: 1 });
    expect(h.dispatcher.take()).toEqual([{ jobId: job.id, hop: 0 }]);
    // The re-dispatch made the job fresh: the next pass leaves it alone for another grace period.
    expect(await reconcileJobs(h.deps)).toMatchObject({ examined: 0 });
    expect(await h.drain()).toHaveLength(0);
    await h.run(runJob(h.deps, job.id));
    expect((await h.store.get(job.id))?.status).toBe('succeeded');
  });

  it('fails a queued job that no runner claims after the allowed re-dispatches: NeverClaimed', async () => {
    const h = harness();
    const { job } = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } });
    // Passes a grace period apart: re-dispatches come after 1, 2 and 4 grace periods, the failure after 8 more.
    const passes = [];
    for (let pass = 0; pass < 16; pass++) {
      h.dispatcher.take();
      h.clock.advance(GRACE);
      const report = await reconcileJobs(h.deps, { maxRedispatches: 3 });
      passes.push(report.redispatched > 0 ? 'r' : report.failed > 0 ? 'F' : '.');
    }
    expect(passes.join('')).toBe('r.r...r.......F.');
    expect(await h.store.get(job.id)).toMatchObject({
      status: 'failed',
      error: { type: 'NeverClaimed', retryable: true },
    });
  });

  it('requeues the job of a dead runner as a new attempt on the next hop, and it completes', async () => {
    const h = harness();
    const job = await jobOfDeadRunner(h, { hop: 2 });
    h.clock.advance(30_000);
    expect(await reconcileJobs(h.deps)).toMatchObject({ examined: 0 }); // written 30 s ago: not stale yet
    h.clock.advance(GRACE);
    const report = await reconcileJobs(h.deps);
    expect(report).toMatchObject({ examined: 1, requeued: 1 });
    expect(await h.store.get(job.id)).toMatchObject({ status: 'queued', attempts: 2, reconciled: 1 });
    expect(h.dispatcher.take()).toEqual([{ jobId: job.id, hop: 3 }]);
    const outcome = await h.run(runJob(h.deps, job.id, { hop: 3 }));
    expect(outcome).toMatchObject({ outcome: 'succeeded', job: { attempts: 2, hop: 3 } });
    expect((await h.store.get(job.id))?.reconciled).toBeUndefined();
  });

  it('leaves a running job alone while its runner renews the lease', async () => {
    const h = harness();
    const { job } = await submitJob(h.deps, {
      owner: ALICE,
      operation: 'until-aborted',
      input: { stepMs: 1_000 },
    });
    const running = runJob(h.deps, job.id, { cancelPollMs: 1_000 });
    // Within its 60-second time budget, well past a lease and the grace period.
    for (let second = 0; second < 55; second += 5) {
      await h.clock.tick(5_000);
      expect(await reconcileJobs(h.deps)).toMatchObject({ requeued: 0, failed: 0 });
    }
    expect((await h.store.get(job.id))?.status).toBe('running');
    await h.store.update(job.id, { status: 'running' }, { cancelRequested: true });
    expect((await h.run(running)).outcome).toBe('cancelled');
  });

  it('fails the job of a dead runner whose attempts are spent, or whose next hop is past maxHops', async () => {
    const h = harness();
    const spent = await jobOfDeadRunner(h, { attempts: 3 });
    const farGone = await jobOfDeadRunner(h, { hop: 12 });
    h.clock.advance(GRACE + 60_000);
    expect(await reconcileJobs(h.deps, { maxHops: 12 })).toMatchObject({ examined: 2, failed: 2 });
    expect(await h.store.get(spent.id)).toMatchObject({
      status: 'failed',
      error: { type: 'AttemptsExhausted', retryable: false },
    });
    expect(await h.store.get(farGone.id)).toMatchObject({
      status: 'failed',
      error: { type: 'MaxHopsExceeded', retryable: false },
    });
    expect((await h.store.get(spent.id))?.lease).toBeUndefined();
  });

  it('ends cancelled a dead run whose job had a cancel requested', async () => {
    const h = harness();
    const job = await jobOfDeadRunner(h);
    await h.store.update(job.id, { status: 'running' }, { cancelRequested: true });
    h.clock.advance(GRACE + 60_000);
    expect(await reconcileJobs(h.deps)).toMatchObject({ cancelled: 1 });
    expect((await h.store.get(job.id))?.status).toBe('cancelled');
  });

  it('acts once on a job when two reconcilers run at the same time', async () => {
    const h = harness();
    const queued = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } });
    const dead = await jobOfDeadRunner(h);
    h.dispatcher.take();
    h.clock.advance(GRACE + 60_000);
    const reports = await Promise.all([reconcileJobs(h.deps), reconcileJobs(h.deps), reconcileJobs(h.deps)]);
    const total = (key: 'redispatched' | 'requeued' | 'skipped') => reports.reduce((n, r) => n + r[key], 0);
    expect(total('redispatched')).toBe(1);
    expect(total('requeued')).toBe(1);
    expect(total('skipped')).toBe(4);
    expect(
      h.dispatcher
        .take()
        .map((m) => m.jobId)
        .sort(),
    ).toEqual([queued.job.id, dead.id].sort());
  });

  it('does bounded work per pass, oldest first, and never looks at finished jobs', async () => {
    const h = harness();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        (await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: `m${i}` } })).job.id,
      );
      h.clock.advance(1_000);
    }
    const done = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'done' } });
    await runJob(h.deps, done.job.id);
    h.dispatcher.take();
    h.clock.advance(GRACE);
    expect(await reconcileJobs(h.deps, { limit: 3 })).toMatchObject({ examined: 3, redispatched: 3 });
    expect(h.dispatcher.take().map((m) => m.jobId)).toEqual(ids.slice(0, 3));
    expect(await reconcileJobs(h.deps, { limit: 3 })).toMatchObject({ examined: 3, redispatched: 3 });
    expect(await reconcileJobs(h.deps, { limit: 3 })).toMatchObject({ examined: 1, redispatched: 1 });
    expect(h.dispatcher.take().map((m) => m.jobId)).toEqual(ids.slice(3));
  });

  it('spaces re-dispatches out, so a job waiting behind a backlog is neither flooded nor failed', async () => {
    const h = harness();
    const { job } = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } });
    let redispatches = 0;
    // Ten minutes behind a busy runner, passes every grace period: re-dispatched at 1, 3, 7 grace periods only.
    for (let pass = 0; pass < 10; pass++) {
      h.clock.advance(GRACE);
      redispatches += (await reconcileJobs(h.deps)).redispatched;
    }
    expect(redispatches).toBe(3);
    expect((await h.store.get(job.id))?.status).toBe('queued');
  });

  it('counts a failed re-dispatch and tries again on a later pass', async () => {
    const h = harness();
    const { job } = await submitJob(h.deps, { owner: ALICE, operation: 'echo', input: { message: 'x' } });
    h.dispatcher.take();
    h.clock.advance(GRACE);
    h.dispatcher.failNext(new Error('throttled'));
    expect(await reconcileJobs(h.deps)).toMatchObject({ errors: 1 });
    expect((await h.store.get(job.id))?.status).toBe('queued');
    h.clock.advance(2 * GRACE);
    expect(await reconcileJobs(h.deps)).toMatchObject({ redispatched: 1 });
  });

  describe('the stuck paths, each ended within two reconciler periods', () => {
    it('a recorded sync run whose request died mid-run (its function crashed): recovered and run once more', async () => {
      const h = harness();
      flakyRuns.count = 0;
      // What a crashed door leaves: the job recorded as running under the request's lease, and nothing else.
      const created = await h.store.create({
        id: 'crashed-sync',
        operation: 'flaky',
        operationVersion: 1,
        input: { succeedOn: 1 },
        owner: ALICE,
        status: 'running',
        attempts: 1,
        cancelRequested: false,
        clientRequestId: 'k',
        createdAt: new Date(h.clock.now()).toISOString(),
        updatedAt: new Date(h.clock.now()).toISOString(),
        startedAt: new Date(h.clock.now()).toISOString(),
        lease: { holder: 'door', expiresAt: new Date(h.clock.now() + 3_000).toISOString() },
        expiresAt: new Date(h.clock.now() + 86_400_000).toISOString(),
      } as Job);
      expect(created.created).toBe(true);
      const endedBy = h.clock.now() + 2 * GRACE;
      for (let pass = 0; pass < 2; pass++) {
        h.clock.advance(GRACE);
        await reconcileJobs(h.deps);
        await h.drain();
      }
      expect(h.clock.now()).toBeLessThanOrEqual(endedBy);
      expect(await h.store.get('crashed-sync')).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(flakyRuns.count).toBe(1);
    });
  });
});
