import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatonJobCancelledError,
  BatonJobFailedError,
  type JobHandle,
  type JobProgressUpdate,
  progressUpdate,
} from '@baton/client';

/**
 * How often a followed job is asked for. Steady, unlike the client's growing backoff (right for a program that
 * only wants the result): a person watching a bar expects it to move about twice a second.
 */
export const FOLLOW_INTERVAL_MS = 500;

export interface FollowOptions {
  readonly signal: AbortSignal;
  readonly onProgress: (update: JobProgressUpdate) => void;
  readonly intervalMs?: number;
  /** When the following started (elapsed is counted from it). */
  readonly startedAt?: number;
}

/**
 * Follows a job until it ends, reporting every poll (elapsed time moves even when the job does not): its result,
 * or the client's BatonJobFailedError / BatonJobCancelledError, as `handle.wait()` would.
 */
export async function follow(handle: JobHandle<unknown>, options: FollowOptions): Promise<unknown> {
  const startedAt = options.startedAt ?? Date.now();
  let firstSeen: { fraction: number; atMs: number } | undefined;
  for (;;) {
    options.signal.throwIfAborted();
    const job = await handle.get({ signal: options.signal });
    const update = progressUpdate(job, Date.now() - startedAt, firstSeen);
    if (firstSeen === undefined && update.fraction !== undefined && job.status !== 'succeeded') {
      firstSeen = { fraction: update.fraction, atMs: update.elapsedMs };
    }
    options.onProgress(update);
    if (job.status === 'succeeded') return job.result;
    if (job.status === 'failed') {
      throw new BatonJobFailedError(
        job,
        job.error ?? { type: 'Failed', message: 'The job failed.', retryable: false },
      );
    }
    if (job.status === 'cancelled') throw new BatonJobCancelledError(job);
    await sleep(options.intervalMs ?? FOLLOW_INTERVAL_MS, undefined, { signal: options.signal });
  }
}
