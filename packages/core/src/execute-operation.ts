import type { ValidationIssue } from './errors.js';
import type { JobError, Json } from './job.js';
import { type AbortCause, type AnyOperation, OperationAborted, OperationError } from './operation.js';
import { toValidationIssues } from './registry.js';

/** How one execution of an operation ended, before a runner decides what that means for a job. */
export type Execution =
  | { readonly kind: 'returned'; readonly output: Json }
  | { readonly kind: 'threw'; readonly error: JobError }
  | { readonly kind: 'aborted'; readonly cause: AbortCause };

export interface ExecutionHooks {
  readonly resumeFrom: Json | undefined;
  readonly attempt: number;
  readonly jobId: string | undefined;
  readonly remainingTimeMs: () => number;
  readonly onProgress: (fraction: number, message: string | undefined) => void;
  readonly onCheckpoint: (state: Json) => void;
  /** The runner aborts this to stop the operation; its reason must be an OperationAborted. */
  readonly controller: AbortController;
  /**
   * How long an operation gets to notice an abort and return (saving its last checkpoint) before the
   * runner stops waiting for it. An operation that ignores its signal is left behind, not awaited forever.
   */
  readonly graceMs: number;
  /** The scheduler the grace period is timed on (the runner's, so a test can run it on fake time). */
  readonly schedule: (callback: () => void, ms: number) => () => void;
}

/** Turns anything an operation threw into the error a job records. Unknown errors are crashes: retryable. */
export function toJobError(error: unknown): JobError {
  if (error instanceof OperationError) {
    return { type: error.type, message: error.message, retryable: error.retryable };
  }
  if (error instanceof Error) {
    return {
      type: error.name === 'Error' ? 'UnhandledError' : error.name,
      message: error.message,
      retryable: true,
    };
  }
  return { type: 'UnhandledError', message: String(error), retryable: true };
}

const abortCauseOf = (signal: AbortSignal): AbortCause | undefined =>
  signal.aborted
    ? signal.reason instanceof OperationAborted
      ? signal.reason.abortCause
      : 'cancelled'
    : undefined;

/**
 * Runs an operation with a context, and settles when it returns, throws, or — after its signal is aborted
 * — when it stops or its grace runs out. A value returned after an abort still counts: finished work is
 * never thrown away. The output is validated against the operation's schema.
 */
export async function executeOperation(
  operation: AnyOperation,
  input: Json,
  hooks: ExecutionHooks,
): Promise<Execution> {
  const { signal } = hooks.controller;
  const run = (async () =>
    operation.run(input, {
      resumeFrom: hooks.resumeFrom,
      attempt: hooks.attempt,
      jobId: hooks.jobId,
      signal,
      remainingTimeMs: hooks.remainingTimeMs,
      progress: (fraction, message) => {
        if (!Number.isFinite(fraction)) return;
        hooks.onProgress(Math.min(1, Math.max(0, fraction)), message);
      },
      checkpoint: (state) => hooks.onCheckpoint(structuredClone(state)),
    }))();

  let cancelGrace: (() => void) | undefined;
  let onAbort: (() => void) | undefined;
  const abandoned = new Promise<'abandoned'>((resolve) => {
    onAbort = () => {
      cancelGrace = hooks.schedule(() => resolve('abandoned'), hooks.graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });

  try {
    const settled = await Promise.race([
      run.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      abandoned,
    ]);
    if (settled === 'abandoned') {
      // The operation ignored its signal. Let it run on without us; nothing it does later is recorded.
      run.catch(() => {});
      return { kind: 'aborted', cause: abortCauseOf(signal) ?? 'deadline' };
    }
    if ('error' in settled) {
      const cause = abortCauseOf(signal);
      return cause ? { kind: 'aborted', cause } : { kind: 'threw', error: toJobError(settled.error) };
    }
    const parsed = operation.output.safeParse(settled.value);
    if (!parsed.success) {
      const where = toValidationIssues(parsed.error, ['result'])
        .map((issue: ValidationIssue) => `${issue.path.join('.')}: ${issue.message}`)
        .join('; ');
      return {
        kind: 'threw',
        error: {
          type: 'InvalidOutput',
          message: `Operation returned an invalid result (${where}).`,
          retryable: false,
        },
      };
    }
    return { kind: 'returned', output: (parsed.data ?? null) as Json };
  } finally {
    cancelGrace?.();
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
