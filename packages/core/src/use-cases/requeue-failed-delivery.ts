import { appendHistory, historyEntry } from '../history.js';
import type { Job } from '../job.js';
import type { Clock, JobStore } from '../ports.js';
import { transition } from '../transition.js';
import { DELIVERY_FAILURE_TYPES } from './record-failed-delivery.js';

export interface RequeueFailedDeliveryDeps {
  readonly store: JobStore;
  readonly clock: Clock;
  /** Who replays it (the function and its invocation), for the job's history. */
  readonly actor?: string;
}

/** A job-run event an operator replayed from the failure destination (it carries the replay marker). */
export interface ReplayedDelivery {
  readonly jobId: string;
  readonly hop: number;
}

export type RequeueOutcome =
  /** The job is queued again for this hop: the delivery that replayed it now runs it (runJob). */
  | { readonly outcome: 'requeued'; readonly job: Job }
  | {
      readonly outcome: 'ignored';
      /**
       * not-found: no such job (or it expired). not-failed: it is not failed — queued (a concurrent replay put
       * it back first: the claim decides who runs it), running or finished otherwise. failed-otherwise: it
       * failed, but not because Lambda gave up delivering its event (its operation failed, it ran out of
       * attempts or time…), or before this kind of failure recorded its hop. other-hop: it failed delivering
       * another hop. changed-meanwhile: a concurrent write won (another replay).
       */
      readonly reason: 'not-found' | 'not-failed' | 'failed-otherwise' | 'other-hop' | 'changed-meanwhile';
    };

/**
 * The first half of a replayed job-run event (decision 0015): a job that the failed-event handler failed because
 * Lambda gave up delivering this very hop — `DeliveryFailed` or `EventAgeExceeded`, never a failure of its
 * operation — goes back to the queue, as it was before that delivery: its checkpoint and progress kept, its
 * attempts counted afresh, its time budget restarted (a replay comes after a fix, maybe days later). The same
 * delivery then runs it through `runJob`, whose claim makes the run exactly-once.
 *
 * One conditional write on the failure as read: its status and the failed-event handler's mark (the
 * `reconciled` count it raised, which this write clears and only another failure of delivery raises again). So
 * of two replays of the same event exactly one requeues the job, and a replay that read the failure can never
 * requeue a job whose replayed run ended meanwhile — succeeded, or failed by its operation.
 */
export async function requeueFailedDelivery(
  deps: RequeueFailedDeliveryDeps,
  delivery: ReplayedDelivery,
): Promise<RequeueOutcome> {
  const job = await deps.store.get(delivery.jobId);
  if (!job) return { outcome: 'ignored', reason: 'not-found' };
  if (job.status !== 'failed') return { outcome: 'ignored', reason: 'not-failed' };
  // A job the handler failed has its mark (reconciled ≥ 1); without one the requeue could not tell this failure
  // from a later one, so it does nothing.
  const mark = job.reconciled ?? 0;
  if (!DELIVERY_FAILURE_TYPES.includes(job.error?.type ?? '') || mark < 1)
    return { outcome: 'ignored', reason: 'failed-otherwise' };
  if (job.hop !== delivery.hop) return { outcome: 'ignored', reason: 'other-hop' };
  const requeued = await transition(
    deps.store,
    job,
    'queued',
    {
      // A queued job waits for the hop after the one that last claimed it: this one.
      hop: delivery.hop > 0 ? delivery.hop - 1 : null,
      attempts: 0,
      startedAt: new Date(deps.clock.now()).toISOString(),
      error: null,
      finishedAt: null,
      reconciled: null,
      history: appendHistory(
        job.history,
        historyEntry(deps.clock.now(), 'requeued', 'queued', {
          hop: delivery.hop,
          by: deps.actor,
          note: 'replayed',
        }),
      ),
    },
    { leaseHolder: null, reconciled: mark },
  );
  return requeued
    ? { outcome: 'requeued', job: requeued }
    : { outcome: 'ignored', reason: 'changed-meanwhile' };
}
