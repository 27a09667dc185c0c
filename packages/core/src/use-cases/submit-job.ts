import { canonicalJson } from '../canonical-json.js';
import { Conflict, DispatchFailed, Unauthenticated, ValidationError } from '../errors.js';
import type { Job, JobProgress, Json } from '../job.js';
import type { Clock, IdGenerator, JobDispatcher, JobStore } from '../ports.js';
import type { Registry } from '../registry.js';
import { transition } from '../transition.js';

export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export interface SubmitJobDeps {
  readonly registry: Registry;
  readonly store: JobStore;
  readonly dispatcher: JobDispatcher;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** How long a job is kept after it is created. */
  readonly retentionMs?: number;
}

export interface SubmitJobRequest {
  readonly owner: string;
  readonly operation: string;
  readonly input: unknown;
  /** The client's idempotency key: the same owner and key return the same job. */
  readonly clientRequestId?: string;
  readonly correlationId?: string;
  /** Where a handed-over inline run left off: the job resumes from here instead of from scratch. */
  readonly checkpoint?: Json;
  readonly progress?: JobProgress;
}

export interface SubmitJobResult {
  readonly job: Job;
  /** False when an earlier submit with the same clientRequestId is returned instead. */
  readonly created: boolean;
}

/**
 * Validates and stores a new queued job, then hands it to the async runner. With a clientRequestId the
 * submit is idempotent per owner: the same key and input return the existing job; the same key with a
 * different operation or input is a Conflict. A job that cannot be dispatched is marked failed and the
 * caller told (DispatchFailed) — no job is left queued with nobody coming.
 */
export async function submitJob(deps: SubmitJobDeps, request: SubmitJobRequest): Promise<SubmitJobResult> {
  if (!request.owner) throw new Unauthenticated();
  if (request.clientRequestId !== undefined && !CLIENT_REQUEST_ID.test(request.clientRequestId)) {
    throw new ValidationError('Invalid clientRequestId.', [
      {
        path: ['meta', 'clientRequestId'],
        message: 'Must be 1 to 128 printable ASCII characters without spaces.',
        code: 'invalid_format',
      },
    ]);
  }
  const { operation, input } = deps.registry.parseInput(request.operation, request.input);

  const now = new Date(deps.clock.now());
  const job: Job = {
    id: deps.ids.jobId(),
    operation: operation.name,
    operationVersion: operation.version,
    input,
    owner: request.owner,
    status: 'queued',
    attempts: 0,
    cancelRequested: false,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + (deps.retentionMs ?? DEFAULT_RETENTION_MS)).toISOString(),
    ...(request.clientRequestId !== undefined && { clientRequestId: request.clientRequestId }),
    ...(request.correlationId !== undefined && { correlationId: request.correlationId }),
    ...(request.checkpoint !== undefined && { checkpoint: request.checkpoint }),
    ...(request.progress !== undefined && { progress: request.progress }),
  };

  const stored = await deps.store.create(job);
  if (!stored.created) {
    const existing = stored.job;
    if (existing.operation !== job.operation || canonicalJson(existing.input) !== canonicalJson(job.input)) {
      throw new Conflict(
        `clientRequestId '${request.clientRequestId}' was already used for a different request.`,
        'idempotency-key-reused',
      );
    }
    // A queued job nobody has claimed may have lost its dispatch to a crash between the two steps:
    // dispatch again. A duplicate delivery is a no-op for the runner, so this is always safe.
    if (existing.status === 'queued' && existing.attempts === 0) await dispatchOrFail(deps, existing);
    return { job: existing, created: false };
  }
  await dispatchOrFail(deps, stored.job);
  return stored;
}

async function dispatchOrFail(deps: SubmitJobDeps, job: Job): Promise<void> {
  try {
    await deps.dispatcher.dispatch({
      jobId: job.id,
      hop: 0,
      ...(job.correlationId !== undefined && { correlationId: job.correlationId }),
    });
  } catch (cause) {
    await failUndispatchedJob(deps, job);
    throw new DispatchFailed(job.id, { cause });
  }
}

/**
 * The status machine has no queued → failed: a job fails while running. So the submitter, whose hand-over
 * was the attempt that failed, claims the job and fails it — two writes, on this rare path only. If anyone
 * else claimed it meanwhile (a dispatch that reported failure but got through), they own it and we stop.
 */
async function failUndispatchedJob(deps: SubmitJobDeps, job: Job): Promise<void> {
  const at = new Date(deps.clock.now()).toISOString();
  const holder = deps.ids.leaseHolder();
  const claimed = await transition(
    deps.store,
    job,
    'running',
    { lease: { holder, expiresAt: at }, startedAt: at },
    { leaseHolder: null },
  );
  if (!claimed) return;
  await transition(
    deps.store,
    claimed,
    'failed',
    {
      lease: null,
      finishedAt: at,
      error: {
        type: 'DispatchFailed',
        message: 'The job could not be handed to the async runner.',
        retryable: true,
      },
    },
    { leaseHolder: holder },
  );
}
