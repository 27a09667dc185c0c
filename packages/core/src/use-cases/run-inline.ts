import { executeOperation, LazyAbortController } from '../execute-operation.js';
import type { JobError, JobProgress, Json } from '../job.js';
import { type AnyOperation, OperationAborted } from '../operation.js';
import type { Scheduler } from '../ports.js';
import type { Registry } from '../registry.js';

export interface RunInlineDeps {
  readonly registry: Registry;
  readonly clock: Scheduler;
}

export interface RunInlineRequest {
  readonly operation: string;
  readonly input: unknown;
}

export interface RunInlineOptions {
  /** How long the caller can wait: the door's budget (a margin under API Gateway's 29 s, or the client's wait). */
  readonly deadlineMs: number;
  /** How long the operation gets, once asked to hand over, to save its checkpoint and return. */
  readonly graceMs?: number;
  /** Aborts the run early, e.g. when the caller went away. */
  readonly signal?: AbortSignal;
  readonly requestId?: string;
  /** The request as `takeIn` already validated it (operation and parsed input), so it is not validated twice. */
  readonly validated?: { readonly operation: AnyOperation; readonly input: Json };
}

export type InlineOutcome =
  | { readonly kind: 'completed'; readonly output: Json }
  | { readonly kind: 'failed'; readonly error: JobError }
  /**
   * The deadline came first. Everything needed to continue as a job: the validated input and, for an
   * operation that checkpoints, where it got to. Submitting that as a job resumes rather than restarts.
   */
  | {
      readonly kind: 'handoff';
      readonly operation: string;
      readonly input: Json;
      readonly checkpoint?: Json;
      readonly progress?: JobProgress;
    };

/**
 * The synchronous path: runs an operation in the caller's own invocation, under a deadline. Input is
 * validated first (ValidationError / UnknownOperation are thrown, as for a job). If the deadline comes
 * before the operation finishes, its signal is aborted and the caller gets a handoff — never a timeout.
 */
export async function runInline(
  deps: RunInlineDeps,
  request: RunInlineRequest,
  options: RunInlineOptions,
): Promise<InlineOutcome> {
  const { operation, input } =
    options.validated ?? deps.registry.parseInput(request.operation, request.input);
  const graceMs = options.graceMs ?? Math.min(1_000, Math.max(0, options.deadlineMs / 10));
  const startedAt = deps.clock.now();
  // The operation is asked to stop early enough that its grace still ends by the deadline.
  const stopAt = startedAt + Math.max(0, options.deadlineMs - graceMs);
  // A quick operation that never reads its signal costs no AbortController.
  const controller = new LazyAbortController();
  const cancelHandoff = deps.clock.schedule(
    () => controller.abort(new OperationAborted('handoff')),
    Math.max(0, stopAt - startedAt),
  );
  const callerSignal = options.signal;
  const onCallerAbort = callerSignal === undefined ? undefined : abortOnCallerAbort(controller, callerSignal);

  let checkpoint: Json | undefined;
  let progress: JobProgress | undefined;
  try {
    // Methods, not arrow functions in properties: see executeOperation (no `Object.defineProperty` per call
    // under `keepNames`). None of them reads `this`.
    const execution = await executeOperation(operation, input, {
      resumeFrom: undefined,
      attempt: 1,
      jobId: options.requestId,
      remainingTimeMs() {
        return Math.max(0, stopAt - deps.clock.now());
      },
      onProgress(fraction, message) {
        progress = { fraction, ...(message !== undefined && { message }) };
      },
      onCheckpoint(state) {
        checkpoint = state;
      },
      controller,
      graceMs,
      schedule(callback, ms) {
        return deps.clock.schedule(callback, ms);
      },
    });
    switch (execution.kind) {
      case 'returned':
        return { kind: 'completed', output: execution.output };
      case 'threw':
        return { kind: 'failed', error: execution.error };
      default: // 'aborted'
        return {
          kind: 'handoff',
          operation: operation.name,
          input,
          ...(operation.policy.checkpoints && checkpoint !== undefined && { checkpoint }),
          ...(progress !== undefined && { progress }),
        };
    }
  } finally {
    cancelHandoff();
    if (onCallerAbort !== undefined) callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

/** Aborts the run when the caller's signal aborts (or already has); the listener, to remove afterwards. */
function abortOnCallerAbort(controller: LazyAbortController, signal: AbortSignal): () => void {
  const onCallerAbort = () => controller.abort(new OperationAborted('deadline'));
  signal.addEventListener('abort', onCallerAbort, { once: true });
  if (signal.aborted) onCallerAbort();
  return onCallerAbort;
}
