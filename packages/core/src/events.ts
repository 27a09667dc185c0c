import type { Job, JobError, JobStatus } from './job.js';
import type { JobEvents } from './ports.js';

/** What a `Baton Job Finished` event says about a job (its EventBridge `detail`). */
export interface JobFinishedDetail {
  readonly jobId: string;
  readonly operation: string;
  readonly owner: string;
  readonly status: JobStatus;
  /** From the job's creation to its end. */
  readonly durationMs: number;
  /** The invocations that ran it: the last claiming hop plus one, 0 if none ever claimed it. */
  readonly hops: number;
  readonly attempts: number;
  readonly correlationId?: string;
  readonly error?: Pick<JobError, 'type' | 'message' | 'retryable'>;
}

export const JOB_FINISHED_SOURCE = 'baton';
export const JOB_FINISHED_DETAIL_TYPE = 'Baton Job Finished';

export function jobFinishedDetail(job: Job): JobFinishedDetail {
  const end = Date.parse(job.finishedAt ?? job.updatedAt);
  return {
    jobId: job.id,
    operation: job.operation,
    owner: job.owner,
    status: job.status,
    durationMs: Math.max(0, end - Date.parse(job.createdAt)),
    hops: job.hop === undefined ? 0 : job.hop + 1,
    attempts: job.attempts,
    ...(job.correlationId !== undefined && { correlationId: job.correlationId }),
    ...(job.error && {
      error: { type: job.error.type, message: job.error.message, retryable: job.error.retryable },
    }),
  };
}

/**
 * Announces a job that the caller's write just finished. Best effort: a rejection is swallowed here too, so a
 * misbehaving adapter can never fail a job (or a request) that has already ended.
 */
export async function announceFinished(events: JobEvents | undefined, job: Job | undefined): Promise<void> {
  if (!events || !job) return;
  try {
    await events.finished(job);
  } catch {
    // the adapter logs; the job has ended either way
  }
}
