import { randomUUID } from 'node:crypto';
import {
  BatonJobAcceptedError,
  BatonJobCancelledError,
  BatonJobFailedError,
  BatonTransportError,
} from './errors.js';
import { createHttpTransport, unexpected } from './http-transport.js';
import { realSleep, retryPolicy } from './retry.js';
import type { ResolvedTarget } from './ssm-target.js';
import type { SubmitOutcome, Transport } from './transport.js';
import type {
  AnyRegistry,
  BatonClient,
  ClientOptions,
  JobHandle,
  JobProgressUpdate,
  JobView,
  ListJobsOptions,
  LooseRegistry,
  RunOptions,
  WaitOptions,
} from './types.js';

/** The first polling interval while waiting on a job, and how far the interval grows. */
export const DEFAULT_POLL_INTERVAL_MS = 250;
export const MAX_POLL_INTERVAL_MS = 5_000;
const POLL_GROWTH = 1.5;

/**
 * A client of one Baton service, through one door. `R` is the service's registry type (`typeof registry`):
 * with it, operation names, inputs and results are typed; without it, anything goes and results are `unknown`.
 */
export function createClient<R extends AnyRegistry = LooseRegistry>(options: ClientOptions): BatonClient<R> {
  const sleep = options.sleep ?? realSleep;
  const policy = retryPolicy(options.retry, sleep);
  let transport: Promise<Transport> | undefined;
  let destroyed = false;

  // The Lambda and SSM SDK clients are loaded only for a target that needs them: an HTTP caller (a CLI run,
  // another service's function) would otherwise pay for loading both on every cold start.
  const makeTransport = async (target: ResolvedTarget): Promise<Transport> => {
    if (!('invoke' in target)) return createHttpTransport(target.http, policy);
    const { createInvokeTransport } = await import('./invoke-transport.js');
    return createInvokeTransport(target.invoke, policy);
  };

  function getTransport(signal?: AbortSignal): Promise<Transport> {
    if (destroyed)
      return Promise.reject(new BatonTransportError('The client was destroyed.', { attempts: 0 }));
    if (transport) return transport;
    const { target } = options;
    if ('ssm' in target) {
      transport = import('./ssm-target.js')
        .then(({ resolveSsmTarget }) => resolveSsmTarget(target.ssm, signal))
        .then(makeTransport);
      // A failed look-up is not remembered: the next call tries again.
      transport.catch(() => {
        transport = undefined;
      });
    } else transport = makeTransport(target);
    return transport;
  }

  async function waitForJob(jobId: string, wait: WaitOptions = {}): Promise<unknown> {
    const { signal, onProgress } = wait;
    const startedAt = Date.now();
    let interval = wait.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    let lastReported: string | undefined;
    let firstSeen: { fraction: number; atMs: number } | undefined;
    const t = await getTransport(signal);
    for (;;) {
      signal?.throwIfAborted();
      const { job, retryAfterMs } = await t.getJob(jobId, signal);
      if (onProgress) {
        const update = progressUpdate(job, Date.now() - startedAt, firstSeen);
        firstSeen ??=
          update.fraction !== undefined ? { fraction: update.fraction, atMs: update.elapsedMs } : undefined;
        const key = `${update.status}|${update.fraction}|${update.message}`;
        if (key !== lastReported) {
          lastReported = key;
          onProgress(update);
        }
      }
      switch (job.status) {
        case 'succeeded':
          return job.result;
        case 'failed':
          throw new BatonJobFailedError(
            job,
            job.error ?? { type: 'Failed', message: 'The job failed.', retryable: false },
          );
        case 'cancelled':
          throw new BatonJobCancelledError(job);
      }
      // The service's Retry-After is the least it asks a poller to wait, unless the caller chose an interval.
      const delay =
        wait.pollIntervalMs === undefined && retryAfterMs !== undefined
          ? Math.max(interval, Math.min(retryAfterMs, MAX_POLL_INTERVAL_MS))
          : interval;
      await sleep(delay, signal);
      interval = Math.min(MAX_POLL_INTERVAL_MS, Math.max(interval, Math.round(interval * POLL_GROWTH)));
    }
  }

  function handle<O>(jobId: string, operation?: string): JobHandle<O> {
    return {
      id: jobId,
      ...(operation !== undefined && { operation }),
      async get(getOptions) {
        const t = await getTransport(getOptions?.signal);
        return (await t.getJob(jobId, getOptions?.signal)).job as JobView<O>;
      },
      wait: (waitOptions) => waitForJob(jobId, waitOptions) as Promise<O>,
      async cancel(cancelOptions) {
        const t = await getTransport(cancelOptions?.signal);
        return (await t.cancelJob(jobId, cancelOptions?.signal)) as JobView<O>;
      },
    };
  }

  async function run(operation: string, input: unknown, runOptions: RunOptions = {}): Promise<unknown> {
    const { signal } = runOptions;
    const mode = runOptions.mode ?? 'sync';
    const wait = runOptions.wait ?? mode !== 'async';
    const clientRequestId = runOptions.clientRequestId ?? randomUUID();
    const t = await getTransport(signal);
    let outcome: SubmitOutcome;
    try {
      outcome = await t.submit({ operation, input, async: mode === 'async', clientRequestId }, signal);
    } catch (error) {
      // The answer was lost (a timeout, a dropped connection) but the request may have arrived and the run be
      // under way. Asking for the job with the same clientRequestId gets that run's job, or starts it once.
      const answerLost = error instanceof BatonTransportError && error.status === undefined;
      if (mode === 'async' || !answerLost || signal?.aborted) throw error;
      outcome = await t.submit({ operation, input, async: true, clientRequestId }, signal);
    }
    if (outcome.kind === 'completed') {
      if (mode === 'async' && !wait) {
        // A door that answered an async request at once (Baton's never do): a handle works if it named the job.
        if (outcome.jobId === undefined)
          throw unexpected({ status: 'succeeded', note: 'an async run with no job' });
        return handle(outcome.jobId, operation);
      }
      return outcome.result;
    }
    const job = handle<unknown>(outcome.jobId, operation);
    if (!wait) {
      if (mode === 'async') return job;
      throw new BatonJobAcceptedError(job);
    }
    return waitForJob(outcome.jobId, {
      ...(signal && { signal }),
      ...(runOptions.onProgress && { onProgress: runOptions.onProgress }),
      ...(runOptions.pollIntervalMs !== undefined && { pollIntervalMs: runOptions.pollIntervalMs }),
    });
  }

  async function* listJobs(listOptions: ListJobsOptions = {}): AsyncGenerator<JobView, void, undefined> {
    const { signal, limit, status } = listOptions;
    const t = await getTransport(signal);
    let cursor: string | undefined;
    do {
      const page = await t.listJobs(
        { ...(limit !== undefined && { limit }), ...(cursor !== undefined && { cursor }) },
        signal,
      );
      for (const job of page.jobs) if (status === undefined || job.status === status) yield job;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }

  const client = {
    run,
    job: (operationOrId: string, jobId?: string) =>
      jobId === undefined ? handle(operationOrId) : handle(jobId, operationOrId),
    listJobs,
    async describeOperations(describeOptions?: { signal?: AbortSignal }) {
      const t = await getTransport(describeOptions?.signal);
      return t.describeOperations(describeOptions?.signal);
    },
    destroy() {
      destroyed = true;
      const current = transport;
      transport = undefined;
      current?.then(
        (t) => t.destroy(),
        () => {},
      );
    },
  };
  return client as unknown as BatonClient<R>;
}

/**
 * What a poll tells the caller. The ETA is the rate seen since the first fraction was observed, extended to 1:
 * a job that started before the client began waiting still gets an honest estimate.
 */
export function progressUpdate(
  job: JobView,
  elapsedMs: number,
  firstSeen: { fraction: number; atMs: number } | undefined,
  nowMs = Date.now(),
): JobProgressUpdate {
  const fraction = job.status === 'succeeded' ? 1 : job.progress?.fraction;
  let etaMs: number | undefined;
  if (job.status === 'succeeded') etaMs = 0;
  else if (fraction !== undefined && fraction > 0 && fraction < 1) {
    if (firstSeen && firstSeen.fraction < fraction) {
      const rate = (fraction - firstSeen.fraction) / Math.max(1, elapsedMs - firstSeen.atMs);
      etaMs = Math.round((1 - fraction) / rate);
    } else if (job.startedAt !== undefined) {
      // Nothing seen move yet: the rate since the job started (the service's clock against this one).
      const runningMs = nowMs - Date.parse(job.startedAt);
      if (runningMs > 0) etaMs = Math.round((runningMs * (1 - fraction)) / fraction);
    }
  }
  return {
    jobId: job.id,
    status: job.status,
    elapsedMs,
    ...(fraction !== undefined && { fraction }),
    ...(job.progress?.message !== undefined && { message: job.progress.message }),
    ...(etaMs !== undefined && { etaMs }),
  };
}
