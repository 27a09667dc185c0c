import { BatonError, PayloadTooLarge } from '../errors.js';
import { announceFinished } from '../events.js';
import { type Execution, executeOperation } from '../execute-operation.js';
import { appendHistory, historyEntry, type JobHistoryEntry, type JobHistoryEvent } from '../history.js';
import type { Job, JobError, JobLease, JobProgress, JobStatus, Json } from '../job.js';
import { type AbortCause, type AnyOperation, OperationAborted } from '../operation.js';
import type { IdGenerator, JobDispatcher, JobEvents, JobStore, Scheduler } from '../ports.js';
import type { Registry } from '../registry.js';
import { transition } from '../transition.js';
import { backoffDelayMs, RETRY_BACKOFF, WRITE_BACKOFF } from './backoff.js';
import { dispatchOrFail } from './dispatch-or-fail.js';

export interface JobRunDeps {
  readonly registry: Registry;
  readonly store: JobStore;
  readonly dispatcher: JobDispatcher;
  readonly clock: Scheduler;
  readonly ids: IdGenerator;
  /** Where a job's end is announced; none, no announcements. */
  readonly events?: JobEvents;
}

export type RunJobOutcome =
  /** A duplicate or stale delivery: the job is not there, already finished, or someone else holds it. */
  | { readonly outcome: 'skipped'; readonly reason: 'not-found' | 'not-claimable' }
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

export interface JobRunSettings {
  /** The hop a requeued job is dispatched to; past maxHops the job fails instead. */
  readonly nextHop: number;
  readonly maxHops: number;
  readonly handoffMarginMs: number;
  readonly progressIntervalMs: number;
  readonly cancelPollMs: number;
  readonly abortGraceMs: number;
  readonly leaseTtlMs: number;
  readonly leaseSlackMs: number;
  /** Ask the operation to hand over at the end of the invocation even if it does not checkpoint (a sync run). */
  readonly handoffAtDeadline: boolean;
  /** Retry retryable errors (in place after a backoff, or on the next hop); false fails at the first error. */
  readonly retries: boolean;
  /** The source of backoff jitter. */
  readonly random: () => number;
  /** Who runs it, for the job's history (`<function>/<invocation>`); default the lease holder. */
  readonly by?: string;
}

export interface JobRunLimits {
  /** When the job's whole time budget ends (epoch ms). */
  readonly budgetEndsAt: number;
  /** When this invocation (or the door's budget) ends (epoch ms). */
  readonly invocationEndsAt: number;
}

/** A lease from `at`, never past the invocation or the budget by more than the slack. */
export function leaseFrom(
  holder: string,
  at: number,
  settings: JobRunSettings,
  limits: JobRunLimits,
): JobLease {
  const limit = Math.min(limits.invocationEndsAt, limits.budgetEndsAt) + settings.leaseSlackMs;
  return { holder, expiresAt: new Date(Math.min(at + settings.leaseTtlMs, limit)).toISOString() };
}

export const timeBudgetError = (operation: AnyOperation): JobError => ({
  type: 'TimeBudgetExceeded',
  message: `The job ran longer than its time budget of ${operation.policy.timeBudgetMs} ms.`,
  retryable: false,
});

/**
 * One claimed run of a job: owns its lease (renewed while it runs), its coalesced progress and checkpoint
 * writes, cancel polling, in-place retries with backoff, and the writes that end it — finish, fail, or
 * requeue and dispatch. The async worker (runJob) and the recorded sync run (serveRequest) both use it, so the
 * two behave the same on cancel, on a result too large to store, and on a store error at the end.
 */
export class JobRun {
  private job: Job;
  private pendingProgress: JobProgress | undefined;
  private pendingCheckpoint: { value: Json } | undefined;
  private lastWriteAt: number;
  private cancelFlush: (() => void) | undefined;
  private writes: Promise<void> = Promise.resolve();
  private controller = new AbortController();
  /** Why this run must stop, once something said so (a cancel, a lost lease); outlives any one attempt. */
  private stopCause: AbortCause | undefined;

  constructor(
    private readonly deps: JobRunDeps,
    private readonly settings: JobRunSettings,
    claimed: Job,
    private readonly holder: string,
    private readonly limits: JobRunLimits,
  ) {
    this.job = claimed;
    this.lastWriteAt = deps.clock.now();
  }

  get current(): Job {
    return this.job;
  }

  async execute(operation: AnyOperation): Promise<RunJobOutcome> {
    const stopKeepAlive = this.keepAlive();
    try {
      for (;;) {
        if (this.stopCause) return this.afterAbort(this.stopCause, operation);
        const execution = await this.attempt(operation);
        await this.settleWrites();
        if (execution.kind === 'returned') {
          const message = (this.pendingProgress ?? this.job.progress)?.message;
          return this.finish('succeeded', {
            result: execution.output,
            progress: { fraction: 1, ...(message !== undefined && { message }) },
            checkpoint: null,
            error: null,
          });
        }
        if (execution.kind === 'aborted') return this.afterAbort(execution.cause, operation);
        const { error } = execution;
        if (!this.settings.retries || !error.retryable || this.job.attempts >= operation.policy.maxAttempts)
          return this.fail(error);
        const delayMs = backoffDelayMs(this.job.attempts, this.settings.random, RETRY_BACKOFF);
        const timeLeft =
          Math.min(this.limits.invocationEndsAt, this.limits.budgetEndsAt) -
          this.deps.clock.now() -
          this.settings.handoffMarginMs;
        // Not enough of this invocation left to wait and try again: the next hop retries.
        if (delayMs >= timeLeft) return this.requeue('retry', { attempts: this.job.attempts + 1, error });
        const retrying = await this.recordRetry(error);
        if (!retrying) return { outcome: 'lease-lost', jobId: this.job.id };
        await this.deps.clock.sleep(delayMs);
      }
    } finally {
      stopKeepAlive();
      this.cancelFlush?.();
    }
  }

  fail(error: JobError): Promise<RunJobOutcome> {
    return this.finish('failed', { error });
  }

  /**
   * The final write: folds in any progress or checkpoint not yet written, and releases the lease. A result
   * (or checkpoint) the store cannot hold fails the job with the reason; a store error is retried, then thrown.
   */
  async finish(
    status: 'succeeded' | 'failed' | 'cancelled',
    changes: { result?: Json; error?: JobError | null; progress?: JobProgress; checkpoint?: Json | null },
  ): Promise<RunJobOutcome> {
    const final = {
      ...this.unwritten(),
      ...changes,
      lease: null,
      finishedAt: new Date(this.deps.clock.now()).toISOString(),
      history: this.historyWith(
        this.entry('finished', status, {
          ...(status === 'failed' && changes.error && { error: changes.error }),
        }),
      ),
    };
    let finished: Job | undefined;
    try {
      finished = await this.mustLand(() =>
        transition(this.deps.store, this.job, status, final, { leaseHolder: this.holder }),
      );
    } catch (error) {
      if (!(error instanceof PayloadTooLarge) || status === 'failed') throw error;
      return this.fail({ type: 'PayloadTooLarge', message: error.message, retryable: false });
    }
    if (!finished) return { outcome: 'lease-lost', jobId: this.job.id };
    // Only the write that won announces the end: a duplicate delivery's refused claim never gets here.
    await announceFinished(this.deps.events, finished);
    return { outcome: status, job: finished };
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

  /** One execution of the operation, with the abort timers of this invocation and this budget. */
  private async attempt(operation: AnyOperation): Promise<Execution> {
    const { clock } = this.deps;
    this.controller = new AbortController();
    const cancels: (() => void)[] = [];
    const abortAt = (at: number, cause: AbortCause) =>
      cancels.push(clock.schedule(() => this.abort(cause), at - clock.now()));
    abortAt(this.limits.budgetEndsAt, 'time-budget');
    if (operation.policy.checkpoints || this.settings.handoffAtDeadline)
      abortAt(this.limits.invocationEndsAt - this.settings.handoffMarginMs, 'handoff');
    try {
      return await executeOperation(operation, this.job.input, {
        resumeFrom: this.pendingCheckpoint?.value ?? this.job.checkpoint,
        attempt: this.job.attempts,
        jobId: this.job.id,
        remainingTimeMs: () =>
          Math.max(0, Math.min(this.limits.invocationEndsAt, this.limits.budgetEndsAt) - clock.now()),
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
        schedule: (callback, ms) => clock.schedule(callback, ms),
      });
    } finally {
      for (const cancel of cancels) cancel();
    }
  }

  /** A retry in this same invocation: the next attempt is counted and the error kept until it succeeds. */
  private async recordRetry(error: JobError): Promise<boolean> {
    const now = this.deps.clock.now();
    this.lastWriteAt = now;
    const stored = await this.deps.store.update(
      this.job.id,
      { status: 'running', leaseHolder: this.holder },
      {
        ...this.unwritten(),
        attempts: this.job.attempts + 1,
        error,
        lease: leaseFrom(this.holder, now, this.settings, this.limits),
        history: this.historyWith(this.entry('retry', 'running', { attempt: this.job.attempts + 1, error })),
      },
    );
    if (!stored) return false;
    this.observe(stored);
    return true;
  }

  /** Back to queued and on to the next hop; past maxHops the job fails instead of looping on. */
  private async requeue(
    reason: 'continuation' | 'retry',
    changes: { attempts?: number; error?: JobError },
  ): Promise<RunJobOutcome> {
    const { nextHop, maxHops } = this.settings;
    if (nextHop > maxHops) {
      return this.fail({
        type: 'MaxHopsExceeded',
        message: `The job needed more than ${maxHops} invocations.`,
        retryable: false,
      });
    }
    const requeueChanges = {
      ...this.unwritten(),
      ...changes,
      lease: null,
      history: this.historyWith(
        reason === 'continuation'
          ? this.entry('handed-off', 'queued', { note: `to hop ${nextHop}` })
          : this.entry('retry', 'queued', {
              ...(changes.attempts !== undefined && { attempt: changes.attempts }),
              ...(changes.error && { error: changes.error }),
              note: `on hop ${nextHop}`,
            }),
      ),
    };
    let requeued: Job | undefined;
    try {
      requeued = await this.mustLand(() =>
        transition(this.deps.store, this.job, 'queued', requeueChanges, { leaseHolder: this.holder }),
      );
    } catch (error) {
      if (!(error instanceof PayloadTooLarge)) throw error;
      return this.fail({ type: 'PayloadTooLarge', message: error.message, retryable: false });
    }
    if (!requeued) return { outcome: 'lease-lost', jobId: this.job.id };
    const dispatch = await dispatchOrFail(this.deps, requeued, nextHop);
    if (!dispatch.dispatched)
      return dispatch.job
        ? { outcome: 'failed', job: dispatch.job }
        : { outcome: 'lease-lost', jobId: requeued.id };
    return { outcome: 'requeued', reason, job: requeued, nextHop };
  }

  /** A write that ends the run: retried with backoff on a store error; a domain error is final at once. */
  private async mustLand<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (error instanceof BatonError || attempt >= WRITE_BACKOFF.tries) throw error;
        await this.deps.clock.sleep(backoffDelayMs(attempt, this.settings.random, WRITE_BACKOFF));
      }
    }
  }

  private abort(cause: AbortCause): void {
    if (!this.controller.signal.aborted) this.controller.abort(new OperationAborted(cause));
  }

  private stop(cause: AbortCause): void {
    this.stopCause ??= cause;
    this.abort(cause);
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

  private get by(): string {
    return this.settings.by ?? this.holder;
  }

  private entry(
    event: JobHistoryEvent,
    status: JobStatus,
    extra: Omit<Parameters<typeof historyEntry>[3] & object, 'by' | 'hop'> = {},
  ): JobHistoryEntry {
    return historyEntry(this.deps.clock.now(), event, status, {
      hop: this.job.hop,
      attempt: this.job.attempts,
      by: this.by,
      ...extra,
    });
  }

  /**
   * The history as read, with the entries of this write appended. The claim appended its entry without an
   * attempt (the store's one-write claim may not know it); the first write after it fills the attempt in.
   */
  private historyWith(...entries: JobHistoryEntry[]): JobHistoryEntry[] {
    const history = [...(this.job.history ?? [])];
    const last = history.findLastIndex((entry) => entry.event === 'claimed');
    const claimed = history[last];
    if (claimed && claimed.attempt === undefined && claimed.by === this.by)
      history[last] = { ...claimed, attempt: this.job.attempts };
    return appendHistory(history, ...entries);
  }

  /**
   * What a progress write adds to the history: the hop's first checkpoint only (coalesced progress writes must
   * not fill it), or the claim's attempt; undefined if nothing changes.
   */
  private flushHistory(checkpointed: boolean): JobHistoryEntry[] | undefined {
    const history = this.job.history ?? [];
    const hasCheckpoint = history.some(
      (entry) => entry.event === 'checkpoint' && entry.hop === this.job.hop && entry.by === this.by,
    );
    if (checkpointed && !hasCheckpoint) return this.historyWith(this.entry('checkpoint', 'running'));
    const claimed = history.findLast((entry) => entry.event === 'claimed');
    return claimed && claimed.attempt === undefined && claimed.by === this.by
      ? this.historyWith()
      : undefined;
  }

  /** Lease renewal and cancel polling, for as long as the run lasts (retries and their backoff included). */
  private keepAlive(): () => void {
    const cancelRenewal = this.every(this.settings.leaseTtlMs / 3, () => {
      this.writes = this.writes.then(() => this.renewLease());
    });
    const cancelPoll = this.every(this.settings.cancelPollMs, () => void this.pollForCancel());
    return () => {
      cancelRenewal();
      cancelPoll();
    };
  }

  private every(intervalMs: number, callback: () => void): () => void {
    let cancel = () => {};
    const next = () => {
      cancel = this.deps.clock.schedule(() => {
        callback();
        next();
      }, intervalMs);
    };
    next();
    return () => cancel();
  }

  /** At most one progress/checkpoint write per interval; the claim counts as a write. */
  private scheduleFlush(): void {
    if (this.cancelFlush) return;
    const wait = Math.max(0, this.lastWriteAt + this.settings.progressIntervalMs - this.deps.clock.now());
    this.cancelFlush = this.deps.clock.schedule(() => {
      this.cancelFlush = undefined;
      this.writes = this.writes.then(() => this.flush());
    }, wait);
  }

  private async flush(): Promise<void> {
    const changes = this.unwritten();
    if (changes.progress === undefined && changes.checkpoint === undefined) return;
    this.lastWriteAt = this.deps.clock.now();
    const history = this.flushHistory(changes.checkpoint !== undefined);
    const stored = await this.deps.store
      // Every progress write renews the lease too: it costs nothing more.
      .update(
        this.job.id,
        { status: 'running', leaseHolder: this.holder },
        {
          ...changes,
          lease: leaseFrom(this.holder, this.lastWriteAt, this.settings, this.limits),
          ...(history && { history }),
        },
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
    if (this.stopCause) return;
    const now = this.deps.clock.now();
    if (now - this.lastWriteAt < this.settings.leaseTtlMs / 3) return;
    this.lastWriteAt = now;
    const stored = await this.deps.store
      .update(
        this.job.id,
        { status: 'running', leaseHolder: this.holder },
        { lease: leaseFrom(this.holder, now, this.settings, this.limits) },
      )
      .catch(() => this.job);
    this.observe(stored);
  }

  private async pollForCancel(): Promise<void> {
    if (this.stopCause) return;
    const stored = await this.deps.store.get(this.job.id).catch(() => this.job);
    this.observe(stored);
  }

  private observe(stored: Job | undefined): void {
    if (stored?.status !== 'running' || stored.lease?.holder !== this.holder) {
      this.stop('lease-lost');
      return;
    }
    this.job = stored;
    if (stored.cancelRequested) this.stop('cancelled');
  }

  /** Waits for the writes in flight; anything still pending goes into the final write. */
  private async settleWrites(): Promise<void> {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    await this.writes;
  }
}
