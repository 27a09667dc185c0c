import { announceFinished } from '../events.js';
import { appendHistory, historyEntry } from '../history.js';
import { isLeaseExpired, type Job, type JobError, type JobStatus } from '../job.js';
import { DEFAULT_LEASE_TTL_MS, DEFAULT_MAX_HOPS } from '../limits.js';
import type { IdGenerator, JobDispatcher, JobEvents, JobStore, Scheduler } from '../ports.js';
import type { Registry } from '../registry.js';
import { failQueuedJob } from '../runner/dispatch-or-fail.js';
import { timeBudgetError } from '../runner/job-run.js';
import { transition } from '../transition.js';
import { attemptsExhausted, lookUp } from './run-job.js';

export interface ReconcileJobsDeps {
  readonly registry: Registry;
  readonly store: JobStore;
  /** Where recovered jobs are sent: the function that runs jobs. */
  readonly dispatcher: JobDispatcher;
  readonly clock: Scheduler;
  readonly ids: IdGenerator;
  readonly events?: JobEvents;
  /** Who reconciles (the function and its invocation), for the jobs' history. */
  readonly actor?: string;
}

export interface ReconcileJobsOptions {
  /**
   * A job nobody has written for this long is looked at: a queued job that no runner claimed (its event was
   * lost, failed or aged out), a running one whose runner stopped renewing its lease. A live runner writes
   * at least every third of a lease, so the default — one lease — never picks a healthy run. Default 60 s.
   */
  readonly graceMs?: number;
  /** Jobs looked at in one run, at most: bounded work, the rest next time (oldest first). Default 100. */
  readonly limit?: number;
  /** A recovered job continues on its next hop; past this it fails with MaxHopsExceeded. */
  readonly maxHops?: number;
  /**
   * Re-dispatches of a queued job that no runner claims before it fails (NeverClaimed). They are spaced out
   * exponentially — the n-th waits `graceMs · 2^n` after the one before — so a backlog (events waiting behind a
   * busy or throttled runner) is not failed, only a job nobody takes for a long time: with the default 8 and a
   * one-minute grace, about 8.5 hours, beyond Lambda's longest event age (6 h).
   */
  readonly maxRedispatches?: number;
  /** Jobs handled at once. Default 8. */
  readonly concurrency?: number;
}

export type ReconcileAction =
  /** A queued job sent to its runner again. */
  | 'redispatched'
  /** A running job whose runner died, queued again as a new attempt and sent to its runner. */
  | 'requeued'
  /** A job ended failed, with the reason recorded. */
  | 'failed'
  /** A dead run whose job had a cancel requested, ended cancelled. */
  | 'cancelled'
  /** Nothing to do: a live runner holds it, or another reconciler (or runner) got there first. */
  | 'skipped'
  /** The store or the dispatcher failed for this job; the next run tries again. */
  | 'errors';

export interface ReconcileReport {
  readonly examined: number;
  readonly redispatched: number;
  readonly requeued: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly skipped: number;
  readonly errors: number;
}

/**
 * Every job ends. Finds unfinished jobs nobody has written for a grace period — through the store's index of
 * unfinished jobs, never a scan — and moves each on: re-dispatches a queued job nobody claimed, requeues (as
 * a new attempt) a running job whose lease expired, and fails a job whose attempts, hops, budget or
 * re-dispatches are spent, with the reason recorded. Every change is a conditional write on the state it
 * read, so two reconcilers running at once, or a reconciler racing a runner, never both act on one job.
 */
export async function reconcileJobs(
  deps: ReconcileJobsDeps,
  options: ReconcileJobsOptions = {},
): Promise<ReconcileReport> {
  const settings = {
    graceMs: options.graceMs ?? DEFAULT_LEASE_TTL_MS,
    limit: options.limit ?? 100,
    maxHops: options.maxHops ?? DEFAULT_MAX_HOPS,
    maxRedispatches: options.maxRedispatches ?? 8,
    concurrency: Math.max(1, options.concurrency ?? 8),
  };
  const updatedBefore = new Date(deps.clock.now() - settings.graceMs).toISOString();
  const stale = await deps.store.findStale({ updatedBefore, limit: settings.limit });
  const counts: Record<ReconcileAction, number> = {
    redispatched: 0,
    requeued: 0,
    failed: 0,
    cancelled: 0,
    skipped: 0,
    errors: 0,
  };
  let next = 0;
  const worker = async () => {
    while (next < stale.length) {
      const job = stale[next++] as Job;
      const action = await reconcileJob(deps, job, settings).catch((): ReconcileAction => 'errors');
      counts[action] += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, stale.length) }, worker));
  return { examined: stale.length, ...counts };
}

type Settings = { readonly graceMs: number; readonly maxHops: number; readonly maxRedispatches: number };

async function reconcileJob(deps: ReconcileJobsDeps, job: Job, settings: Settings): Promise<ReconcileAction> {
  return job.status === 'queued'
    ? reconcileQueued(deps, job, settings)
    : reconcileRunning(deps, job, settings);
}

/** The history of `job` with the reconciler's action appended. */
const reconciledHistory = (
  deps: ReconcileJobsDeps,
  job: Job,
  status: JobStatus,
  note: string,
  extra: { attempt?: number; error?: JobError } = {},
) =>
  appendHistory(
    job.history,
    historyEntry(deps.clock.now(), 'reconciled', status, {
      hop: job.hop,
      attempt: job.attempts || undefined,
      by: deps.actor,
      note,
      ...extra,
    }),
  );

/** The hop a queued job's runner is to be: the one after the hop that last claimed it. */
const nextHopOf = (job: Job): number => (job.hop === undefined ? 0 : job.hop + 1);

async function reconcileQueued(
  deps: ReconcileJobsDeps,
  job: Job,
  settings: Settings,
): Promise<ReconcileAction> {
  const reconciled = job.reconciled ?? 0;
  // The n-th re-dispatch waits grace · 2^n since the last write: a job behind a backlog is not flooded.
  if (deps.clock.now() - Date.parse(job.updatedAt) < settings.graceMs * 2 ** reconciled) return 'skipped';
  if (reconciled >= settings.maxRedispatches) {
    const failed = await failQueuedJob(
      deps,
      job,
      {
        type: 'NeverClaimed',
        message: `No runner claimed the job after ${reconciled + 1} dispatches.`,
        retryable: true,
      },
      {},
      { event: 'reconciled', note: 'failed: never claimed' },
    );
    return failed ? 'failed' : 'skipped';
  }
  // The write that wins the right to re-dispatch (of two reconcilers exactly one), and that makes the job
  // fresh again, so it is looked at once more only after another grace period.
  const touched = await deps.store.update(
    job.id,
    { status: 'queued', leaseHolder: null, reconciled },
    { reconciled: reconciled + 1, history: reconciledHistory(deps, job, 'queued', 'redispatched') },
  );
  if (!touched) return 'skipped';
  // A failed dispatch leaves the job queued: it is stale again after the grace period, and counted.
  await deps.dispatcher.dispatch(messageFor(touched, nextHopOf(touched)));
  return 'redispatched';
}

async function reconcileRunning(
  deps: ReconcileJobsDeps,
  job: Job,
  settings: Settings,
): Promise<ReconcileAction> {
  const now = deps.clock.now();
  if (!isLeaseExpired(job, now)) return 'skipped';
  // Conditions on the dead lease as read: a runner taking the job over meanwhile makes these writes no-ops.
  const dead = {
    leaseHolder: job.lease?.holder ?? null,
    ...(job.lease && { leaseExpiresAt: job.lease.expiresAt }),
    reconciled: job.reconciled ?? 0,
  };
  const end = async (status: 'failed' | 'cancelled', error?: JobError): Promise<ReconcileAction> => {
    const ended = await transition(
      deps.store,
      job,
      status,
      {
        lease: null,
        finishedAt: new Date(now).toISOString(),
        ...(error && { error }),
        history: reconciledHistory(deps, job, status, `${status}: its runner stopped`, error && { error }),
      },
      dead,
    );
    await announceFinished(deps.events, ended);
    return ended ? status : 'skipped';
  };
  if (job.cancelRequested) return end('cancelled');
  const operation = lookUp(deps.registry, job);
  if (!operation)
    return end('failed', {
      type: 'UnknownOperation',
      message: `Operation '${job.operation}' is not registered.`,
      retryable: false,
    });
  const exhausted = attemptsExhausted({ ...job, attempts: job.attempts + 1 }, operation);
  if (exhausted) return end('failed', exhausted);
  const nextHop = nextHopOf(job);
  if (nextHop > settings.maxHops)
    return end('failed', {
      type: 'MaxHopsExceeded',
      message: `The job needed more than ${settings.maxHops} invocations.`,
      retryable: false,
    });
  if (job.startedAt && now >= Date.parse(job.startedAt) + operation.policy.timeBudgetMs)
    return end('failed', timeBudgetError(operation));

  const requeued = await transition(
    deps.store,
    job,
    'queued',
    {
      lease: null,
      attempts: job.attempts + 1,
      reconciled: (job.reconciled ?? 0) + 1,
      history: reconciledHistory(deps, job, 'queued', 'requeued: its runner stopped', {
        attempt: job.attempts + 1,
      }),
    },
    dead,
  );
  if (!requeued) return 'skipped';
  await deps.dispatcher.dispatch(messageFor(requeued, nextHop));
  return 'requeued';
}

const messageFor = (job: Job, hop: number) => ({
  jobId: job.id,
  hop,
  ...(job.correlationId !== undefined && { correlationId: job.correlationId }),
});
