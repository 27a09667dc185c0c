import type { ValidationIssue } from './errors.js';
import type { JobError, Json } from './job.js';
import {
  type AbortCause,
  type AnyOperation,
  OperationAborted,
  type OperationContext,
  OperationError,
} from './operation.js';
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
  /**
   * The runner aborts this to stop the operation; its reason must be an OperationAborted. A
   * `LazyAbortController` makes the operation's `AbortSignal` only if the operation reads it or it is aborted.
   */
  readonly controller: AbortController | LazyAbortController;
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

/**
 * An AbortController that makes its AbortSignal only when someone reads `signal` — or when it is aborted. Node
 * spends more making an AbortController (an EventTarget) and listening on its signal than a quick operation
 * takes to run, and a quick operation run inline rarely looks at its signal
 * (docs/decisions/0012-a-fast-door-and-a-small-bundle.md). The executor hears of an abort through `onAbort`.
 */
export class LazyAbortController {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #listener: (() => void) | undefined;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#aborted && this.#controller ? this.#controller.signal.reason : this.#reason;
  }

  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    // The signal's own listeners (the operation's) first, then the executor, as with a real AbortController.
    this.#controller?.abort(reason);
    this.#listener?.();
  }

  /** The one listener the executor needs; set to undefined to stop listening. */
  set onAbort(listener: (() => void) | undefined) {
    this.#listener = listener;
  }
}

const abortCauseOf = (controller: AbortController | LazyAbortController): AbortCause | undefined => {
  const aborted = controller instanceof LazyAbortController ? controller.aborted : controller.signal.aborted;
  if (!aborted) return undefined;
  const reason = controller instanceof LazyAbortController ? controller.reason : controller.signal.reason;
  return reason instanceof OperationAborted ? reason.abortCause : 'cancelled';
};

let SIGNAL: PropertyDescriptor;

/**
 * What an operation runs with: an object of the same own, enumerable keys, in the same order, as an object
 * literal `{ resumeFrom, attempt, jobId, get signal() {…}, remainingTimeMs, progress, checkpoint }` — `signal`
 * an own getter, read when the operation reads it (a LazyAbortController makes its signal only then). Made by
 * this class because V8 makes an object literal with a getter at run time, ~0.3–0.6 µs a call, and every call
 * of an operation makes one; here one shared getter is defined on each
 * (docs/decisions/0012-a-fast-door-and-a-small-bundle.md). The functions are assigned to properties, not
 * declared as `const`: a bundle built with `keepNames` (as Lambda bundles are) names every function so declared
 * with an `Object.defineProperty` each time it is made. None of them reads `this`: an operation may destructure
 * them.
 */
class RunContext implements OperationContext {
  declare readonly resumeFrom: Json | undefined;
  declare readonly attempt: number;
  declare readonly jobId: string | undefined;
  declare readonly signal: AbortSignal;
  declare readonly remainingTimeMs: () => number;
  declare readonly progress: (fraction: number, message?: string) => void;
  declare readonly checkpoint: (state: Json) => void;
  readonly #controller: AbortController | LazyAbortController;

  static {
    SIGNAL = {
      get(this: RunContext) {
        return this.#controller.signal;
      },
      enumerable: true,
      configurable: true,
    };
  }

  constructor(hooks: ExecutionHooks) {
    this.#controller = hooks.controller;
    const self = this as { -readonly [K in keyof OperationContext]: OperationContext[K] };
    self.resumeFrom = hooks.resumeFrom;
    self.attempt = hooks.attempt;
    self.jobId = hooks.jobId;
    Object.defineProperty(this, 'signal', SIGNAL);
    self.remainingTimeMs = hooks.remainingTimeMs;
    self.progress = (fraction, message) => {
      if (!Number.isFinite(fraction)) return;
      hooks.onProgress(Math.min(1, Math.max(0, fraction)), message);
    };
    self.checkpoint = (state) => hooks.onCheckpoint(structuredClone(state));
  }
}

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
  const { controller } = hooks;
  const context = new RunContext(hooks);
  // An operation that throws before it returns a promise rejects, as an async function would.
  let run: Promise<unknown>;
  try {
    run = Promise.resolve(operation.run(input, context));
  } catch (error) {
    run = Promise.reject(error);
  }

  // One promise settles with the run, or — once the signal is aborted and the grace has passed — without it.
  const grace: { cancel: (() => void) | undefined; start(): void; abandon(): void } = {
    cancel: undefined,
    start() {
      grace.cancel = hooks.schedule(grace.abandon, hooks.graceMs);
    },
    abandon() {},
  };
  const settledOrAbandoned = new Promise<{ value: unknown } | { error: unknown } | 'abandoned'>((resolve) => {
    run.then(
      (value) => resolve({ value }),
      (error: unknown) => resolve({ error }),
    );
    grace.abandon = () => resolve('abandoned');
    if (abortCauseOf(controller) !== undefined) grace.start();
    else if (controller instanceof LazyAbortController) controller.onAbort = grace.start;
    else controller.signal.addEventListener('abort', grace.start, { once: true });
  });

  try {
    const settled = await settledOrAbandoned;
    if (settled === 'abandoned') {
      // The operation ignored its signal. Let it run on without us; nothing it does later is recorded.
      run.catch(() => {});
      return { kind: 'aborted', cause: abortCauseOf(controller) ?? 'deadline' };
    }
    if ('error' in settled) {
      const cause = abortCauseOf(controller);
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
    grace.cancel?.();
    if (controller instanceof LazyAbortController) controller.onAbort = undefined;
    else controller.signal.removeEventListener('abort', grace.start);
  }
}
