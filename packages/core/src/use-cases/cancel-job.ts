import { Conflict } from '../errors.js';
import { announceFinished } from '../events.js';
import { appendHistory, historyEntry } from '../history.js';
import { assertTransition, type Job } from '../job.js';
import type { Clock, JobEvents, JobStore } from '../ports.js';
import { transition } from '../transition.js';
import { getJob } from './get-job.js';

export interface CancelJobDeps {
  readonly store: JobStore;
  readonly clock: Clock;
  readonly events?: JobEvents;
  /** Who serves these requests (the function's name), for the job's history. */
  readonly actor?: string;
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
    // With its history: the write below appends to it.
    const job = await getJob(deps, { ...request, history: true });
    let updated: Job | undefined;
    const at = deps.clock.now();
    const by = { by: deps.actor, hop: job.hop, attempt: job.attempts || undefined };
    switch (job.status) {
      case 'cancelled':
        return job;
      case 'queued':
        updated = await transition(deps.store, job, 'cancelled', {
          finishedAt: new Date(at).toISOString(),
          cancelRequested: true,
          lease: null,
          history: appendHistory(
            job.history,
            historyEntry(at, 'finished', 'cancelled', { ...by, note: 'cancelled while queued' }),
          ),
        });
        // This write won the job's end (a cancel racing it lost, or found it cancelled): announce it once.
        await announceFinished(deps.events, updated);
        break;
      case 'running':
        if (job.cancelRequested) return job;
        // The runner's later writes carry the history it last read; one that has not yet seen this request may
        // drop its entry (the job still ends cancelled, and its finished entry says so).
        updated = await deps.store.update(
          job.id,
          { status: 'running' },
          {
            cancelRequested: true,
            history: appendHistory(job.history, historyEntry(at, 'cancel-requested', 'running', by)),
          },
        );
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
