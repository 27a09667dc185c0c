import { isLeaseExpired, type Job, type JobChanges, type JobExpectation } from '../job.js';
import type { JobClaim } from '../ports.js';

/**
 * The conditional write that claims `job` as it was read, for a store that computes a claim from the stored
 * job (the reference store, and the DynamoDB store on its rare fallback path): a queued job without a lease,
 * or a running one whose lease is over (its runner died — a new attempt). Undefined if the job is not
 * claimable. Compare-and-swap on what was read, so of racing claimants exactly one wins.
 */
export function claimWrite(
  job: Job,
  claim: JobClaim,
): { readonly expected: JobExpectation; readonly changes: JobChanges } | undefined {
  const common = {
    lease: claim.lease,
    hop: claim.hop,
    ...resetReconciled(job),
    ...(claim.entry && { history: [...(job.history ?? []), claim.entry] }),
  };
  if (job.status === 'queued' && job.lease === undefined) {
    return {
      expected: { status: 'queued', leaseHolder: null },
      changes: {
        status: 'running',
        ...common,
        attempts: Math.max(1, job.attempts),
        ...(!job.startedAt && { startedAt: new Date(claim.now).toISOString() }),
      },
    };
  }
  if (job.status === 'running' && isLeaseExpired(job, claim.now)) {
    return {
      // Compare-and-swap on the expired lease we saw.
      expected: {
        status: 'running',
        leaseHolder: job.lease?.holder ?? null,
        leaseExpiresAt: job.lease?.expiresAt,
      },
      changes: {
        ...common,
        attempts: job.attempts + 1,
        ...(!job.startedAt && { startedAt: new Date(claim.now).toISOString() }),
      },
    };
  }
  return undefined;
}

/** A runner claimed the job: the reconciler's count of lost deliveries starts again. */
const resetReconciled = (job: Job) => (job.reconciled === undefined ? {} : { reconciled: null });

/**
 * How long to wait before claiming again a job that a claim found running under a lease that lapses soon —
 * and before this invocation must end; undefined if it is not worth waiting. A crashed runner's lease then
 * lapses and this delivery can take over; a live runner renews its lease meanwhile and this delivery skips.
 */
export function lapsingLeaseWaitMs(
  job: Job,
  nowMs: number,
  leaseWaitMs: number,
  remainingTimeMs: (() => number) | undefined,
): number | undefined {
  if (job.status !== 'running' || !job.lease || leaseWaitMs <= 0) return undefined;
  const waitMs = Date.parse(job.lease.expiresAt) - nowMs + 1;
  if (waitMs <= 0 || waitMs > leaseWaitMs || waitMs >= (remainingTimeMs?.() ?? Number.POSITIVE_INFINITY))
    return undefined;
  return waitMs;
}
