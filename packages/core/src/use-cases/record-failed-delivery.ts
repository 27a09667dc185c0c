import { announceFinished } from '../events.js';
import { appendHistory, historyEntry } from '../history.js';
import { isLeaseExpired, isTerminal, type Job, type JobError } from '../job.js';
import type { IdGenerator, JobEvents, JobStore, Scheduler } from '../ports.js';
import { failQueuedJob } from '../runner/dispatch-or-fail.js';
import { transition } from '../transition.js';

export interface RecordFailedDeliveryDeps {
  readonly store: JobStore;
  readonly clock: Scheduler;
  readonly ids: IdGenerator;
  readonly events?: JobEvents;
  /** Who records it (the function and its invocation), for the job's history. */
  readonly actor?: string;
}

/** A job-run event Lambda gave up on, as its on-failure destination reports it. */
export interface FailedDelivery {
  readonly jobId: string;
  readonly hop: number;
  /** Lambda's `requestContext.condition`: RetriesExhausted, EventAgeExceeded, RecursiveInvocationDetected… */
  readonly condition: string;
  /** Lambda's request id of the invocation, the same across its retries (`requestContext.requestId`). */
  readonly invocationId?: string;
  /** How many times Lambda ran it (`approximateInvokeCount`). */
  readonly attempts?: number;
  /** What the last attempt answered, if it ran (e.g. "Task timed out after 900 seconds"). */
  readonly lastError?: string;
}

export type FailedDeliveryOutcome =
  | { readonly outcome: 'failed'; readonly job: Job }
  | {
      readonly outcome: 'ignored';
      readonly reason: 'not-found' | 'finished' | 'stale-event' | 'running-elsewhere' | 'changed-meanwhile';
    };

/**
 * Seed 003's error-handling function: marks the job of a job-run event that Lambda gave up on failed at once,
 * with the reason — its runner crashed on every attempt, or the event aged out under throttling — instead of
 * leaving it queued or running until its retention ends. An event is acted on only while it is the job's
 * current one: a job that ended, moved on to a later hop, or is held by a live runner of another invocation
 * is left alone. The job keeps the hop of the event, so that a replay of the archived event (after a fix) can
 * put it back in the queue (requeueFailedDelivery); a replay of a job that ended otherwise is a no-op.
 */
export async function recordFailedDelivery(
  deps: RecordFailedDeliveryDeps,
  delivery: FailedDelivery,
): Promise<FailedDeliveryOutcome> {
  const job = await deps.store.get(delivery.jobId);
  if (!job) return { outcome: 'ignored', reason: 'not-found' };
  if (isTerminal(job.status)) return { outcome: 'ignored', reason: 'finished' };
  const error = deliveryError(delivery);
  // What a replay of this event checks (requeueFailedDelivery): the hop Lambda gave up on, and one more
  // maintenance action in the job's `reconciled` count (at least 1) — the requeue clears it and only another
  // failure of delivery sets it again, so a replay that read this failure cannot act on the end of a later run.
  const mark = { hop: delivery.hop, reconciled: (job.reconciled ?? 0) + 1 };

  if (job.status === 'queued') {
    // The hop a queued job waits for is the one after the hop that last claimed it.
    const awaitedHop = job.hop === undefined ? 0 : job.hop + 1;
    if (delivery.hop !== awaitedHop) return { outcome: 'ignored', reason: 'stale-event' };
    const failed = await failQueuedJob(deps, job, error, mark, { note: 'delivery failed' });
    return failed ? { outcome: 'failed', job: failed } : { outcome: 'ignored', reason: 'changed-meanwhile' };
  }

  if (job.hop !== undefined && delivery.hop < job.hop) return { outcome: 'ignored', reason: 'stale-event' };
  const heldByFailedInvocation =
    delivery.invocationId !== undefined && job.lease?.holder.startsWith(`${delivery.invocationId}/`) === true;
  if (!heldByFailedInvocation && !isLeaseExpired(job, deps.clock.now()))
    return { outcome: 'ignored', reason: 'running-elsewhere' };
  const failed = await transition(
    deps.store,
    job,
    'failed',
    {
      ...mark,
      lease: null,
      finishedAt: new Date(deps.clock.now()).toISOString(),
      error,
      history: appendHistory(
        job.history,
        historyEntry(deps.clock.now(), 'finished', 'failed', {
          hop: delivery.hop,
          attempt: job.attempts || undefined,
          by: deps.actor,
          error,
          note: 'delivery failed',
        }),
      ),
    },
    {
      leaseHolder: job.lease?.holder ?? null,
      ...(job.lease && { leaseExpiresAt: job.lease.expiresAt }),
      reconciled: job.reconciled ?? 0,
    },
  );
  await announceFinished(deps.events, failed);
  return failed ? { outcome: 'failed', job: failed } : { outcome: 'ignored', reason: 'changed-meanwhile' };
}

/** The error types of a job failed because Lambda gave up delivering its event (its operation never failed). */
export const DELIVERY_FAILURE_TYPES: readonly string[] = ['DeliveryFailed', 'EventAgeExceeded'];

function deliveryError(delivery: FailedDelivery): JobError {
  const attempts = delivery.attempts === undefined ? '' : ` after ${delivery.attempts} attempt(s)`;
  const last = delivery.lastError ? `: ${delivery.lastError}` : '';
  return {
    type: delivery.condition === 'EventAgeExceeded' ? 'EventAgeExceeded' : 'DeliveryFailed',
    message: `Lambda gave up on the job's invocation (${delivery.condition}${attempts})${last}.`.slice(
      0,
      1_000,
    ),
    retryable: true,
  };
}
