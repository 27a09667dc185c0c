import { describe, expect, it } from 'vitest';
import {
  appendHistory,
  cancelJob,
  historyEntry,
  type Job,
  type JobHistoryEntry,
  jobViewOf,
  MAX_HISTORY_BYTES,
  MAX_HISTORY_ENTRIES,
  reconcileJobs,
  runJob,
  submitJob,
  toJobView,
} from '../../src/index.js';
import { InMemoryJobEvents } from '../../src/testing/index.js';
import { ALICE, harness } from '../fixtures/harness.js';

function withEvents() {
  const h = harness();
  const events = new InMemoryJobEvents();
  // The harness's own deliveries (drain) use these deps too.
  const deps = Object.assign(h.deps, { events });
  return { ...h, events, deps };
}

const shape = (history: readonly JobHistoryEntry[] | undefined) =>
  (history ?? []).map((entry) => [entry.event, entry.status]);

describe('job history', () => {
  it('rides on the 3 writes of a job that succeeds without progress: queued → claimed → finished', async () => {
    const { deps, store, events } = withEvents();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    const outcome = await runJob(deps, job.id, { actor: 'baton-test-worker/req-1' });
    expect(outcome.outcome).toBe('succeeded');
    expect(store.writes).toBe(3);
    const stored = (await store.get(job.id)) as Job;
    expect(shape(stored.history)).toEqual([
      ['queued', 'queued'],
      ['claimed', 'running'],
      ['finished', 'succeeded'],
    ]);
    // The claim's entry gets its attempt from the write after it (the one-write claim may not know it).
    expect(stored.history?.[1]).toMatchObject({ hop: 0, attempt: 1, by: 'baton-test-worker/req-1' });
    expect(stored.history?.[2]).toMatchObject({ hop: 0, attempt: 1, by: 'baton-test-worker/req-1' });
    expect(events.details).toEqual([
      {
        jobId: job.id,
        operation: 'echo',
        owner: ALICE,
        status: 'succeeded',
        durationMs: expect.any(Number),
        hops: 1,
        attempts: 1,
      },
    ]);
  });

  it('records hand-offs and at most one checkpoint entry per hop, by whoever ran it', async () => {
    const { deps, drain, store, events } = withEvents();
    const input = { batches: 24, batchSize: 5, batchMs: 10 };
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'sum-batches', input });
    // Progress is flushed every 20 ms: several coalesced writes a hop, each carrying a checkpoint.
    const outcomes = await drain({
      remainingTimeMs: () => 150,
      handoffMarginMs: 100,
      abortGraceMs: 500,
      progressIntervalMs: 20,
      actor: 'worker/inv',
    });
    expect(outcomes.at(-1)?.outcome).toBe('succeeded');
    const history = (await store.get(job.id))?.history ?? [];
    const hops = outcomes.length;
    expect(history.filter((e) => e.event === 'claimed')).toHaveLength(hops);
    expect(history.filter((e) => e.event === 'handed-off')).toHaveLength(hops - 1);
    const checkpoints = history.filter((e) => e.event === 'checkpoint');
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(new Set(checkpoints.map((e) => e.hop)).size).toBe(checkpoints.length);
    for (const entry of history.slice(1)) expect(entry.by).toBe('worker/inv');
    expect(history.at(-1)).toMatchObject({ event: 'finished', status: 'succeeded', hop: hops - 1 });
    expect(events.details).toMatchObject([{ status: 'succeeded', hops }]);
  });

  it('records retries with their error', async () => {
    const { deps, run, store } = withEvents();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'flaky', input: { succeedOn: 2 } });
    expect((await run(runJob(deps, job.id))).outcome).toBe('succeeded');
    const history = (await store.get(job.id))?.history ?? [];
    expect(history.find((e) => e.event === 'retry')).toMatchObject({
      status: 'running',
      attempt: 2,
      error: { type: expect.any(String), message: expect.any(String) },
    });
  });

  it('is shown only when asked for', async () => {
    const { deps, store } = withEvents();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    const stored = (await store.get(job.id)) as Job;
    expect(toJobView(stored)).not.toHaveProperty('history');
    expect(jobViewOf(stored)).not.toHaveProperty('history');
    expect(jobViewOf(stored, { history: true }).history).toHaveLength(1);
  });

  it('is bounded: the last 50 entries, within the byte bound, free text capped', () => {
    let history: JobHistoryEntry[] = [];
    for (let i = 0; i < 120; i++)
      history = appendHistory(history, historyEntry(i, 'retry', 'running', { attempt: i }));
    expect(history).toHaveLength(MAX_HISTORY_ENTRIES);
    expect(history[0]?.attempt).toBe(70);
    const long = historyEntry(0, 'finished', 'failed', {
      error: { type: 'X', message: 'm'.repeat(10_000) },
      note: 'n'.repeat(10_000),
    });
    expect(JSON.stringify(long).length).toBeLessThan(1_000);
    for (let i = 0; i < 120; i++) history = appendHistory(history, long);
    expect(Buffer.byteLength(JSON.stringify(history))).toBeLessThanOrEqual(MAX_HISTORY_BYTES);
    expect(history.length).toBeGreaterThan(10);
  });
});

describe('Baton Job Finished announcements', () => {
  it('announce a job once, whatever the duplicate deliveries', async () => {
    const { deps, events } = withEvents();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    const outcomes = await Promise.all([runJob(deps, job.id), runJob(deps, job.id), runJob(deps, job.id)]);
    expect(outcomes.filter((o) => o.outcome === 'succeeded')).toHaveLength(1);
    await runJob(deps, job.id);
    expect(events.finishedJobs.map((j) => j.id)).toEqual([job.id]);
  });

  it('announce a cancel of a queued job once, with its history', async () => {
    const { deps, events, store } = withEvents();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    await cancelJob(deps, { owner: ALICE, jobId: job.id });
    await cancelJob(deps, { owner: ALICE, jobId: job.id });
    expect(events.details).toMatchObject([{ jobId: job.id, status: 'cancelled', hops: 0, attempts: 0 }]);
    expect(shape((await store.get(job.id))?.history)).toEqual([
      ['queued', 'queued'],
      ['finished', 'cancelled'],
    ]);
  });

  it('announce a job the dispatch could not hand over, failed', async () => {
    const { deps, dispatcher, events } = withEvents();
    dispatcher.failNext();
    await expect(
      submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } }),
    ).rejects.toThrow();
    expect(events.details).toMatchObject([{ status: 'failed', error: { type: 'DispatchFailed' } }]);
  });

  it("announce a job the reconciler ends, and record the reconciler's action", async () => {
    const { deps, clock, store, events } = withEvents();
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    const options = { graceMs: 1_000, maxRedispatches: 1 };
    clock.advance(2_000);
    expect(await reconcileJobs(deps, options)).toMatchObject({ redispatched: 1 });
    clock.advance(10_000);
    expect(await reconcileJobs(deps, options)).toMatchObject({ failed: 1 });
    const history = (await store.get(job.id))?.history ?? [];
    expect(history.map((e) => [e.event, e.status, e.note])).toEqual([
      ['queued', 'queued', undefined],
      ['reconciled', 'queued', 'redispatched'],
      ['reconciled', 'failed', 'failed: never claimed'],
    ]);
    expect(events.details).toMatchObject([{ status: 'failed', error: { type: 'NeverClaimed' } }]);
  });

  it('never fail a job when the announcement fails', async () => {
    const { deps, store } = harness();
    const failing = { finished: async () => Promise.reject(new Error('bus down')) };
    const { job } = await submitJob(deps, { owner: ALICE, operation: 'echo', input: { message: 'hi' } });
    expect((await runJob({ ...deps, events: failing }, job.id)).outcome).toBe('succeeded');
    expect((await store.get(job.id))?.status).toBe('succeeded');
  });
});
