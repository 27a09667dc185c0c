/**
 * Ports: the interfaces the core owns and adapters implement. The in-memory adapters in
 * `@baton/core/testing` are the reference implementations; `@baton/core/testing/conformance` holds the
 * suite every adapter of a port must pass unchanged.
 */
import type { JobHistoryEntry } from './history.js';
import type { Job, JobChanges, JobExpectation, JobLease } from './job.js';

export type CreateJobResult =
  | { readonly created: true; readonly job: Job }
  /** A job with the same owner and clientRequestId (or the same id) already exists; it is returned as stored. */
  | { readonly created: false; readonly job: Job };

export interface JobPage {
  readonly jobs: readonly Job[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly nextCursor?: string;
}

export interface ListJobsQuery {
  readonly limit: number;
  readonly cursor?: string;
}

/** What the reconciler asks for: unfinished jobs nobody has written to for a while. */
export interface StaleJobsQuery {
  /** ISO-8601: jobs whose updatedAt is at or before this instant. */
  readonly updatedBefore: string;
  /** At most this many jobs (the reconciler's bounded work per run). */
  readonly limit: number;
}

/** What a runner asks of `JobStore.claim`: its lease, the hop it runs as, and its clock's now (epoch ms). */
export interface JobClaim {
  readonly lease: JobLease;
  readonly hop: number;
  /** A running job's lease is over when its expiresAt is at or before this instant. */
  readonly now: number;
  /**
   * Appended to the job's history by the claim's own write (the claimer has not read the history). The store
   * does not bound it: the runner's next write does (so a stored history may briefly hold one entry more).
   */
  readonly entry?: JobHistoryEntry;
}

export type ClaimJobResult =
  | { readonly claimed: true; readonly job: Job }
  /** Not claimable: the job as stored (finished, leased by a live runner), or absent if there is none. */
  | { readonly claimed: false; readonly job?: Job };

/**
 * Where jobs live. Every write is a single-item conditional write: no transactions, so that the store can
 * be DynamoDB (or a DynamoDB-protocol server without transactions) and each write costs one unit.
 *
 * Contract (checked by the conformance suite):
 * - `create` is create-if-absent: by id, and — when the job has a clientRequestId — by (owner, clientRequestId).
 *   Two racing creates with one key yield one job. Callers use the job returned, whose id may differ from the
 *   one passed in (a store without transactions may complete an earlier, interrupted create under its id).
 * - `get` is strongly consistent; an expired job (expiresAt ≤ now) is absent, whether or not it was deleted.
 * - `update` applies `changes` only if the stored job meets `expected`, atomically, sets updatedAt, and
 *   returns the job as stored after the write; `undefined` if it is absent or the expectation failed.
 * - `claim` is one conditional write that returns the job it wrote: a queued job without a lease, or a running
 *   one whose lease is over (`expiresAt` ≤ `claim.now`: its runner died), becomes running under `claim.lease`
 *   with `hop` set, `startedAt` set if absent, the reconciler's count removed, and `attempts` at least 1 for a
 *   queued job (the attempt the queue holds) or one more for a takeover (a new attempt). Of racing claims
 *   exactly one wins. Otherwise nothing is written and the job is returned as stored (absent if it is not
 *   there or expired), so that the caller can tell "finished" from "leased by another" from "not found"
 *   without reading it first. No `get` before a claim: the claim is the read.
 * - `listByOwner` returns only that owner's unexpired jobs, newest first. A cursor is opaque and valid only
 *   for the owner it was issued to: any other cursor is a ValidationError, never another owner's page.
 *   Listing may lag writes slightly (a secondary index is eventually consistent); `get` never does.
 * - `findStale` returns unfinished (queued or running), unexpired jobs whose updatedAt is at or before
 *   `updatedBefore`, oldest first, at most `limit`, read consistently. It is served by an index of unfinished
 *   jobs only (never a scan of the table): a finished job leaves that index with the write that finishes it.
 *   The index may lag writes slightly, so a job written just now may still be returned; callers re-check.
 * - `null` in JobChanges removes a field, so a JSON `null` result is stored as no result.
 * - `history` in JobChanges replaces the stored history, which the job keeps like any other field; `claim`
 *   appends `claim.entry` to it in the same write.
 */
export interface JobStore {
  create(job: Job): Promise<CreateJobResult>;
  get(id: string): Promise<Job | undefined>;
  update(id: string, expected: JobExpectation, changes: JobChanges): Promise<Job | undefined>;
  claim(id: string, claim: JobClaim): Promise<ClaimJobResult>;
  listByOwner(owner: string, query: ListJobsQuery): Promise<JobPage>;
  findStale(query: StaleJobsQuery): Promise<readonly Job[]>;
}

/** What the async runner receives: a pointer to a stored job, never its input. */
export interface DispatchMessage {
  readonly jobId: string;
  /** How many self-invocations led here; 0 for the first. Bounded by maxHops. */
  readonly hop: number;
  readonly correlationId?: string;
}

/** Hands a job to whatever runs jobs asynchronously (a self-invocation, a worker function, a queue). */
export interface JobDispatcher {
  /** Resolves once the runner has accepted the message; rejects if it could not be handed over. */
  dispatch(message: DispatchMessage): Promise<void>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/**
 * Time, and waiting for it, from one source: every lease, budget, poll and backoff of the core waits through
 * this port, so a test runs them on a fake scheduler (`ManualClock` in `@baton/core/testing`) instead of real
 * sleeps, and passes the same on an idle machine and a busy one.
 */
export interface Scheduler extends Clock {
  /** Calls `callback` once, `ms` from now; the function returned cancels it. */
  schedule(callback: () => void, ms: number): () => void;
  /** Resolves `ms` from now. */
  sleep(ms: number): Promise<void>;
}

export interface IdGenerator {
  /** A new unguessable job id (at least 96 random bits). */
  jobId(): string;
  /** A new lease holder id: unique per run, so a stale runner cannot finish someone else's claim. */
  leaseHolder(): string;
}

/**
 * Where a job's end is announced (`Baton Job Finished` on EventBridge). Called once per job that reaches a
 * terminal status — succeeded, failed, cancelled — by the path whose conditional write won that transition, so a
 * duplicate delivery (whose write loses) never announces it again. Best effort: an adapter logs a failure and
 * resolves; the core also ignores a rejection, so an announcement never fails or delays a job's end.
 */
export interface JobEvents {
  finished(job: Job): Promise<void>;
}
