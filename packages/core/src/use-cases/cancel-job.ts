import { Conflict } from '../errors.js';
import { assertTransition, type Job } from '../job.js';
import type { Clock, JobStore } from '../ports.js';
import { transition } from '../transition.js';
import { getJob } from './get-job.js';

export interface CancelJobDeps {
  readonly store: JobStore;
  readonly clock: Clock;
}

/** A store write can lose a race with the runner; each retry re-reads, and a runner moves at most twice. */
const MAX_RACES = 5;

/**
 * Cancels one of the caller's jobs. A queued job ends cancelled at once. A running job gets
 * cancelRequested; its runner aborts the operation's signal and ends it cancelled when the operation stops.
 * Cancelling a cancelled job returns it unchanged; cancelling a succeeded or failed job is an
 * IllegalTransition.
 */
export async function cancelJob(
  deps: CancelJobDeps,
  request: { owner: string; jobId: string },
): Promise<Job> {
  for (let race = 0; race < MAX_RACES; race++) {
    const job = await getJob(deps, request);
    let updated: Job | undefined;
    switch (job.status) {
      case 'cancelled':
        return job;
      case 'queued':
        updated = await transition(deps.store, job, 'cancelled', {
          finishedAt: new Date(deps.clock.now()).toISOString(),
          cancelRequested: true,
          lease: null,
        });
        break;
      case 'running':
        if (job.cancelRequested) return job;
        updated = await deps.store.update(job.id, { status: 'running' }, { cancelRequested: true });
        break;
      default:
        // succeeded or failed: the status machine refuses it, with a typed error.
        assertTransition(job.status, 'cancelled', job.id);
        return job;
    }
    if (updated) return updated;
  }
  throw new Conflict(
    `Job ${request.jobId} kept changing while being cancelled; try again.`,
    'concurrent-update',
  );
}
