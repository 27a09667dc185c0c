import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalJson } from '../canonical-json.js';
import { Conflict, Unauthenticated, ValidationError } from '../errors.js';
import { isLeaseExpired, isTerminal, type Job, type JobError, type Json } from '../job.js';
import { transition } from '../transition.js';
import { runInline } from './run-inline.js';
import { DEFAULT_RETENTION_MS, type SubmitJobDeps, submitJob } from './submit-job.js';

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

const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const LEASE_SLACK_MS = 2_000;

/**
 * The one behaviour every door shares. Async requests become jobs. Sync requests run inline under the door's
 * budget; work still running when the budget ends is not killed but handed over — checkpointed where the
 * operation can — to the async worker, and the caller gets the job. A fast sync request without a
 * clientRequestId writes nothing. With one, the run is recorded as it starts (one conditional write), so a
 * retried request joins the run under way — waiting for it within its own budget, or answering with its
 * job — instead of running the work twice.
 */
export async function serveRequest(deps: ServeRequestDeps, request: OperationRequest): Promise<ServeOutcome> {
  if (!request.owner) throw new Unauthenticated();
  if (request.async) {
    const { job, created } = await submitJob(deps, request);
    return { kind: 'accepted', job, reason: 'async', created };
  }
  if (request.clientRequestId === undefined) return serveUnrecorded(deps, request);
  return serveRecorded(deps, { ...request, clientRequestId: request.clientRequestId });
}

async function serveUnrecorded(deps: ServeRequestDeps, request: OperationRequest): Promise<ServeOutcome> {
  const outcome = await runInline(deps, request, { deadlineMs: request.budgetMs });
  if (outcome.kind !== 'handoff') return outcome;
  const { job } = await submitJob(deps, {
    owner: request.owner,
    operation: outcome.operation,
    input: outcome.input,
    ...(request.correlationId !== undefined && { correlationId: request.correlationId }),
    ...(outcome.checkpoint !== undefined && { checkpoint: outcome.checkpoint }),
    ...(outcome.progress !== undefined && { progress: outcome.progress }),
  });
  return { kind: 'accepted', job, reason: 'handoff', created: true };
}

async function serveRecorded(
  deps: ServeRequestDeps,
  request: OperationRequest & { clientRequestId: string },
): Promise<ServeOutcome> {
  if (!CLIENT_REQUEST_ID.test(request.clientRequestId)) {
    throw new ValidationError('Invalid clientRequestId.', [
      {
        path: ['meta', 'clientRequestId'],
        message: 'Must be 1 to 128 printable ASCII characters without spaces.',
        code: 'invalid_format',
      },
    ]);
  }
  const { operation, input } = deps.registry.parseInput(request.operation, request.input);
  const startedAt = deps.clock.now();
  const holder = deps.ids.leaseHolder();
  const at = new Date(startedAt).toISOString();
  // Born running, leased to this request for its budget: the one write that lets a retry find it.
  const stored = await deps.store.create({
    id: deps.ids.jobId(),
    operation: operation.name,
    operationVersion: operation.version,
    input,
    owner: request.owner,
    status: 'running',
    attempts: 1,
    cancelRequested: false,
    clientRequestId: request.clientRequestId,
    createdAt: at,
    updatedAt: at,
    startedAt: at,
    lease: { holder, expiresAt: new Date(startedAt + request.budgetMs + LEASE_SLACK_MS).toISOString() },
    expiresAt: new Date(startedAt + (deps.retentionMs ?? DEFAULT_RETENTION_MS)).toISOString(),
    ...(request.correlationId !== undefined && { correlationId: request.correlationId }),
  });
  if (!stored.created) {
    const existing = stored.job;
    if (existing.operation !== operation.name || canonicalJson(existing.input) !== canonicalJson(input)) {
      throw new Conflict(
        `clientRequestId '${request.clientRequestId}' was already used for a different request.`,
        'idempotency-key-reused',
      );
    }
    return joinRun(deps, existing, startedAt + request.budgetMs, request.pollMs ?? 250);
  }

  const job = stored.job;
  const outcome = await runInline(
    deps,
    { operation: operation.name, input },
    { deadlineMs: request.budgetMs },
  );
  const finishedAt = new Date(deps.clock.now()).toISOString();
  const mine = { leaseHolder: holder };
  switch (outcome.kind) {
    case 'completed': {
      const done = await transition(
        deps.store,
        job,
        'succeeded',
        { result: outcome.output, finishedAt, lease: null, progress: { fraction: 1 } },
        mine,
      );
      return { kind: 'completed', output: outcome.output, ...(done && { job: done }) };
    }
    case 'failed': {
      const done = await transition(
        deps.store,
        job,
        'failed',
        { error: outcome.error, finishedAt, lease: null },
        mine,
      );
      return { kind: 'failed', error: outcome.error, ...(done && { job: done }) };
    }
    default: {
      // Handoff: back to queued with where it got to, and on to the worker.
      const queued = await transition(
        deps.store,
        job,
        'queued',
        {
          lease: null,
          ...(outcome.checkpoint !== undefined && { checkpoint: outcome.checkpoint }),
          ...(outcome.progress !== undefined && { progress: outcome.progress }),
        },
        mine,
      );
      if (!queued) return { kind: 'accepted', job, reason: 'in-progress', created: true };
      await dispatchHandedOver(deps, queued);
      return { kind: 'accepted', job: queued, reason: 'handoff', created: true };
    }
  }
}

async function dispatchHandedOver(deps: ServeRequestDeps, job: Job): Promise<void> {
  await deps.dispatcher.dispatch({
    jobId: job.id,
    hop: 0,
    ...(job.correlationId !== undefined && { correlationId: job.correlationId }),
  });
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
      await dispatchHandedOver(deps, job);
      handedOver = true;
    }
    if (deps.clock.now() + pollMs > deadline) break;
    await sleep(pollMs);
    job = await deps.store.get(first.id);
  }
  return { kind: 'accepted', job: job ?? first, reason: 'in-progress', created: false };
}
