import { announceFinished } from '../events.js';
import { appendHistory, historyEntry, type JobHistoryEvent } from '../history.js';
import type { Job, JobChanges, JobError } from '../job.js';
import type { IdGenerator, JobDispatcher, JobEvents, JobStore, Scheduler } from '../ports.js';
import { transition } from '../transition.js';

export interface DispatchDeps {
  readonly store: JobStore;
  readonly dispatcher: JobDispatcher;
  readonly clock: Scheduler;
  readonly ids: IdGenerator;
  readonly events?: JobEvents;
}

export type DispatchResult =
  | { readonly dispatched: true }
  /** The hand-over failed and the job was failed with DispatchFailed (`job` absent if someone else owns it now). */
  | { readonly dispatched: false; readonly cause: unknown; readonly job?: Job };

/**
 * The one path by which a queued job reaches its runner — on submit, on a sync hand-off, on a retry or a
 * continuation, and when the reconciler re-dispatches. If the hand-over fails, the job is failed with the
 * reason, so that no job waits queued with nobody coming.
 */
export async function dispatchOrFail(deps: DispatchDeps, job: Job, hop: number): Promise<DispatchResult> {
  try {
    await deps.dispatcher.dispatch({
      jobId: job.id,
      hop,
      ...(job.correlationId !== undefined && { correlationId: job.correlationId }),
    });
    return { dispatched: true };
  } catch (cause) {
    const failed = await failQueuedJob(deps, job, {
      type: 'DispatchFailed',
      message: `The job could not be handed to its runner: ${cause instanceof Error ? cause.message : String(cause)}`,
      retryable: true,
    });
    return { dispatched: false, cause, ...(failed && { job: failed }) };
  }
}

/**
 * The status machine has no queued → failed: a job fails while running. So whoever must fail a queued job
 * claims it under a lease that is already over, then fails it — two writes, on rare paths only. If anyone
 * else claimed it meanwhile (a dispatch that reported failure but got through), they own it: `undefined`.
 */
export async function failQueuedJob(
  deps: Pick<DispatchDeps, 'store' | 'clock' | 'ids' | 'events'>,
  job: Job,
  error: JobError,
  /** More changes for the write that fails it (the failed-event handler's mark, see recordFailedDelivery). */
  changes: Pick<JobChanges, 'hop' | 'reconciled'> = {},
  /** How the job's history tells it: a `finished` entry by default, `reconciled` for the reconciler's. */
  told: { readonly event?: JobHistoryEvent; readonly note?: string } = {},
): Promise<Job | undefined> {
  const at = new Date(deps.clock.now()).toISOString();
  const holder = deps.ids.leaseHolder();
  const claimed = await transition(
    deps.store,
    job,
    'running',
    { lease: { holder, expiresAt: at }, ...(!job.startedAt && { startedAt: at }) },
    { leaseHolder: null, reconciled: job.reconciled ?? 0 },
  );
  if (!claimed) return undefined;
  const entry = historyEntry(at, told.event ?? 'finished', 'failed', {
    hop: changes.hop ?? claimed.hop ?? undefined,
    attempt: claimed.attempts,
    error,
    note: told.note,
  });
  const failed = await transition(
    deps.store,
    claimed,
    'failed',
    { ...changes, lease: null, finishedAt: at, error, history: appendHistory(claimed.history, entry) },
    { leaseHolder: holder },
  );
  await announceFinished(deps.events, failed);
  return failed;
}
