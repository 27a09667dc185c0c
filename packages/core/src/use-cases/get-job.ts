import { NotFound, Unauthenticated } from '../errors.js';
import type { Job } from '../job.js';
import { isPlausibleJobId, MAX_JOB_ID_LENGTH } from '../limits.js';
import type { JobStore } from '../ports.js';

export interface GetJobDeps {
  readonly store: JobStore;
}

/** One of the caller's jobs. Another owner's job is NotFound — never Forbidden — so ids cannot be probed. */
export async function getJob(deps: GetJobDeps, request: { owner: string; jobId: string }): Promise<Job> {
  if (!request.owner) throw new Unauthenticated();
  const job = isPlausibleJobId(request.jobId) ? await deps.store.get(request.jobId) : undefined;
  if (!job || job.owner !== request.owner) {
    const shown =
      request.jobId.length > MAX_JOB_ID_LENGTH
        ? `${request.jobId.slice(0, MAX_JOB_ID_LENGTH)}…`
        : request.jobId;
    throw new NotFound('job', shown);
  }
  return job;
}
