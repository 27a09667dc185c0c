import { BatonJobFailedError, BatonProblemError, isProblem, type ProblemDetails } from './errors.js';
import type { JobError, JobStatus, JobView, OperationDescription } from './types.js';

export interface SubmitRequest {
  readonly operation: string;
  readonly input: unknown;
  readonly async: boolean;
  readonly clientRequestId: string;
}

/** What a door answers to an operation request. A refusal or a failed run is thrown instead. */
export type SubmitOutcome =
  | { readonly kind: 'completed'; readonly result: unknown; readonly jobId?: string }
  | {
      readonly kind: 'accepted';
      readonly jobId: string;
      readonly status: JobStatus;
      readonly retryAfterMs?: number;
    };

export interface JobPage {
  readonly jobs: readonly JobView[];
  readonly nextCursor?: string;
}

/** One door, whatever its protocol: every method already retries what is safe to retry. */
export interface Transport {
  submit(request: SubmitRequest, signal?: AbortSignal): Promise<SubmitOutcome>;
  getJob(jobId: string, signal?: AbortSignal): Promise<{ job: JobView; retryAfterMs?: number }>;
  cancelJob(jobId: string, signal?: AbortSignal): Promise<JobView>;
  listJobs(page: { limit?: number; cursor?: string }, signal?: AbortSignal): Promise<JobPage>;
  describeOperations(signal?: AbortSignal): Promise<OperationDescription[]>;
  destroy(): void;
}

const OPERATION_FAILED = /\/operation-failed$/;

function isJobError(value: unknown): value is JobError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as JobError).type === 'string' &&
    typeof (value as JobError).message === 'string'
  );
}

/**
 * The error a problem stands for. A run that failed inside a synchronous request (`operation-failed`, with the
 * job's error and id) is the same outcome as a job that failed, so it is the same error.
 */
export function problemToError(problem: ProblemDetails, operation?: string): Error {
  if (OPERATION_FAILED.test(problem.type) && isJobError(problem.error)) {
    const jobId = typeof problem.jobId === 'string' ? problem.jobId : '';
    const job: JobView = {
      id: jobId,
      operation: operation ?? '',
      status: 'failed',
      error: problem.error,
      createdAt: '',
      updatedAt: '',
    };
    return new BatonJobFailedError(job, problem.error);
  }
  return new BatonProblemError(problem);
}

/** Reads a door's answer to an operation request (the same shape over HTTP and direct invoke). */
export function toSubmitOutcome(body: unknown, retryAfterMs?: number): SubmitOutcome | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const answer = body as { status?: unknown; result?: unknown; jobId?: unknown };
  if (answer.status === 'succeeded' && 'result' in answer) {
    return {
      kind: 'completed',
      result: answer.result,
      ...(typeof answer.jobId === 'string' && { jobId: answer.jobId }),
    };
  }
  if (typeof answer.jobId === 'string' && typeof answer.status === 'string') {
    return {
      kind: 'accepted',
      jobId: answer.jobId,
      status: answer.status as JobStatus,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  }
  return undefined;
}

export function asJobView(value: unknown): JobView {
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as JobView).id === 'string' &&
    typeof (value as JobView).status === 'string'
  )
    return value as JobView;
  throw new BatonProblemError({
    type: 'about:blank',
    title: 'Unexpected answer',
    status: 502,
    detail: `The service answered something that is not a job: ${JSON.stringify(value)?.slice(0, 200)}`,
  });
}

export { isProblem };
