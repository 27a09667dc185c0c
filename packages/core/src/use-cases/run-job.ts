import { setTimeout as sleep } from 'node:timers/promises';
import { PayloadTooLarge } from '../errors.js';
import { executeOperation } from '../execute-operation.js';
import {
  isExpired,
  isLeaseExpired,
  type Job,
  type JobError,
  type JobLease,
  type JobProgress,
  type Json,
} from '../job.js';
import { type AbortCause, type AnyOperation, OperationAborted } from '../operation.js';
import type { Clock, IdGenerator, JobDispatcher, JobStore } from '../ports.js';
import { DEFAULT_LEASE_TTL_MS, DEFAULT_MAX_HOPS } from '../limits.js';
import type { Registry } from '../registry.js';
import { transition } from '../transition.js';


export interface RunJobDeps {
  readonly registry: Registry;
  readonly store: JobStore;
  readonly dispatcher: JobDispatcher;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

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
} satisfies Omit<RunJobOptions, 'remainingTimeMs'>;

export type RunJobOutcome =
  /** A duplicate or stale delivery: the job is not there, already finished, or someone else holds it. */
  | { readonly outcome: 'skipped'; readonly reason: 'not-found' | 'not-claimable' | 'claim-lost' }
  | { readonly outcome: 'succeeded' | 'failed' | 'cancelled'; readonly job: Job }
  /** Back in the queue and dispatched to hop `nextHop`: to continue from a checkpoint, or to retry. */
  | {
      readonly outcome: 'requeued';
      readonly reason: 'continuation' | 'retry';
      readonly job: Job;
      readonly nextHop: number;
    }
  /** Someone else took the job over (our lease expired): nothing of this run was recorded at the end. */
  | { readonly outcome: 'lease-lost'; readonly jobId: string };

/**
 * Runs one delivery of a job. Claims it by a conditional write — a queued job, or a running one whose
 * lease expired (its runner died) — so a duplicate delivery is a no-op. Runs the operation with progress,
 * checkpoints, an abort signal and the time left; records the result or error; requeues and re-dispatches
 * on a retryable error below maxAttempts, or when a checkpointing operation runs out of invocation time.
 */
export async function runJob(
  deps: RunJobDeps,
  jobId: string,
  options: RunJobOptions = {},
): Promise<RunJobOutcome> {
  const settings = { ...DEFAULTS, ...stripUndefined(options) };
  const found = await deps.store.get(jobId);
  if (!found) return { outcome: 'skipped', reason: 'not-found' };
  const job = await waitForLapsingLease(deps, found, settings.leaseWaitMs, options.remainingTimeMs);
  if (!job) return { outcome: 'skipped', reason: 'not-found' };

  const now = deps.clock.now();
  const claimable = job.status === 'queued' || (job.status === 'running' && isLeaseExpired(job, now));
  if (!claimable || isExpired(job, now)) return { outcome: 'skipped', reason: 'not-claimable' };

  const operation = lookUp(deps.registry, job);
  const budgetEndsAt =
    Date.parse(job.startedAt ?? new Date(now).toISOString()) + (operation?.policy.timeBudgetMs ?? 0);
  const invocationEndsAt = now + (options.remainingTimeMs?.() ?? Math.max(0, budgetEndsAt - now));
  const holder = deps.ids.leaseHolder();
  const leaseLimit = Math.min(invocationEndsAt, budgetEndsAt) + settings.leaseSlackMs;
  const leaseFrom = (at: number) => ({
    holder,
    expiresAt: new Date(Math.min(at + settings.leaseTtlMs, leaseLimit)).toISOString(),
  });
  const lease = leaseFrom(now);
  const takingOver = job.status === 'running';
  const claimed = takingOver
    ? await deps.store.update(
        job.id,
        // Compare-and-swap on the expired lease we saw: of two racing claimants exactly one wins.
        { status: 'running', leaseHolder: job.lease?.holder ?? null, leaseExpiresAt: job.lease?.expiresAt },
        // The previous runner died mid-attempt: this is a new attempt.
        { lease, attempts: job.attempts + 1 },
      )
    : await transition(
        deps.store,
        job,
        'running',
        {
          lease,
          attempts: Math.max(1, job.attempts),
          ...(!job.startedAt && { startedAt: new Date(now).toISOString() }),
        },
        { leaseHolder: null },
      );
  if (!claimed) return { outcome: 'skipped', reason: 'claim-lost' };

  const run = new JobRun(deps, settings, claimed, holder, leaseFrom);
  // Jobs that cannot run at all are failed here, after the claim: queued → failed is not a transition.
  if (!operation)
    return run.fail(unrunnable('UnknownOperation', `Operation '${job.operation}' is not registered.`));
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
  if (claimed.attempts > operation.policy.maxAttempts) {
    return run.fail({
      type: 'AttemptsExhausted',
      message: `The job's runner stopped without finishing ${operation.policy.maxAttempts} time(s).`,
      retryable: false,
    });
  }
  return run.execute(operation, {
    budgetEndsAt,
    invocationEndsAt,
  });
}

/**
 * If the job is running under a lease that lapses soon — and before this invocation must end — waits for
 * it and reads the job again. A crashed runner's lease then lapses and this delivery can take over; a live
 * runner renews its lease meanwhile and this delivery skips.
 */
async function waitForLapsingLease(
  deps: RunJobDeps,
  job: Job,
  leaseWaitMs: number,
  remainingTimeMs: (() => number) | undefined,
): Promise<Job | undefined> {
  if (job.status !== 'running' || !job.lease || leaseWaitMs <= 0) return job;
  const waitMs = Date.parse(job.lease.expiresAt) - deps.clock.now() + 1;
  if (waitMs <= 0 || waitMs > leaseWaitMs || waitMs >= (remainingTimeMs?.() ?? Number.POSITIVE_INFINITY))
    return job;
  await sleep(waitMs);
  return deps.store.get(job.id);
}

function lookUp(registry: Registry, job: Job): AnyOperation | undefined {
  try {
    return registry.get(job.operation);
  } catch {
    return undefined;
  }
}

const unrunnable = (type: string, message: string): JobError => ({ type, message, retryable: false });
const timeBudgetError = (operation: AnyOperation): JobError => ({
  type: 'TimeBudgetExceeded',
  message: `The job ran longer than its time budget of ${operation.policy.timeBudgetMs} ms.`,
  retryable: false,
});

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type Settings = typeof DEFAULTS;

/** One claimed run of a job: owns its lease, its coalesced writes and its timers. */
class JobRun {
  private job: Job;
  private pendingProgress: JobProgress | undefined;
  private pendingCheckpoint: { value: Json } | undefined;
  private lastWriteAt: number;
  private flushTimer: NodeJS.Timeout | undefined;
  private writes: Promise<void> = Promise.resolve();
  private readonly controller = new AbortController();

  constructor(
    private readonly deps: RunJobDeps,
    private readonly settings: Settings,
    claimed: Job,
    private readonly holder: string,
    private readonly leaseFrom: (at: number) => JobLease,
  ) {
    this.job = claimed;
    this.lastWriteAt = deps.clock.now();
  }

  async execute(
    operation: AnyOperation,
    limits: { budgetEndsAt: number; invocationEndsAt: number },
  ): Promise<RunJobOutcome> {
    const { clock } = this.deps;
    const timers: NodeJS.Timeout[] = [];
    const abortAt = (at: number, cause: AbortCause) =>
      timers.push(setTimeout(() => this.abort(cause), Math.max(0, at - clock.now())));
    abortAt(limits.budgetEndsAt, 'time-budget');
    if (operation.policy.checkpoints)
      abortAt(limits.invocationEndsAt - this.settings.handoffMarginMs, 'handoff');
    const poll = setInterval(() => void this.pollForCancel(), this.settings.cancelPollMs);
    const renewal = setInterval(() => {
      this.writes = this.writes.then(() => this.renewLease());
    }, this.settings.leaseTtlMs / 3);

    try {
      const execution = await executeOperation(operation, this.job.input, {
        resumeFrom: this.job.checkpoint,
        attempt: this.job.attempts,
        jobId: this.job.id,
        remainingTimeMs: () =>
          Math.max(0, Math.min(limits.invocationEndsAt, limits.budgetEndsAt) - clock.now()),
        onProgress: (fraction, message) => {
          this.pendingProgress = { fraction, ...(message !== undefined && { message }) };
          this.scheduleFlush();
        },
        onCheckpoint: (value) => {
          this.pendingCheckpoint = { value };
          this.scheduleFlush();
        },
        controller: this.controller,
        graceMs: this.settings.abortGraceMs,
      });
      for (const timer of timers) clearTimeout(timer);
      clearInterval(poll);
      clearInterval(renewal);
      await this.settleWrites();

      switch (execution.kind) {
        case 'returned': {
          const message = (this.pendingProgress ?? this.job.progress)?.message;
          return this.finish('succeeded', {
            result: execution.output,
            progress: { fraction: 1, ...(message !== undefined && { message }) },
            checkpoint: null,
            error: null,
          });
        }
        case 'aborted':
          return this.afterAbort(execution.cause, operation);
        default: // 'threw'
          return execution.error.retryable && this.job.attempts < operation.policy.maxAttempts
            ? this.requeue('retry', { attempts: this.job.attempts + 1, error: execution.error })
            : this.fail(execution.error);
      }
    } finally {
      for (const timer of timers) clearTimeout(timer);
      clearInterval(poll);
      clearInterval(renewal);
      clearTimeout(this.flushTimer);
    }
  }

  private afterAbort(cause: AbortCause, operation: AnyOperation): Promise<RunJobOutcome> | RunJobOutcome {
    switch (cause) {
      case 'cancelled':
        return this.finish('cancelled', {});
      case 'handoff':
        return this.requeue('continuation', {});
      case 'time-budget':
        return this.fail(timeBudgetError(operation));
      case 'lease-lost':
        return { outcome: 'lease-lost', jobId: this.job.id };
      case 'deadline':
        return this.fail({ type: 'Aborted', message: 'The operation was aborted.', retryable: true });
    }
  }

  fail(error: JobError): Promise<RunJobOutcome> {
    return this.finish('failed', { error });
  }

  /** The final write: folds in any progress or checkpoint not yet written, and releases the lease. */
  async finish(
    status: 'succeeded' | 'failed' | 'cancelled',
    changes: { result?: Json; error?: JobError | null; progress?: JobProgress; checkpoint?: Json | null },
  ): Promise<RunJobOutcome> {
    let finished: Job | undefined;
    try {
      finished = await transition(
        this.deps.store,
        this.job,
        status,
        {
          ...this.unwritten(),
          ...changes,
          lease: null,
          finishedAt: new Date(this.deps.clock.now()).toISOString(),
        },
        { leaseHolder: this.holder },
      );
    } catch (error) {
      // A result (or checkpoint) the store cannot hold fails the job, with a reason; the store wrote nothing.
      if (!(error instanceof PayloadTooLarge) || status === 'failed') throw error;
      return this.fail({ type: 'PayloadTooLarge', message: error.message, retryable: false });
    }
    if (!finished) return { outcome: 'lease-lost', jobId: this.job.id };
    return { outcome: status, job: finished };
  }

  /** Back to queued and on to the next hop; past maxHops the job fails instead of looping on. */
  private async requeue(
    reason: 'continuation' | 'retry',
    changes: { attempts?: number; error?: JobError },
  ): Promise<RunJobOutcome> {
    const nextHop = this.settings.hop + 1;
    if (nextHop > this.settings.maxHops) {
      return this.fail({
        type: 'MaxHopsExceeded',
        message: `The job needed more than ${this.settings.maxHops} invocations.`,
        retryable: false,
      });
    }
    let requeued: Job | undefined;
    try {
      requeued = await transition(
        this.deps.store,
        this.job,
        'queued',
        { ...this.unwritten(), ...changes, lease: null },
        { leaseHolder: this.holder },
      );
    } catch (error) {
      if (!(error instanceof PayloadTooLarge)) throw error;
      return this.fail({ type: 'PayloadTooLarge', message: error.message, retryable: false });
    }
    if (!requeued) return { outcome: 'lease-lost', jobId: this.job.id };
    try {
      await this.deps.dispatcher.dispatch({
        jobId: requeued.id,
        hop: nextHop,
        ...(requeued.correlationId !== undefined && { correlationId: requeued.correlationId }),
      });
    } catch (cause) {
      return this.failUndispatched(requeued, cause);
    }
    return { outcome: 'requeued', reason, job: requeued, nextHop };
  }

  /** The next hop could not be dispatched: reclaim the job we just queued and fail it, so nothing waits forever. */
  private async failUndispatched(requeued: Job, cause: unknown): Promise<RunJobOutcome> {
    const now = new Date(this.deps.clock.now()).toISOString();
    const reclaimed = await transition(
      this.deps.store,
      requeued,
      'running',
      { lease: { holder: this.holder, expiresAt: now } },
      { leaseHolder: null },
    );
    if (!reclaimed) return { outcome: 'lease-lost', jobId: requeued.id };
    this.job = reclaimed;
    return this.fail({
      type: 'DispatchFailed',
      message: `The next invocation could not be dispatched: ${cause instanceof Error ? cause.message : String(cause)}`,
      retryable: true,
    });
  }

  private abort(cause: AbortCause): void {
    if (!this.controller.signal.aborted) this.controller.abort(new OperationAborted(cause));
  }

  private unwritten(): { progress?: JobProgress; checkpoint?: Json } {
    const changes = {
      ...(this.pendingProgress && { progress: this.pendingProgress }),
      ...(this.pendingCheckpoint && { checkpoint: this.pendingCheckpoint.value }),
    };
    this.pendingProgress = undefined;
    this.pendingCheckpoint = undefined;
    return changes;
  }

  /** At most one progress/checkpoint write per interval; the claim counts as a write. */
  private scheduleFlush(): void {
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastWriteAt + this.settings.progressIntervalMs - this.deps.clock.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.writes = this.writes.then(() => this.flush());
    }, wait);
  }

  private async flush(): Promise<void> {
    const changes = this.unwritten();
    if (changes.progress === undefined && changes.checkpoint === undefined) return;
    this.lastWriteAt = this.deps.clock.now();
    const stored = await this.deps.store
      // Every progress write renews the lease too: it costs nothing more.
      .update(
        this.job.id,
        { status: 'running', leaseHolder: this.holder },
        { ...changes, lease: this.leaseFrom(this.lastWriteAt) },
      )
      .catch(() => {
        // A failed progress write is not fatal: put the changes back for the next write or the final one.
        this.pendingProgress ??= changes.progress;
        if (changes.checkpoint !== undefined) this.pendingCheckpoint ??= { value: changes.checkpoint };
        return this.job;
      });
    this.observe(stored);
  }

  /** Keeps the lease alive for a long run; skipped when a progress write renewed it recently. */
  private async renewLease(): Promise<void> {
    if (this.controller.signal.aborted) return;
    const now = this.deps.clock.now();
    if (now - this.lastWriteAt < this.settings.leaseTtlMs / 3) return;
    this.lastWriteAt = now;
    const stored = await this.deps.store
      .update(this.job.id, { status: 'running', leaseHolder: this.holder }, { lease: this.leaseFrom(now) })
      .catch(() => this.job);
    this.observe(stored);
  }

  private async pollForCancel(): Promise<void> {
    if (this.controller.signal.aborted) return;
    const stored = await this.deps.store.get(this.job.id).catch(() => this.job);
    this.observe(stored);
  }

  private observe(stored: Job | undefined): void {
    if (stored?.status !== 'running' || stored.lease?.holder !== this.holder) {
      this.abort('lease-lost');
      return;
    }
    this.job = stored;
    if (stored.cancelRequested) this.abort('cancelled');
  }

  /** Waits for the writes in flight; anything still pending goes into the final write. */
  private async settleWrites(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.writes;
  }
}
