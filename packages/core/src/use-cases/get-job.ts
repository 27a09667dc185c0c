import { NotFound, Unauthenticated } from '../errors.js';
import type { Job } from '../job.js';
import type { JobStore } from '../ports.js';

export interface GetJobDeps {
  readonly store: JobStore;
}

/** One of the caller's jobs. Another owner's job is NotFound — never Forbidden — so ids cannot be probed. */
export async function getJob(deps: GetJobDeps, request: { owner: string; jobId: string }): Promise<Job> {
  if (!request.owner) throw new Unauthenticated();
  const job = request.jobId ? await deps.store.get(request.jobId) : undefined;
  if (!job || job.owner !== request.owner) throw new NotFound('job', request.jobId);
  return job;
}
