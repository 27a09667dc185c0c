import { canonicalJson } from '../canonical-json.js';
import { Conflict, DispatchFailed } from '../errors.js';
import { newJob, takeIn } from '../intake.js';
import type { Job, JobProgress, Json } from '../job.js';
import type { IdGenerator, JobDispatcher, JobEvents, JobStore, Scheduler } from '../ports.js';
import type { Registry } from '../registry.js';
import { dispatchOrFail } from '../runner/dispatch-or-fail.js';

export interface SubmitJobDeps {
  readonly registry: Registry;
  readonly store: JobStore;
  readonly dispatcher: JobDispatcher;
  readonly clock: Scheduler;
  readonly ids: IdGenerator;
  /** How long a job is kept after it is created. */
  readonly retentionMs?: number;
  /** Where a job's end is announced; none, no announcements. */
  readonly events?: JobEvents;
  /** Who serves these requests (the function's name), for the history of the jobs it creates. */
  readonly actor?: string;
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
  /** A note for the job's first history entry. */
  readonly note?: string;
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
  const parsed = takeIn(deps.registry, request);
  const stored = await deps.store.create(
    newJob(deps, request.owner, parsed, { ...request, ...(deps.actor !== undefined && { by: deps.actor }) }),
  );
  if (!stored.created) {
    const existing = stored.job;
    assertSameRequest(existing, parsed.operation.name, parsed.input, request.clientRequestId);
    // A queued job nobody has claimed may have lost its dispatch to a crash between the two steps:
    // dispatch again. A duplicate delivery is a no-op for the runner, so this is always safe.
    if (existing.status === 'queued' && existing.attempts === 0) await dispatchOrThrow(deps, existing);
    return { job: existing, created: false };
  }
  await dispatchOrThrow(deps, stored.job);
  return stored;
}

/** Dispatches a queued job to its first hop; if it cannot be, the job is failed and the caller told. */
export async function dispatchOrThrow(deps: SubmitJobDeps, job: Job, hop = 0): Promise<void> {
  const result = await dispatchOrFail(deps, job, hop);
  if (!result.dispatched) throw new DispatchFailed(job.id, { cause: result.cause });
}

/** The same idempotency key must name the same request. */
export function assertSameRequest(
  existing: Job,
  operation: string,
  input: Json,
  clientRequestId?: string,
): void {
  if (existing.operation !== operation || canonicalJson(existing.input) !== canonicalJson(input)) {
    throw new Conflict(
      `clientRequestId '${clientRequestId}' was already used for a different request.`,
      'idempotency-key-reused',
    );
  }
}
