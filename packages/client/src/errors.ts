import type { JobError, JobHandle, JobView } from './types.js';

/** Every error the client throws of its own: `instanceof BatonClientError` tells them from a caller's bug. */
export class BatonClientError extends Error {
  override readonly name: string = 'BatonClientError';
}

/** One item of a problem's `errors`: which field (a JSON Pointer into the request) and what is wrong. */
export interface ProblemFieldError {
  readonly pointer: string;
  readonly detail: string;
  readonly code: string;
  readonly [extension: string]: unknown;
}

/** An RFC 9457 problem as the service sent it (problem+json, or a direct invoke's problem payload). */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly errors?: readonly ProblemFieldError[];
  readonly [extension: string]: unknown;
}

/** The service refused the request (validation, unknown operation, not found, conflict …). */
export class BatonProblemError extends BatonClientError {
  override readonly name: string = 'BatonProblemError';
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string | undefined;
  readonly instance: string | undefined;
  readonly errors: readonly ProblemFieldError[];
  /** The whole problem, extensions included. */
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.problem = problem;
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.errors = problem.errors ?? [];
  }
}

/** The job (or the synchronous run) failed: `error` says why, and whether submitting again may help. */
export class BatonJobFailedError extends BatonClientError {
  override readonly name: string = 'BatonJobFailedError';
  readonly job: JobView;
  readonly error: JobError;

  constructor(job: JobView, error: JobError) {
    super(`Job ${job.id} (${job.operation}) failed: ${error.message}`);
    this.job = job;
    this.error = error;
  }
}

export class BatonJobCancelledError extends BatonClientError {
  override readonly name: string = 'BatonJobCancelledError';
  readonly job: JobView;

  constructor(job: JobView) {
    super(`Job ${job.id} (${job.operation}) was cancelled.`);
    this.job = job;
  }
}

/**
 * The service could not be reached or kept failing: a network error, a timeout, or 429/5xx still answered after
 * every retry. `status` is the last HTTP status, when there was one.
 */
export class BatonTransportError extends BatonClientError {
  override readonly name: string = 'BatonTransportError';
  readonly status: number | undefined;
  readonly attempts: number;

  constructor(message: string, options: { cause?: unknown; status?: number; attempts: number }) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.attempts = options.attempts;
  }
}

/** Does this value look like a problem object (what a direct invoke returns for an error)? */
export function isProblem(value: unknown): value is ProblemDetails {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.type === 'string' &&
    typeof candidate.title === 'string' &&
    typeof candidate.status === 'number'
  );
}

/**
 * The function behind a direct invoke crashed (Lambda set FunctionError: an unhandled error, a timeout, an
 * out-of-memory): not an answer of the service, so it has no problem object.
 */
export class BatonFunctionError extends BatonClientError {
  override readonly name: string = 'BatonFunctionError';
  readonly functionError: string;
  readonly errorType: string | undefined;
  readonly errorMessage: string | undefined;

  constructor(functionError: string, payload: unknown) {
    const body = (typeof payload === 'object' && payload !== null ? payload : {}) as {
      errorType?: unknown;
      errorMessage?: unknown;
    };
    const errorType = typeof body.errorType === 'string' ? body.errorType : undefined;
    const errorMessage = typeof body.errorMessage === 'string' ? body.errorMessage : undefined;
    super(
      `The function failed (${functionError}${errorType ? `, ${errorType}` : ''}): ${errorMessage ?? 'no message'}`,
    );
    this.functionError = functionError;
    this.errorType = errorType;
    this.errorMessage = errorMessage;
  }
}

/**
 * A synchronous run the door turned into a job (202), when the caller asked not to wait (`wait: false`): the
 * job goes on; `job` follows it.
 */
export class BatonJobAcceptedError extends BatonClientError {
  override readonly name: string = 'BatonJobAcceptedError';
  readonly job: JobHandle<unknown>;

  constructor(job: JobHandle<unknown>) {
    super(`The run was accepted as job ${job.id}; it goes on (wait: false).`);
    this.job = job;
  }
}
