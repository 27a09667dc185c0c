import { NotFound, Unauthenticated } from '../errors.js';
import type { Job } from '../job.js';
import { isPlausibleJobId, MAX_JOB_ID_LENGTH } from '../limits.js';
import type { JobStore } from '../ports.js';

export interface GetJobDeps {
  readonly store: JobStore;
}

/** One of the caller's jobs. Another owner's job is NotFound — never Forbidden — so ids cannot be probed. */
/**
 * `history: true` asks for the job's history too (the last 50 entries); without it the job comes back without
 * one, so that a view built from it stays as it was.
 */
export async function getJob(
  deps: GetJobDeps,
  request: { owner: string; jobId: string; history?: boolean },
): Promise<Job> {
  if (!request.owner) throw new Unauthenticated();
  const job = isPlausibleJobId(request.jobId) ? await deps.store.get(request.jobId) : undefined;
  if (!job || job.owner !== request.owner) {
    const shown =
      request.jobId.length > MAX_JOB_ID_LENGTH
        ? `${request.jobId.slice(0, MAX_JOB_ID_LENGTH)}…`
        : request.jobId;
    throw new NotFound('job', shown);
  }
  if (request.history) return { ...job, history: (job.history ?? []).slice(-50) };
  const { history: _history, ...withoutHistory } = job;
  return withoutHistory;
}
