import { Unauthenticated } from '../errors.js';
import { newJob, takeIn } from '../intake.js';
import { isLeaseExpired, isTerminal, type Job, type JobError, type Json } from '../job.js';
import { DEFAULT_LEASE_TTL_MS } from '../limits.js';
import { JobRun, type JobRunSettings, leaseFrom } from '../runner/job-run.js';
import { runInline } from './run-inline.js';
import { assertSameRequest, type SubmitJobDeps, submitJob } from './submit-job.js';

export type ServeRequestDeps = SubmitJobDeps;

/** One call of an operation through any door, after the door has translated its event. */
export interface OperationRequest {
  readonly owner: string;
  readonly operation: string;
  readonly input: unknown;
  /** The client asked for a job rather than an answer. */
  readonly async?: boolean;
  readonly clientRequestId?: string;
  readonly correlationId?: string;
  /**
   * How long the caller can wait for an answer: the door's budget (a margin under API Gateway's 29 s, the
   * function's remaining time) or less if the client asked (`Prefer: wait=N`).
   */
  readonly budgetMs: number;
  /** How often a request that joins a run already under way re-reads it. */
  readonly pollMs?: number;
  /** How often a recorded run re-reads its job to notice a cancel. Default 1 s: a caller is waiting. */
  readonly cancelPollMs?: number;
}

export type ServeOutcome =
  | { readonly kind: 'completed'; readonly output: Json; readonly job?: Job }
  | { readonly kind: 'failed'; readonly error: JobError; readonly job?: Job }
  /**
   * The answer is a job to poll: the client asked for async, the work outgrew the budget and was handed to
   * the worker, or the request joined a run already under way that did not finish within its budget.
   */
  | {
      readonly kind: 'accepted';
      readonly job: Job;
      readonly reason: 'async' | 'handoff' | 'in-progress';
      readonly created: boolean;
    };

/** How long an operation asked to hand over gets to save its checkpoint and return, at most. */
const MAX_HANDOFF_GRACE_MS = 1_000;

/**
 * The one behaviour every door shares. Async requests become jobs. Sync requests run inline under the door's
 * budget; work still running when the budget ends is not killed but handed over — checkpointed where the
 * operation can — to the async worker, and the caller gets the job. A fast sync request without a
 * clientRequestId writes nothing. With one, the run is recorded as it starts (one conditional write) and run
 * as a job is (lease, cancel, a guarded last write), so a retried request joins the run under way — waiting
 * for it within its own budget, or answering with its job — instead of running the work twice.
 */
export async function serveRequest(deps: ServeRequestDeps, request: OperationRequest): Promise<ServeOutcome> {
  if (!request.owner) throw new Unauthenticated();
  if (request.async) {
    const { job, created } = await submitJob(deps, request);
    return { kind: 'accepted', job, reason: 'async', created };
  }
  // Awaited here: an async function that returns a promise settles two microtask turns later.
  if (request.clientRequestId === undefined) return await serveUnrecorded(deps, request);
  return await serveRecorded(deps, { ...request, clientRequestId: request.clientRequestId });
}

async function serveUnrecorded(deps: ServeRequestDeps, request: OperationRequest): Promise<ServeOutcome> {
  const validated = takeIn(deps.registry, request);
  const outcome = await runInline(deps, request, { deadlineMs: request.budgetMs, validated });
  if (outcome.kind !== 'handoff') return outcome;
  const { job } = await submitJob(deps, {
    owner: request.owner,
    operation: outcome.operation,
    input: outcome.input,
    ...(request.correlationId !== undefined && { correlationId: request.correlationId }),
    ...(outcome.checkpoint !== undefined && { checkpoint: outcome.checkpoint }),
    ...(outcome.progress !== undefined && { progress: outcome.progress }),
    note: 'handed over by a sync request',
  });
  return { kind: 'accepted', job, reason: 'handoff', created: true };
}

async function serveRecorded(
  deps: ServeRequestDeps,
  request: OperationRequest & { clientRequestId: string },
): Promise<ServeOutcome> {
  const parsed = takeIn(deps.registry, request);
  const { operation } = parsed;
  const startedAt = deps.clock.now();
  const graceMs = Math.min(MAX_HANDOFF_GRACE_MS, Math.max(0, request.budgetMs / 10));
  const settings: JobRunSettings = {
    // A hand-over goes to the worker's first hop.
    nextHop: 0,
    maxHops: 0,
    handoffMarginMs: graceMs,
    progressIntervalMs: 1_000,
    cancelPollMs: request.cancelPollMs ?? 1_000,
    abortGraceMs: graceMs,
    leaseTtlMs: DEFAULT_LEASE_TTL_MS,
    leaseSlackMs: 2_000,
    handoffAtDeadline: true,
    // The caller is waiting: a failure is answered, not retried behind its back.
    retries: false,
    random: Math.random,
  };
  const limits = {
    invocationEndsAt: startedAt + request.budgetMs,
    budgetEndsAt: startedAt + operation.policy.timeBudgetMs,
  };
  const holder = deps.ids.leaseHolder();
  // Born running, leased to this request: the one write that lets a retry find it.
  const stored = await deps.store.create(
    newJob(deps, request.owner, parsed, {
      clientRequestId: request.clientRequestId,
      ...(request.correlationId !== undefined && { correlationId: request.correlationId }),
      runningUnder: leaseFrom(holder, startedAt, settings, limits),
      by: deps.actor ?? holder,
    }),
  );
  if (!stored.created) {
    assertSameRequest(stored.job, operation.name, parsed.input, request.clientRequestId);
    return joinRun(deps, stored.job, startedAt + request.budgetMs, request.pollMs ?? 250);
  }

  const run = new JobRun(deps, { ...settings, by: deps.actor ?? holder }, stored.job, holder, limits);
  const outcome = await run.execute(operation);
  switch (outcome.outcome) {
    case 'succeeded':
      return { kind: 'completed', output: outcome.job.result ?? null, job: outcome.job };
    case 'failed':
      return {
        kind: 'failed',
        error: outcome.job.error ?? { type: 'Failed', message: 'The job failed.', retryable: false },
        job: outcome.job,
      };
    case 'cancelled':
      return {
        kind: 'failed',
        error: { type: 'Cancelled', message: 'The job was cancelled while it ran.', retryable: false },
        job: outcome.job,
      };
    case 'requeued':
      return { kind: 'accepted', job: outcome.job, reason: 'handoff', created: true };
    default: {
      // Someone else holds the job now (our lease lapsed): answer with it as it stands.
      const current = (await deps.store.get(stored.job.id)) ?? run.current;
      return { kind: 'accepted', job: current, reason: 'in-progress', created: true };
    }
  }
}

/**
 * A retried request found its run already recorded. Waits for it within this request's own budget; a run
 * whose request died (its lease lapsed with the job still running) is handed to the worker, which takes it
 * over.
 */
async function joinRun(
  deps: ServeRequestDeps,
  first: Job,
  deadline: number,
  pollMs: number,
): Promise<ServeOutcome> {
  let job: Job | undefined = first;
  let handedOver = false;
  while (job) {
    if (job.status === 'succeeded') return { kind: 'completed', output: job.result ?? null, job };
    if (job.status === 'failed' && job.error) return { kind: 'failed', error: job.error, job };
    if (isTerminal(job.status)) break;
    if (!handedOver && job.status === 'running' && isLeaseExpired(job, deps.clock.now())) {
      // The worker takes the dead run over. Should this hand-over be lost, the reconciler finds the job.
      await deps.dispatcher
        .dispatch({
          jobId: job.id,
          hop: 0,
          ...(job.correlationId !== undefined && { correlationId: job.correlationId }),
        })
        .catch(() => {});
      handedOver = true;
    }
    if (deps.clock.now() + pollMs > deadline) break;
    await deps.clock.sleep(pollMs);
    job = await deps.store.get(first.id);
  }
  return { kind: 'accepted', job: job ?? first, reason: 'in-progress', created: false };
}
