import { isLeaseExpired, type Job, type JobLease } from '../job.js';
import type { JobStore, Scheduler } from '../ports.js';
import { transition } from '../transition.js';

/**
 * Claims a job for one run by a conditional write: a queued job, or a running one whose lease expired (its
 * runner died — a new attempt). Of two racing claimants exactly one wins; the loser gets `undefined`.
 */
export async function claimJob(
  store: JobStore,
  job: Job,
  claim: { readonly lease: JobLease; readonly hop: number; readonly now: number },
): Promise<Job | undefined> {
  if (job.status === 'running') {
    return store.update(
      job.id,
      // Compare-and-swap on the expired lease we saw.
      { status: 'running', leaseHolder: job.lease?.holder ?? null, leaseExpiresAt: job.lease?.expiresAt },
      { lease: claim.lease, attempts: job.attempts + 1, hop: claim.hop, ...resetReconciled(job) },
    );
  }
  return transition(
    store,
    job,
    'running',
    {
      lease: claim.lease,
      attempts: Math.max(1, job.attempts),
      hop: claim.hop,
      ...resetReconciled(job),
      ...(!job.startedAt && { startedAt: new Date(claim.now).toISOString() }),
    },
    { leaseHolder: null },
  );
}

/** A runner claimed the job: the reconciler's count of lost deliveries starts again. */
const resetReconciled = (job: Job) => (job.reconciled === undefined ? {} : { reconciled: null });

/** A delivery may claim a queued job, or a running one whose runner's lease is over. */
export const isClaimable = (job: Job, nowMs: number): boolean =>
  job.status === 'queued' || (job.status === 'running' && isLeaseExpired(job, nowMs));

/**
 * If the job is running under a lease that lapses soon — and before this invocation must end — waits for it
 * and reads the job again. A crashed runner's lease then lapses and this delivery can take over; a live
 * runner renews its lease meanwhile and this delivery skips.
 */
export async function waitForLapsingLease(
  deps: { readonly store: JobStore; readonly clock: Scheduler },
  job: Job,
  leaseWaitMs: number,
  remainingTimeMs: (() => number) | undefined,
): Promise<Job | undefined> {
  if (job.status !== 'running' || !job.lease || leaseWaitMs <= 0) return job;
  const waitMs = Date.parse(job.lease.expiresAt) - deps.clock.now() + 1;
  if (waitMs <= 0 || waitMs > leaseWaitMs || waitMs >= (remainingTimeMs?.() ?? Number.POSITIVE_INFINITY))
    return job;
  await deps.clock.sleep(waitMs);
  return deps.store.get(job.id);
}
