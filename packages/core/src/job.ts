import { IllegalTransition } from './errors.js';
import type { JobHistoryEntry } from './history.js';

/** JSON as stored: what an input, result or checkpoint may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

/**
 * The status machine, as data. `running → queued` is a continuation (the job checkpointed and passes
 * the baton to its next invocation) or a retry; `queued → cancelled` is a cancel before anyone claimed it.
 * Terminal states have no way out but one: `failed → queued`, taken only by `requeueFailedDelivery` when an
 * operator replays the event of a job that failed because Lambda gave up delivering it (its operation never
 * failed), docs/decisions/0015-replaying-failed-deliveries.md.
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ['running', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled', 'queued'],
  succeeded: [],
  failed: ['queued'],
  cancelled: [],
};

export const canTransition = (from: JobStatus, to: JobStatus): boolean =>
  ALLOWED_TRANSITIONS[from].includes(to);

/** Throws IllegalTransition unless the status machine allows `from → to`. */
export function assertTransition(from: JobStatus, to: JobStatus, jobId?: string): void {
  if (!canTransition(from, to)) throw new IllegalTransition(from, to, jobId);
}

export interface JobProgress {
  /** 0..1 */
  readonly fraction: number;
  readonly message?: string;
}

/** Why a job failed, in a form a client can act on: `retryable` says whether submitting again may help. */
export interface JobError {
  readonly type: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** Who is running the job and until when. A lease past its expiry means its holder is presumed dead. */
export interface JobLease {
  readonly holder: string;
  /** ISO-8601 */
  readonly expiresAt: string;
}

export interface Job {
  /** Unguessable: at least 96 random bits. Knowing an id grants nothing without being its owner. */
  readonly id: string;
  readonly operation: string;
  readonly operationVersion: number;
  readonly input: Json;
  /** The caller identity that submitted the job (an IAM ARN or an authorizer principal). */
  readonly owner: string;
  readonly status: JobStatus;
  /** The number of the attempt that is running, or ran last; 0 before the first claim. */
  readonly attempts: number;
  /**
   * The self-invocation (hop) that claimed the job last; absent before the first claim. The reconciler and
   * the failed-event handler read it to keep a recovered job within maxHops and to ignore stale events. A job
   * the failed-event handler failed holds the hop of the event Lambda gave up on, which a replay must match.
   */
  readonly hop?: number;
  /**
   * How many times the reconciler re-dispatched or requeued this job since its last claim (bounds its retries of
   * a lost job); on a job the failed-event handler failed, one more: the mark a replay's requeue is conditioned on.
   */
  readonly reconciled?: number;
  readonly progress?: JobProgress;
  /** Opaque JSON the operation saved to resume from; survives continuation and retries. */
  readonly checkpoint?: Json;
  readonly result?: Json;
  readonly error?: JobError;
  /** ISO-8601 timestamps. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly lease?: JobLease;
  readonly cancelRequested: boolean;
  readonly clientRequestId?: string;
  /** Carried into every log line and every self-invocation of this job. */
  readonly correlationId?: string;
  /** After this instant the job is gone (retention); stores treat it as absent even before deleting it. */
  readonly expiresAt: string;
  /**
   * Its transitions, oldest first: the last 50 (older dropped), bounded in bytes (src/history.ts). Each entry is
   * written by the write that made the transition, never by a write of its own. Absent on jobs stored before it.
   */
  readonly history?: readonly JobHistoryEntry[];
}

/** The fields a conditional update may change. `null` removes an optional field. */
export interface JobChanges {
  readonly status?: JobStatus;
  readonly attempts?: number;
  readonly hop?: number | null;
  readonly reconciled?: number | null;
  readonly progress?: JobProgress | null;
  readonly checkpoint?: Json | null;
  readonly result?: Json | null;
  readonly error?: JobError | null;
  readonly startedAt?: string;
  readonly finishedAt?: string | null;
  readonly lease?: JobLease | null;
  readonly cancelRequested?: boolean;
  /** The whole history after this write (the writer appends to the history it read; see appendHistory). */
  readonly history?: readonly JobHistoryEntry[];
}

/**
 * What the stored job must look like for an update to apply; every given field must match (AND).
 * This is compare-and-swap on observed state: a claim of an expired lease names the lease it saw, so of
 * two racing claimants exactly one wins.
 */
export interface JobExpectation {
  /** The stored status is one of these. */
  readonly status?: JobStatus | readonly JobStatus[];
  /** The stored lease holder equals this; `null` means the job has no lease. */
  readonly leaseHolder?: string | null;
  /** The stored lease expires exactly at this instant (used with leaseHolder to take over an expired lease). */
  readonly leaseExpiresAt?: string;
  /**
   * The stored `reconciled` count equals this (an absent count is 0): a version number of the reconciler's
   * own actions, so that of two reconcilers acting on the same stale job exactly one wins.
   */
  readonly reconciled?: number;
}

/** Does a stored job meet an expectation? The reference semantics every JobStore adapter must reproduce. */
export function meetsExpectation(job: Job, expected: JobExpectation): boolean {
  if (expected.status !== undefined) {
    const allowed = typeof expected.status === 'string' ? [expected.status] : expected.status;
    if (!allowed.includes(job.status)) return false;
  }
  if (expected.leaseHolder !== undefined) {
    if (expected.leaseHolder === null ? job.lease !== undefined : job.lease?.holder !== expected.leaseHolder)
      return false;
  }
  if (expected.leaseExpiresAt !== undefined && job.lease?.expiresAt !== expected.leaseExpiresAt) return false;
  if (expected.reconciled !== undefined && (job.reconciled ?? 0) !== expected.reconciled) return false;
  return true;
}

/** Applies changes to a job: the reference semantics of JobStore.update (null removes a field). */
export function applyChanges(job: Job, changes: JobChanges, updatedAt: string): Job {
  const next: Record<string, unknown> = { ...job, updatedAt };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next as unknown as Job;
}

export const isLeaseExpired = (job: Job, nowMs: number): boolean =>
  job.lease === undefined || Date.parse(job.lease.expiresAt) <= nowMs;

export const isExpired = (job: Job, nowMs: number): boolean => Date.parse(job.expiresAt) <= nowMs;

/** Queued or running: a job the reconciler may still have to look after. */
export const isUnfinished = (job: Pick<Job, 'status'>): boolean => !isTerminal(job.status);

/** The job as a client sees it: no lease internals, no checkpoint (which is the operation's private state). */
export interface JobView {
  readonly id: string;
  readonly operation: string;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly progress?: JobProgress;
  readonly result?: Json;
  readonly error?: JobError;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly cancelRequested: boolean;
  readonly clientRequestId?: string;
  /** The request's correlation id, which every log line and hop of the job carries (decision 0019). */
  readonly correlationId?: string;
  readonly expiresAt: string;
  /** Only when asked for (`GET /jobs/{id}?history=1`, getJob with `history: true`). */
  readonly history?: readonly JobHistoryEntry[];
}

export function toJobView(job: Job): JobView {
  const {
    input: _input,
    owner: _owner,
    checkpoint: _checkpoint,
    lease: _lease,
    history: _history,
    ...rest
  } = job;
  const { operationVersion: _v, hop: _h, reconciled: _r, ...view } = rest;
  return view;
}

/** The client's view of a job with its history (the last 50 entries) when asked for, as toJobView without. */
export function jobViewOf(job: Job, options: { readonly history?: boolean | undefined } = {}): JobView {
  const view = toJobView(job);
  return options.history ? { ...view, history: (job.history ?? []).slice(-50) } : view;
}
