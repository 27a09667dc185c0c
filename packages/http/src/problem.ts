import {
  type BatonError,
  Conflict,
  type IssuePath,
  isBatonError,
  UnknownOperation,
  ValidationError,
} from '@baton/core';

/** RFC 9457 problem details, as every HTTP door answers an error (and direct invoke returns as its payload). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  /**
   * Each bad field and what is wrong with it: a JSON Pointer (RFC 6901) into the request body (`/input/name`),
   * or, for what is not in the body, `/headers/<lower-case name>` or `/path`.
   */
  readonly errors?: readonly { readonly pointer: string; readonly detail: string; readonly code: string }[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://baton.dev/problems/';

/** RFC 6901: `~` and `/` inside a segment are escaped as `~0` and `~1`. */
export const toJsonPointer = (path: IssuePath): string =>
  path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

interface ProblemKind {
  readonly slug: string;
  readonly title: string;
  readonly status: number;
}

/**
 * The one mapping of the domain's errors to HTTP. Idempotency keys follow the IETF Idempotency-Key draft:
 * a key reused with another payload is 422.
 */
function kindOf(error: BatonError): ProblemKind {
  switch (error.code) {
    case 'ValidationError':
      return { slug: 'validation-error', title: 'The request is not valid', status: 400 };
    case 'UnknownOperation':
      return { slug: 'unknown-operation', title: 'No such operation', status: 400 };
    case 'NotFound':
      return { slug: 'not-found', title: 'Not found', status: 404 };
    case 'Conflict':
      return error instanceof Conflict && error.reason === 'idempotency-key-reused'
        ? {
            slug: 'idempotency-key-reused',
            title: 'Idempotency key reused with a different request',
            status: 422,
          }
        : { slug: 'conflict', title: 'Conflict', status: 409 };
    case 'IllegalTransition':
      return { slug: 'illegal-transition', title: 'The job cannot make that change', status: 409 };
    case 'PayloadTooLarge':
      return { slug: 'payload-too-large', title: 'Payload too large', status: 413 };
    case 'Unauthenticated':
      return { slug: 'unauthenticated', title: 'No caller identity', status: 401 };
    case 'DispatchFailed':
      return { slug: 'dispatch-failed', title: 'The job could not be started', status: 503 };
  }
}

/** A problem for anything thrown by a use case. Unknown errors are 500s that say nothing about internals. */
export function toProblem(error: unknown, instance: string): Problem {
  if (!isBatonError(error)) {
    return {
      type: `${TYPE_BASE}internal-error`,
      title: 'Internal error',
      status: 500,
      detail: 'The request failed unexpectedly. It has been logged; try again later.',
      instance,
    };
  }
  const kind = kindOf(error);
  const problem: Problem = {
    type: `${TYPE_BASE}${kind.slug}`,
    title: kind.title,
    status: kind.status,
    detail: error.message,
    instance,
  };
  if (error instanceof ValidationError) {
    return {
      ...problem,
      errors: error.issues.map((issue) => ({
        pointer: toJsonPointer(issue.path),
        detail: issue.message,
        code: issue.code,
      })),
    };
  }
  if (error instanceof UnknownOperation) {
    return {
      ...problem,
      errors: [{ pointer: '/operation', detail: error.message, code: 'unknown_operation' }],
      knownOperations: error.known,
    };
  }
  return problem;
}

/** A problem the door itself raises (no route, a method not allowed, a body that is not JSON). */
export function doorProblem(
  slug: string,
  title: string,
  status: number,
  detail: string,
  instance: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return { type: `${TYPE_BASE}${slug}`, title, status, detail, instance, ...extensions };
}

/** A job that failed inside a synchronous request: 422 if retrying cannot help, 503 if it may. */
export function operationFailedProblem(
  error: { type: string; message: string; retryable: boolean },
  instance: string,
  jobId?: string,
): Problem {
  return {
    type: `${TYPE_BASE}operation-failed`,
    title: 'The operation failed',
    status: error.retryable ? 503 : 422,
    detail: error.message,
    instance,
    error,
    ...(jobId !== undefined && { jobId }),
  };
}
