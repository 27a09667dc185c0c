import {
  BatonJobCancelledError,
  BatonJobFailedError,
  type JobHandle,
  type JobStatus,
  type JobView,
} from '@baton/client';
import { EXIT, Interrupted } from '../exit-codes.js';
import { FOLLOW_INTERVAL_MS, follow } from '../follow.js';
import { interruptible } from '../interrupt.js';
import type { CliIo } from '../io.js';
import { formatDuration, percent, progressView } from '../output.js';
import { type CommonFlags, followHints, note, printJson, type Session, table, withClient } from './shared.js';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
const isUnfinished = (status: JobStatus) => status === 'queued' || status === 'running';

/** `baton jobs list`: the caller's jobs, newest first, at most `limit`, optionally of one status. */
export async function listJobsCommand(
  flags: CommonFlags & { status?: JobStatus | undefined; limit: number },
  io: CliIo,
): Promise<number> {
  return withClient(flags, io, async (session) => {
    const jobs: JobView[] = [];
    const pages = session.client.listJobs({
      limit: Math.min(flags.limit, 100),
      ...(flags.status !== undefined && { status: flags.status }),
    });
    for await (const job of pages) {
      jobs.push(job);
      if (jobs.length >= flags.limit) break;
    }
    if (session.mode === 'json') printJson(io, jobs);
    else if (jobs.length === 0) io.stdout.write(flags.status ? `No ${flags.status} jobs.\n` : 'No jobs.\n');
    else io.stdout.write(`${jobsTable(jobs)}\n`);
    return EXIT.ok;
  });
}

/** The human table of `jobs list`. */
export function jobsTable(jobs: readonly JobView[], now = Date.now()): string {
  return table([
    ['ID', 'OPERATION', 'STATUS', 'PROGRESS', 'CREATED'],
    ...jobs.map((job) => [
      job.id,
      job.operation,
      job.status + (job.cancelRequested && isUnfinished(job.status) ? ' (cancelling)' : ''),
      job.progress === undefined
        ? '-'
        : `${percent(job.progress.fraction)}%${job.progress.message ? ` ${job.progress.message}` : ''}`,
      `${formatDuration(now - Date.parse(job.createdAt))} ago`,
    ]),
  ]);
}

/** `baton jobs get <id>`: the job as the service answers it (status, progress, result or error). */
export async function getJobCommand(id: string, flags: CommonFlags, io: CliIo): Promise<number> {
  return withClient(flags, io, async ({ client }) => {
    printJson(io, await client.job(id).get());
    return EXIT.ok;
  });
}

/** `baton jobs cancel <id>`: a queued job is cancelled at once, a running one when its operation next checks. */
export async function cancelJobCommand(id: string, flags: CommonFlags, io: CliIo): Promise<number> {
  return withClient(flags, io, async (session) => {
    const job = await session.client.job(id).cancel();
    printJson(io, job);
    if (isUnfinished(job.status)) {
      note(
        session,
        `Cancel requested: job ${id} stops when its operation next checks (baton jobs watch ${id}).`,
      );
    } else if (job.status !== 'cancelled') {
      note(session, `Job ${id} had already ended (${job.status}): nothing to cancel.`);
    }
    return EXIT.ok;
  });
}

/**
 * `baton jobs watch [id]`: follows one job, or every queued or running job of the caller, live until they end
 * (one bar per job at a terminal, lines otherwise, JSON lines with --json). Ctrl-C stops watching (exit 130);
 * the jobs go on. Ends with 0 when every job succeeded, else 4 if one failed, else 5 if one was cancelled.
 */
export async function watchJobsCommand(
  id: string | undefined,
  flags: CommonFlags,
  io: CliIo,
): Promise<number> {
  return withClient(flags, io, async (session) => {
    const { client } = session;
    let jobs: JobView[];
    if (id !== undefined) {
      jobs = [await client.job(id).get()];
    } else {
      jobs = [];
      for await (const job of client.listJobs({ limit: 100 })) if (isUnfinished(job.status)) jobs.push(job);
      if (jobs.length === 0) {
        note(session, 'No queued or running jobs to watch.');
        return EXIT.ok;
      }
      // Oldest first: the bars keep the order the jobs were started in.
      jobs.reverse();
    }
    return watch(session, jobs, id === undefined, flags);
  });
}

async function watch(
  session: Session,
  jobs: readonly JobView[],
  multi: boolean,
  flags: CommonFlags,
): Promise<number> {
  const { io, mode, client } = session;
  const progress = progressView({ mode, stderr: io.stderr, multi });
  const jsonLine = (value: unknown) => io.stdout.write(`${JSON.stringify(value)}\n`);
  const startedAt = Date.now();
  const interrupt = interruptible();
  const outcomes: JobView[] = [];
  const label = (job: JobView) => `${job.operation} ${job.id.slice(0, 8)}`;
  for (const job of jobs) progress.track(job.id, multi ? label(job) : job.operation);
  const followOne = async (job: JobView): Promise<void> => {
    const handle: JobHandle<unknown> = client.job(job.id);
    // The job as it was seen to end: asking again could find it moved on (a replay puts a failed job back in
    // the queue), and a watch reports the end it saw.
    let ended: JobView;
    try {
      await follow(handle, {
        signal: interrupt.signal,
        startedAt,
        intervalMs: multi ? FOLLOW_INTERVAL_MS * 2 : FOLLOW_INTERVAL_MS,
        onProgress: (update) => (mode === 'json' ? jsonLine(update) : progress.update(update)),
      });
      ended = await handle.get({ signal: interrupt.signal });
    } catch (error) {
      if (!(error instanceof BatonJobFailedError || error instanceof BatonJobCancelledError)) throw error;
      ended = error.job;
    }
    outcomes.push(ended);
    progress.finish(job.id, ended.status, Date.now() - startedAt);
    if (mode === 'json') jsonLine(ended);
  };
  try {
    const settled = await Promise.allSettled(jobs.map(followOne));
    progress.stop();
    if (interrupt.signal.aborted) {
      const left = jobs.filter((job) => !outcomes.some((o) => o.id === job.id));
      throw new Interrupted(
        left.length === 1 && left[0]
          ? `Stopped watching; job ${left[0].id} goes on.\n${followHints(left[0].id, flags)}`
          : `Stopped watching; ${left.length} job(s) go on (baton jobs list shows them).`,
      );
    }
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    interrupt.dispose();
    progress.stop();
  }
  if (mode !== 'json') {
    if (multi) io.stdout.write(`${table(outcomes.map((job) => [job.id, job.operation, job.status]))}\n`);
    else {
      const [job] = outcomes;
      if (job?.status === 'succeeded') printJson(io, job.result);
      else if (job)
        io.stderr.write(`Job ${job.id} ${job.status}${job.error ? `: ${job.error.message}` : ''}\n`);
    }
  }
  if (outcomes.some((job) => job.status === 'failed')) return EXIT.jobFailed;
  if (outcomes.some((job) => job.status === 'cancelled')) return EXIT.jobCancelled;
  return EXIT.ok;
}
