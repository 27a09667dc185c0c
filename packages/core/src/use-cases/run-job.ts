import { historyEntry } from '../history.js';
import type { Job, JobError } from '../job.js';
import { DEFAULT_LEASE_TTL_MS, DEFAULT_MAX_HOPS } from '../limits.js';
import type { AnyOperation } from '../operation.js';
import type { Registry } from '../registry.js';
import { lapsingLeaseWaitMs } from '../runner/claim.js';
import {
  JobRun,
  type JobRunDeps,
  type JobRunSettings,
  leaseFrom,
  type RunJobOutcome,
  timeBudgetError,
} from '../runner/job-run.js';

export type { RunJobOutcome } from '../runner/job-run.js';
export type RunJobDeps = JobRunDeps;

export interface RunJobOptions {
  /** The self-invocation this run is: 0 for the first. */
  readonly hop?: number;
  readonly maxHops?: number;
  /** Time left in this invocation (Lambda's `context.getRemainingTimeInMillis`). Default: the job's budget. */
  readonly remainingTimeMs?: () => number;
  /** A checkpointing operation is asked to hand over when this little time is left in the invocation. */
  readonly handoffMarginMs?: number;
  /** Progress and checkpoint writes are coalesced to at most one per interval. */
  readonly progressIntervalMs?: number;
  /** How often a running job re-reads itself to notice a cancel request. */
  readonly cancelPollMs?: number;
  /** How long an aborted operation gets to return before the runner stops waiting. */
  readonly abortGraceMs?: number;
  /**
   * A lease lasts this long and the runner renews it every third of it (one write each). If the runner dies,
   * its job is claimable again within this time. Jobs shorter than a third of it pay no renewal write.
   */
  readonly leaseTtlMs?: number;
  /** A lease never outlives the invocation (or the time budget) by more than this. */
  readonly leaseSlackMs?: number;
  /**
   * A delivery that finds the job running under a lease that lapses within this long waits for it, then
   * claims the job if nobody renewed it: the retry of a crashed invocation recovers the job instead of
   * skipping it. 0 (the default) never waits; the async worker sets it to about a lease's length.
   */
  readonly leaseWaitMs?: number;
  /**
   * The invocation running this delivery (Lambda's request id, which an async event keeps across its
   * retries). It prefixes the lease holder, so that the failed-event handler can tell that the invocation
   * holding a job's lease is the one Lambda gave up on.
   */
  readonly invocationId?: string;
  /** The source of retry jitter. Default Math.random. */
  readonly random?: () => number;
  /**
   * Who runs this delivery, for the job's history: the function and its invocation
   * (`<function name>/<request id>`). Default: the lease holder.
   */
  readonly actor?: string;
}

const DEFAULTS = {
  hop: 0,
  maxHops: DEFAULT_MAX_HOPS,
  handoffMarginMs: 10_000,
  progressIntervalMs: 1_000,
  cancelPollMs: 5_000,
  abortGraceMs: 2_000,
  leaseTtlMs: DEFAULT_LEASE_TTL_MS,
  leaseSlackMs: 1_000,
  leaseWaitMs: 0,
};

/** The lease holder of a run in an invocation: `<invocationId>/<random>`, or just the random part. */
export const leaseHolderFor = (random: string, invocationId: string | undefined): string =>
  invocationId ? `${invocationId}/${random}` : random;

/**
 * Runs one delivery of a job. Claims it by a conditional write — a queued job, or a running one whose
 * lease expired (its runner died) — so a duplicate delivery is a no-op. Runs the operation with progress,
 * checkpoints, an abort signal and the time left; records the result or error; retries a retryable error
 * after a jittered backoff, in this invocation while it has time and on the next hop otherwise; hands a
 * checkpointing operation over to the next hop when its invocation runs short of time.
 */
export async function runJob(
  deps: RunJobDeps,
  jobId: string,
  options: RunJobOptions = {},
): Promise<RunJobOutcome> {
  const settings = { ...DEFAULTS, ...stripUndefined(options) };
  const runSettings: JobRunSettings = {
    ...settings,
    nextHop: settings.hop + 1,
    handoffAtDeadline: false,
    retries: true,
    random: options.random ?? Math.random,
  };
  const holder = leaseHolderFor(deps.ids.leaseHolder(), options.invocationId);
  const by = options.actor ?? holder;
  // The claim is the read: one conditional write that returns the job (no read before it). Its lease is
  // bounded by the invocation; the job's time budget is known only from the job, and aborts the run anyway.
  const claimAt = (at: number) =>
    deps.store.claim(jobId, {
      lease: leaseFrom(holder, at, runSettings, {
        budgetEndsAt: Number.POSITIVE_INFINITY,
        invocationEndsAt: at + (options.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY),
      }),
      hop: settings.hop,
      now: at,
      entry: historyEntry(at, 'claimed', 'running', { hop: settings.hop, by }),
    });
  let now = deps.clock.now();
  let result = await claimAt(now);
  // Wait out a lapsing lease only if it was there before this delivery came (as a read before the claim would
  // have seen it): a claim that lost a race to a delivery of the same moment skips at once, as before.
  if (!result.claimed && result.job && Date.parse(result.job.updatedAt) <= now) {
    const waitMs = lapsingLeaseWaitMs(result.job, now, settings.leaseWaitMs, options.remainingTimeMs);
    if (waitMs !== undefined) {
      await deps.clock.sleep(waitMs);
      now = deps.clock.now();
      result = await claimAt(now);
    }
  }
  if (!result.claimed) return { outcome: 'skipped', reason: result.job ? 'not-claimable' : 'not-found' };
  const claimed = result.job;

  const operation = lookUp(deps.registry, claimed);
  const budgetEndsAt =
    Date.parse(claimed.startedAt ?? new Date(now).toISOString()) + (operation?.policy.timeBudgetMs ?? 0);
  const limits = {
    budgetEndsAt,
    invocationEndsAt: now + (options.remainingTimeMs?.() ?? Math.max(0, budgetEndsAt - now)),
  };

  const run = new JobRun(deps, { ...runSettings, by }, claimed, holder, limits);
  // Jobs that cannot run at all are failed here, after the claim: queued → failed is not a transition.
  if (!operation)
    return run.fail(unrunnable('UnknownOperation', `Operation '${claimed.operation}' is not registered.`));
  if (operation.version !== claimed.operationVersion) {
    return run.fail(
      unrunnable(
        'OperationVersionMismatch',
        `Job was submitted for version ${claimed.operationVersion} of '${claimed.operation}'; version ${operation.version} is deployed.`,
      ),
    );
  }
  if (claimed.cancelRequested) return run.finish('cancelled', {});
  if (deps.clock.now() >= budgetEndsAt) return run.fail(timeBudgetError(operation));
  const exhausted = attemptsExhausted(claimed, operation);
  if (exhausted) return run.fail(exhausted);
  return run.execute(operation);
}

/** The error of a job whose runners died more often than its operation allows attempts; undefined if not. */
export function attemptsExhausted(job: Job, operation: AnyOperation): JobError | undefined {
  if (job.attempts <= operation.policy.maxAttempts) return undefined;
  return {
    type: 'AttemptsExhausted',
    message: `The job's runner stopped without finishing ${operation.policy.maxAttempts} time(s).`,
    retryable: false,
  };
}

export function lookUp(registry: Registry, job: Job): AnyOperation | undefined {
  try {
    return registry.get(job.operation);
  } catch {
    return undefined;
  }
}

const unrunnable = (type: string, message: string): JobError => ({ type, message, retryable: false });

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
