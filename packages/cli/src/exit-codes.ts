import {
  BatonFunctionError,
  BatonJobCancelledError,
  BatonJobFailedError,
  BatonProblemError,
  BatonTransportError,
} from '@baton/client';
import { CommanderError } from '@commander-js/extra-typings';
import { UserError } from './errors.js';
import { FailedEventNotFound, FailedEventsError } from './failed-events.js';

/**
 * `baton`'s exit codes, one meaning each, so that a script can tell "fix the input" from "try again later" from
 * "the job itself failed" without reading the message. Listed in `baton --help` and the README.
 */
export const EXIT = {
  ok: 0,
  /** Unexpected: a bug, or a failure the message explains. */
  failed: 1,
  /** Called wrongly: an unknown flag, a missing argument, input that is not JSON. */
  usage: 2,
  /** The service refused the request (a 4xx problem: validation, unknown operation, no such job). */
  badInput: 3,
  jobFailed: 4,
  jobCancelled: 5,
  /** The service could not be reached, throttled, or kept answering 5xx after the client's retries. */
  transport: 6,
  /** Ctrl-C while waiting on a job that was left running (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The lines `baton --help` and the README show. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0    ok',
  '  1    failed unexpectedly (the message says why; --debug prints the stack)',
  '  2    called wrongly (usage)',
  '  3    the service refused the request: a 4xx problem, e.g. invalid input or no such job',
  '  4    the job failed',
  '  5    the job was cancelled',
  '  6    transport: the service is unreachable, throttling, or answered 5xx after retries',
  '  130  interrupted while waiting; the job was left running',
].join('\n');

/** Interrupted while waiting, the job left running: carries what to tell the user. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

/** A short, stable name for the error, as `--json` prints it: `{"error":{"code","message"}}`. */
export type ErrorCode =
  | 'usage'
  | 'failed'
  | 'bad_input'
  | 'job_failed'
  | 'job_cancelled'
  | 'transport'
  | 'interrupted'
  | 'bug';

/**
 * The one place an error becomes an exit code. A problem is the service refusing the request (3) unless it is
 * the service's own trouble — 429 or 5xx, which the client has already retried — which counts as transport (6).
 */
export function exitCodeFor(error: unknown): { code: ExitCode; name: ErrorCode } {
  if (error instanceof CommanderError)
    return error.exitCode === 0 ? { code: 0, name: 'usage' } : { code: EXIT.usage, name: 'usage' };
  if (error instanceof UserError)
    return error.exitCode === 2 ? { code: EXIT.usage, name: 'usage' } : { code: EXIT.failed, name: 'failed' };
  if (error instanceof BatonProblemError)
    return error.status === 429 || error.status >= 500
      ? { code: EXIT.transport, name: 'transport' }
      : { code: EXIT.badInput, name: 'bad_input' };
  if (error instanceof FailedEventNotFound) return { code: EXIT.badInput, name: 'bad_input' };
  if (error instanceof FailedEventsError) return { code: EXIT.failed, name: 'failed' };
  if (error instanceof BatonJobFailedError) return { code: EXIT.jobFailed, name: 'job_failed' };
  if (error instanceof BatonJobCancelledError) return { code: EXIT.jobCancelled, name: 'job_cancelled' };
  // A function that crashed (FunctionError) is the service's trouble, as a 5xx would be.
  if (error instanceof BatonTransportError || error instanceof BatonFunctionError)
    return { code: EXIT.transport, name: 'transport' };
  if (error instanceof Interrupted) return { code: EXIT.interrupted, name: 'interrupted' };
  return { code: EXIT.failed, name: 'bug' };
}
