import { assertTransition, type Job, type JobChanges, type JobExpectation, type JobStatus } from './job.js';
import type { JobStore } from './ports.js';

/**
 * Moves a job the use case has read to a new status: refused with IllegalTransition unless the status
 * machine allows it, and conditioned on the status it was read in (plus `expected`), so that a concurrent
 * change makes this one a no-op (`undefined`) instead of overwriting it.
 */
export function transition(
  store: JobStore,
  job: Job,
  to: JobStatus,
  changes: Omit<JobChanges, 'status'>,
  expected: Omit<JobExpectation, 'status'> = {},
): Promise<Job | undefined> {
  assertTransition(job.status, to, job.id);
  return store.update(job.id, { ...expected, status: job.status }, { ...changes, status: to });
}
