import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { appendHistory, historyEntry, MAX_HISTORY_ENTRIES } from '../history.js';
import type { Job } from '../job.js';
import type { JobStore } from '../ports.js';
import { ManualClock } from './manual-clock.js';

export interface ConformanceSubject {
  readonly store: JobStore;
  /** Closes whatever the store holds open (clients, servers). */
  readonly close?: () => Promise<void>;
}

/** Builds a fresh, empty store that reads time from `clock` (for updatedAt and expiry). */
export type ConformanceFactory = (clock: ManualClock) => Promise<ConformanceSubject>;

let sequence = 0;

/** A queued job as submitJob would create it; ids are unique across the whole test run. */
export function sampleJob(clock: ManualClock, overrides: Partial<Job> = {}): Job {
  const now = new Date(clock.now()).toISOString();
  sequence += 1;
  return {
    id: `job-${process.pid}-${sequence}-${Math.random().toString(36).slice(2, 10)}`,
    operation: 'report.build',
    operationVersion: 1,
    input: { records: 1000, title: 'Quarterly — Q3 ✓', nested: { list: [1, 2.5, -3, null, true, 'x'] } },
    owner: 'arn:aws:iam::111122223333:user/alice',
    status: 'queued',
    attempts: 0,
    cancelRequested: false,
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(clock.now() + 86_400_000).toISOString(),
    ...overrides,
  };
}

/**
 * The JobStore contract, run unchanged against every adapter. Each test builds its own store from the
 * factory, so the suite also runs against stores that share one server (tables are the factory's business).
 */
export function describeJobStoreConformance(name: string, factory: ConformanceFactory): void {
  describe(`JobStore conformance: ${name}`, () => {
    const withStore = (test: (store: JobStore, clock: ManualClock) => Promise<void>) => async () => {
      const clock = new ManualClock();
      const subject = await factory(clock);
      try {
        await test(subject.store, clock);
      } finally {
        await subject.close?.();
      }
    };

    it(
      'creates a job and reads it back exactly as written',
      withStore(async (store, clock) => {
        const job = sampleJob(clock, {
          clientRequestId: 'req-1',
          correlationId: 'corr-1',
          checkpoint: { batch: 3, totals: { a: 1 } },
        });
        expect(await store.create(job)).toEqual({ created: true, job });
        expect(await store.get(job.id)).toEqual(job);
      }),
    );

    it(
      'is create-if-absent by id',
      withStore(async (store, clock) => {
        const job = sampleJob(clock);
        await store.create(job);
        const again = await store.create({ ...job, input: { other: true } });
        expect(again).toEqual({ created: false, job });
        expect((await store.get(job.id))?.input).toEqual(job.input);
      }),
    );

    it(
      'is create-if-absent by owner and clientRequestId, and keys are scoped to their owner',
      withStore(async (store, clock) => {
        const first = sampleJob(clock, { clientRequestId: 'key-1' });
        await store.create(first);
        const second = await store.create(
          sampleJob(clock, { clientRequestId: 'key-1', input: { other: 1 } }),
        );
        expect(second).toEqual({ created: false, job: first });
        const otherOwner = sampleJob(clock, {
          clientRequestId: 'key-1',
          owner: 'arn:aws:iam::111122223333:user/bob',
        });
        expect((await store.create(otherOwner)).created).toBe(true);
        const noKey = sampleJob(clock);
        expect((await store.create(noKey)).created).toBe(true);
      }),
    );

    it(
      'lets exactly one of many racing creates with one key win',
      withStore(async (store, clock) => {
        const racers = Array.from({ length: 8 }, () => sampleJob(clock, { clientRequestId: 'race-key' }));
        const results = await Promise.all(racers.map((job) => store.create(job)));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const winner = results.find((r) => r.created)?.job;
        for (const result of results) expect(result.job.id).toBe(winner?.id);
      }),
    );

    it(
      'answers undefined for a job that does not exist',
      withStore(async (store) => {
        expect(await store.get('no-such-job')).toBeUndefined();
        expect(await store.update('no-such-job', {}, { status: 'running' })).toBeUndefined();
      }),
    );

    it(
      'applies an update only when the expectation holds, and stamps updatedAt',
      withStore(async (store, clock) => {
        const job = sampleJob(clock);
        await store.create(job);
        clock.advance(5_000);
        expect(await store.update(job.id, { status: 'running' }, { status: 'succeeded' })).toBeUndefined();
        expect((await store.get(job.id))?.status).toBe('queued');

        const lease = { holder: 'runner-a', expiresAt: new Date(clock.now() + 60_000).toISOString() };
        const claimed = await store.update(
          job.id,
          { status: ['queued', 'running'], leaseHolder: null },
          { status: 'running', lease, attempts: 1, startedAt: new Date(clock.now()).toISOString() },
        );
        expect(claimed).toMatchObject({ status: 'running', lease, attempts: 1 });
        expect(claimed?.updatedAt).toBe(new Date(clock.now()).toISOString());
        expect(await store.get(job.id)).toEqual(claimed);
      }),
    );

    it(
      'matches lease holder and lease expiry exactly, and removes fields set to null',
      withStore(async (store, clock) => {
        const job = sampleJob(clock);
        await store.create(job);
        const lease = { holder: 'runner-a', expiresAt: new Date(clock.now() + 1_000).toISOString() };
        await store.update(
          job.id,
          { leaseHolder: null },
          { status: 'running', lease, progress: { fraction: 0.5 } },
        );

        expect(
          await store.update(job.id, { leaseHolder: null }, { progress: { fraction: 0.6 } }),
        ).toBeUndefined();
        expect(
          await store.update(job.id, { leaseHolder: 'runner-b' }, { progress: { fraction: 0.6 } }),
        ).toBeUndefined();
        expect(
          await store.update(
            job.id,
            { leaseHolder: 'runner-a', leaseExpiresAt: new Date(clock.now()).toISOString() },
            { progress: { fraction: 0.6 } },
          ),
        ).toBeUndefined();
        const moved = await store.update(
          job.id,
          { status: 'running', leaseHolder: 'runner-a', leaseExpiresAt: lease.expiresAt },
          { progress: { fraction: 0.7, message: 'batch 7 of 10' }, checkpoint: { batch: 7 } },
        );
        expect(moved).toMatchObject({
          progress: { fraction: 0.7, message: 'batch 7 of 10' },
          checkpoint: { batch: 7 },
        });

        const finished = await store.update(
          job.id,
          { leaseHolder: 'runner-a' },
          { status: 'succeeded', lease: null, checkpoint: null, result: { total: 42 } },
        );
        expect(finished?.lease).toBeUndefined();
        expect(finished?.checkpoint).toBeUndefined();
        expect(finished?.result).toEqual({ total: 42 });
        const stored = await store.get(job.id);
        expect(stored).toEqual(finished);
        expect(stored && 'lease' in stored).toBe(false);
      }),
    );

    it(
      'lets exactly one of two racing claims win',
      withStore(async (store, clock) => {
        const job = sampleJob(clock);
        await store.create(job);
        const claim = (holder: string) =>
          store.update(
            job.id,
            { status: 'queued', leaseHolder: null },
            { status: 'running', lease: { holder, expiresAt: new Date(clock.now() + 60_000).toISOString() } },
          );
        const results = await Promise.all([claim('runner-a'), claim('runner-b')]);
        const winners = results.filter((r) => r !== undefined);
        expect(winners).toHaveLength(1);
        expect((await store.get(job.id))?.lease?.holder).toBe(winners[0]?.lease?.holder);
      }),
    );

    it(
      'lets exactly one of many racing takeovers of an expired lease win',
      withStore(async (store, clock) => {
        const dead = { holder: 'dead-runner', expiresAt: new Date(clock.now() + 1_000).toISOString() };
        const job = sampleJob(clock, { status: 'running', attempts: 1, lease: dead });
        await store.create(job);
        clock.advance(2_000);
        const results = await Promise.all(
          ['r1', 'r2', 'r3', 'r4', 'r5'].map((holder) =>
            store.update(
              job.id,
              { status: 'running', leaseHolder: dead.holder, leaseExpiresAt: dead.expiresAt },
              { attempts: 2, lease: { holder, expiresAt: new Date(clock.now() + 60_000).toISOString() } },
            ),
          ),
        );
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
        expect((await store.get(job.id))?.attempts).toBe(2);
      }),
    );

    it(
      'claims a queued job with one write that returns it: running, leased, first attempt, started',
      withStore(async (store, clock) => {
        const job = sampleJob(clock, { reconciled: 2 });
        await store.create(job);
        clock.advance(1_000);
        const lease = { holder: 'runner-a', expiresAt: new Date(clock.now() + 60_000).toISOString() };
        const result = await store.claim(job.id, { lease, hop: 0, now: clock.now() });
        const at = new Date(clock.now()).toISOString();
        expect(result).toEqual({
          claimed: true,
          job: {
            ...job,
            status: 'running',
            lease,
            hop: 0,
            attempts: 1,
            startedAt: at,
            updatedAt: at,
            reconciled: undefined,
          },
        });
        expect(result.job && 'reconciled' in result.job).toBe(false);
        expect(await store.get(job.id)).toEqual(result.job);
      }),
    );

    it(
      'claims a requeued job keeping its attempts and start, on the hop it is told',
      withStore(async (store, clock) => {
        const startedAt = new Date(clock.now() - 90_000).toISOString();
        const job = sampleJob(clock, { attempts: 2, hop: 3, startedAt, checkpoint: { batch: 4 } });
        await store.create(job);
        const lease = { holder: 'runner-a', expiresAt: new Date(clock.now() + 60_000).toISOString() };
        const result = await store.claim(job.id, { lease, hop: 4, now: clock.now() });
        expect(result).toMatchObject({
          claimed: true,
          job: { status: 'running', lease, hop: 4, attempts: 2, startedAt, checkpoint: { batch: 4 } },
        });
        // A first-hop delivery of a job that was requeued is claimed all the same.
        const other = sampleJob(clock, { attempts: 1 });
        await store.create(other);
        expect(await store.claim(other.id, { lease, hop: 0, now: clock.now() })).toMatchObject({
          claimed: true,
          job: { attempts: 1, hop: 0 },
        });
        // And a later hop's delivery of a job never claimed.
        const fresh = sampleJob(clock);
        await store.create(fresh);
        expect(await store.claim(fresh.id, { lease, hop: 2, now: clock.now() })).toMatchObject({
          claimed: true,
          job: { attempts: 1, hop: 2 },
        });
      }),
    );

    it(
      'refuses a claim without writing, and returns the job as stored: finished, leased, absent, expired',
      withStore(async (store, clock) => {
        const lease = (holder: string, ms: number) => ({
          holder,
          expiresAt: new Date(clock.now() + ms).toISOString(),
        });
        const claimAs = (id: string, holder: string) =>
          store.claim(id, { lease: lease(holder, 60_000), hop: 0, now: clock.now() });

        const finished = sampleJob(clock, { status: 'succeeded', attempts: 1, result: { ok: true } });
        await store.create(finished);
        expect(await claimAs(finished.id, 'late')).toEqual({ claimed: false, job: finished });

        const live = sampleJob(clock, { status: 'running', attempts: 1, lease: lease('alive', 30_000) });
        await store.create(live);
        expect(await claimAs(live.id, 'duplicate')).toEqual({ claimed: false, job: live });

        expect(await claimAs('no-such-job', 'lost')).toEqual({ claimed: false });

        const expiring = sampleJob(clock, { expiresAt: new Date(clock.now() + 1_000).toISOString() });
        await store.create(expiring);
        clock.advance(1_000);
        expect(await claimAs(expiring.id, 'too-late')).toEqual({ claimed: false });
        expect(await store.get(live.id)).toEqual(live);
      }),
    );

    it(
      'takes over a running job whose lease is over, as a new attempt; exactly one of racing claims wins',
      withStore(async (store, clock) => {
        const dead = { holder: 'dead-runner', expiresAt: new Date(clock.now() + 1_000).toISOString() };
        const startedAt = new Date(clock.now()).toISOString();
        const job = sampleJob(clock, { status: 'running', attempts: 1, hop: 0, lease: dead, startedAt });
        await store.create(job);
        // Not before the lease is over.
        expect(
          await store.claim(job.id, {
            lease: { holder: 'early', expiresAt: new Date(clock.now() + 60_000).toISOString() },
            hop: 1,
            now: clock.now() + 999,
          }),
        ).toEqual({ claimed: false, job });
        clock.advance(1_000);
        const results = await Promise.all(
          ['r1', 'r2', 'r3', 'r4'].map((holder) =>
            store.claim(job.id, {
              lease: { holder, expiresAt: new Date(clock.now() + 60_000).toISOString() },
              hop: 1,
              now: clock.now(),
            }),
          ),
        );
        const winners = results.filter((result) => result.claimed);
        expect(winners).toHaveLength(1);
        expect(winners[0]?.job).toMatchObject({ status: 'running', attempts: 2, hop: 1, startedAt });
        for (const loser of results.filter((result) => !result.claimed))
          expect(loser.job?.lease?.holder).toBe(winners[0]?.job?.lease?.holder);
        expect(await store.get(job.id)).toEqual(winners[0]?.job);

        const queued = sampleJob(clock);
        await store.create(queued);
        const racing = await Promise.all(
          ['a', 'b', 'c'].map((holder) =>
            store.claim(queued.id, {
              lease: { holder, expiresAt: new Date(clock.now() + 60_000).toISOString() },
              hop: 0,
              now: clock.now(),
            }),
          ),
        );
        expect(racing.filter((result) => result.claimed)).toHaveLength(1);
      }),
    );

    it(
      'treats an expired job as absent for get, update, create and list',
      withStore(async (store, clock) => {
        const owner = 'arn:aws:iam::111122223333:user/expiring';
        const job = sampleJob(clock, {
          owner,
          clientRequestId: 'k',
          expiresAt: new Date(clock.now() + 10_000).toISOString(),
        });
        await store.create(job);
        clock.advance(10_000);
        expect(await store.get(job.id)).toBeUndefined();
        expect(await store.update(job.id, {}, { cancelRequested: true })).toBeUndefined();
        expect((await store.listByOwner(owner, { limit: 10 })).jobs).toEqual([]);
        const fresh = sampleJob(clock, { owner, clientRequestId: 'k' });
        expect((await store.create(fresh)).created).toBe(true);
      }),
    );

    it(
      "lists only the owner's jobs, newest first, across pages without gaps or repeats",
      withStore(async (store, clock) => {
        const owner = 'arn:aws:iam::111122223333:role/lister';
        const created: Job[] = [];
        for (let i = 0; i < 7; i++) {
          const job = sampleJob(clock, { owner });
          await store.create(job);
          created.push(job);
          await store.create(sampleJob(clock, { owner: 'arn:aws:iam::111122223333:role/someone-else' }));
          clock.advance(1_000);
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listByOwner(owner, { limit: 3, ...(cursor && { cursor }) });
          for (const job of page.jobs) expect(job.owner).toBe(owner);
          seen.push(...page.jobs.map((job) => job.id));
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 10);
        expect(seen).toEqual(created.map((job) => job.id).reverse());
        expect(pages).toBe(3);
      }),
    );

    it(
      'refuses a cursor issued to another owner, and a forged one, with a ValidationError',
      withStore(async (store, clock) => {
        const alice = 'arn:aws:iam::111122223333:user/alice-cursor';
        const bob = 'arn:aws:iam::111122223333:user/bob-cursor';
        for (let i = 0; i < 3; i++) {
          await store.create(sampleJob(clock, { owner: alice }));
          await store.create(sampleJob(clock, { owner: bob }));
          clock.advance(1_000);
        }
        const page = await store.listByOwner(alice, { limit: 1 });
        expect(page.nextCursor).toBeTypeOf('string');
        await expect(
          store.listByOwner(bob, { limit: 1, cursor: page.nextCursor as string }),
        ).rejects.toBeInstanceOf(ValidationError);
        await expect(
          store.listByOwner(alice, { limit: 1, cursor: 'bm90LWEtY3Vyc29y' }),
        ).rejects.toBeInstanceOf(ValidationError);
      }),
    );

    it(
      'applies an update conditioned on the reconciled count, an absent count being 0',
      withStore(async (store, clock) => {
        const job = sampleJob(clock);
        await store.create(job);
        expect(await store.update(job.id, { reconciled: 1 }, { hop: 1 })).toBeUndefined();
        const racers = await Promise.all(
          [1, 1, 1].map((n) =>
            store.update(job.id, { status: 'queued', reconciled: 0 }, { reconciled: n, hop: 2 }),
          ),
        );
        expect(racers.filter((r) => r !== undefined)).toHaveLength(1);
        expect(await store.get(job.id)).toMatchObject({ reconciled: 1, hop: 2 });
        expect(await store.update(job.id, { reconciled: 0 }, { reconciled: 2 })).toBeUndefined();
        expect(await store.update(job.id, { reconciled: 1 }, { reconciled: 2 })).toMatchObject({
          reconciled: 2,
        });
      }),
    );

    it(
      'finds stale unfinished jobs, oldest first, bounded, and never finished or expired ones',
      withStore(async (store, clock) => {
        const at = (offsetMs: number) => new Date(clock.now() + offsetMs).toISOString();
        const oldest = sampleJob(clock, { updatedAt: at(-50_000), createdAt: at(-50_000) });
        const running = sampleJob(clock, {
          status: 'running',
          attempts: 1,
          lease: { holder: 'dead', expiresAt: at(-30_000) },
          updatedAt: at(-40_000),
          createdAt: at(-45_000),
        });
        const older = sampleJob(clock, { updatedAt: at(-30_000), createdAt: at(-30_000) });
        const fresh = sampleJob(clock, { updatedAt: at(-1_000), createdAt: at(-1_000) });
        const finished = sampleJob(clock, {
          status: 'succeeded',
          attempts: 1,
          result: 1,
          updatedAt: at(-60_000),
          createdAt: at(-60_000),
        });
        const expiring = sampleJob(clock, {
          updatedAt: at(-55_000),
          createdAt: at(-55_000),
          expiresAt: at(5_000),
        });
        for (const job of [fresh, older, finished, running, oldest, expiring]) await store.create(job);
        clock.advance(10_000); // `expiring` is now past its expiry; the others are not

        const before = at(-15_000); // 25 s before the jobs' reference instant
        const ids = async (limit: number) =>
          (await store.findStale({ updatedBefore: before, limit })).map((job) => job.id);
        expect(await ids(10)).toEqual([oldest.id, running.id, older.id]);
        expect(await ids(2)).toEqual([oldest.id, running.id]);
        expect((await store.findStale({ updatedBefore: before, limit: 1 }))[0]).toEqual(oldest);

        // A write makes a job fresh again; finishing one takes it out for good.
        await store.update(oldest.id, { status: 'queued' }, { reconciled: 1 });
        await store.update(
          running.id,
          { status: 'running', leaseHolder: 'dead' },
          { status: 'failed', lease: null, error: { type: 'X', message: 'x', retryable: false } },
        );
        expect(await ids(10)).toEqual([older.id]);
        clock.advance(60_000);
        const later = (await store.findStale({ updatedBefore: at(0), limit: 10 })).map((job) => job.id);
        expect(later).toContain(oldest.id);
        expect(later).not.toContain(running.id);
        expect(later).not.toContain(finished.id);
      }),
    );

    it(
      'puts a failed job back in the queue on an update (a replayed failed delivery): unfinished and claimable again',
      withStore(async (store, clock) => {
        const at = new Date(clock.now()).toISOString();
        const job = sampleJob(clock, {
          status: 'failed',
          attempts: 3,
          hop: 2,
          reconciled: 1,
          checkpoint: { batch: 7 },
          startedAt: at,
          finishedAt: at,
          error: { type: 'DeliveryFailed', message: 'gave up', retryable: true },
        });
        await store.create(job);
        const changes = {
          status: 'queued',
          hop: 1,
          attempts: 0,
          error: null,
          finishedAt: null,
          reconciled: null,
        } as const;
        // Conditioned on the mark as read: a stale one is refused.
        expect(
          await store.update(job.id, { status: 'failed', leaseHolder: null, reconciled: 2 }, changes),
        ).toBe(undefined);
        clock.advance(1_000);
        const requeued = await store.update(
          job.id,
          { status: 'failed', leaseHolder: null, reconciled: 1 },
          changes,
        );
        expect(requeued).toMatchObject({ status: 'queued', hop: 1, attempts: 0, checkpoint: { batch: 7 } });
        for (const gone of ['error', 'finishedAt', 'reconciled', 'lease'])
          expect(requeued).not.toHaveProperty(gone);
        expect(await store.get(job.id)).toEqual(requeued);
        // Back in the unfinished jobs the reconciler looks at, and claimable by the replayed delivery's hop.
        clock.advance(60_000);
        const stale = await store.findStale({
          updatedBefore: new Date(clock.now()).toISOString(),
          limit: 10,
        });
        expect(stale.map((found) => found.id)).toContain(job.id);
        const lease = { holder: 'replay', expiresAt: new Date(clock.now() + 60_000).toISOString() };
        expect(await store.claim(job.id, { lease, hop: 2, now: clock.now() })).toMatchObject({
          claimed: true,
          job: { status: 'running', hop: 2, attempts: 1, lease },
        });
      }),
    );

    it(
      "keeps a job's history: it round-trips, a claim appends its entry in its own write, and it stays bounded",
      withStore(async (store, clock) => {
        const at = clock.now();
        const queued = historyEntry(at, 'queued', 'queued', { by: 'door/req-1' });
        const job = sampleJob(clock, { history: [queued] });
        await store.create(job);
        expect((await store.get(job.id))?.history).toEqual([queued]);
        // The claim appends to a history it has not read (one write, no read before it), at hop 0 and later.
        const claimedEntry = historyEntry(at, 'claimed', 'running', { hop: 0, by: 'worker/inv-1' });
        const lease = { holder: 'inv-1/r', expiresAt: new Date(at + 60_000).toISOString() };
        const claimed = await store.claim(job.id, { lease, hop: 0, now: at, entry: claimedEntry });
        expect(claimed).toMatchObject({ claimed: true, job: { history: [queued, claimedEntry] } });
        // A write replaces it with the bounded history its writer computed: the full entries come back as written.
        const finished = historyEntry(at, 'finished', 'failed', {
          hop: 0,
          attempt: 1,
          by: 'worker/inv-1',
          error: { type: 'Boom', message: 'it broke — ✗' },
          note: 'a note',
        });
        let history = appendHistory([queued, { ...claimedEntry, attempt: 1 }], finished);
        for (let i = 0; i < 80; i++)
          history = appendHistory(history, historyEntry(at + i, 'retry', 'running', { attempt: i }));
        expect(history).toHaveLength(MAX_HISTORY_ENTRIES);
        const written = await store.update(job.id, { leaseHolder: lease.holder }, { history });
        expect(written?.history).toEqual(history);
        expect((await store.get(job.id))?.history).toEqual(history);
        // A requeued job's claim (a later hop) appends too; a job stored without a history gets one.
        await store.update(job.id, { leaseHolder: lease.holder }, { status: 'queued', lease: null });
        const next = historyEntry(at, 'claimed', 'running', { hop: 1, by: 'worker/inv-2' });
        const again = await store.claim(job.id, {
          lease: { holder: 'inv-2/r', expiresAt: new Date(at + 60_000).toISOString() },
          hop: 1,
          now: at,
          entry: next,
        });
        expect(again.claimed && again.job.history?.at(-1)).toEqual(next);
        expect(again.claimed && again.job.history).toHaveLength(MAX_HISTORY_ENTRIES + 1);
        const bare = sampleJob(clock);
        await store.create(bare);
        const first = await store.claim(bare.id, { lease, hop: 0, now: at, entry: claimedEntry });
        expect(first).toMatchObject({ claimed: true, job: { history: [claimedEntry] } });
      }),
    );

    it(
      'returns copies: changing a returned job does not change the stored one',
      withStore(async (store, clock) => {
        const job = sampleJob(clock);
        const created = await store.create(job);
        (created.job.input as Record<string, unknown>).records = -1;
        const read = await store.get(job.id);
        (read?.input as Record<string, unknown>).records = -2;
        expect((await store.get(job.id))?.input).toEqual(job.input);
      }),
    );
  });
}
