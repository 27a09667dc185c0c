import type * as z from 'zod';
import type { Json } from './job.js';

/** How the job runner treats an operation. */
export interface ExecutionPolicy {
  /** Attempts before a retryable error becomes final (1 = never retried). */
  readonly maxAttempts: number;
  /**
   * Whether the operation saves checkpoints and can resume from them. Only checkpointing operations are
   * asked to stop and hand over when an invocation runs short of time; the others run until they finish
   * or their invocation dies (then they restart from scratch on the next attempt).
   */
  readonly checkpoints: boolean;
  /** Wall-clock limit for the whole job, from its first start, across every hop and retry. */
  readonly timeBudgetMs: number;
}

export const DEFAULT_POLICY: ExecutionPolicy = {
  maxAttempts: 3,
  checkpoints: false,
  timeBudgetMs: 15 * 60 * 1000,
};

/** Why the runner aborted an operation's signal. Operations normally only need `signal.aborted`. */
export type AbortCause = 'cancelled' | 'handoff' | 'time-budget' | 'lease-lost' | 'deadline';

export class OperationAborted extends Error {
  constructor(readonly abortCause: AbortCause) {
    super(`Operation aborted: ${abortCause}`);
    this.name = 'OperationAborted';
  }
}

/** What a running operation gets from whichever runner runs it (inline under a deadline, or as a job). */
export interface OperationContext<Checkpoint extends Json = Json> {
  /** The checkpoint saved by an earlier invocation of this job, if it is resuming. */
  readonly resumeFrom: Checkpoint | undefined;
  /** Report progress. Cheap to call often: writes are coalesced. */
  progress(fraction: number, message?: string): void;
  /** Save resumable state. Cheap to call often: writes are coalesced, and the last one always lands. */
  checkpoint(state: Checkpoint): void;
  /** Aborted on cancellation, on time budget exhaustion, or when the invocation must hand over. */
  readonly signal: AbortSignal;
  /** Milliseconds until this invocation must have stopped (what Lambda's context reports, less margins). */
  remainingTimeMs(): number;
  /** The number of this attempt (1-based); continuations of one attempt share it. */
  readonly attempt: number;
  /** Identifies the job, or the inline request, in logs. */
  readonly jobId: string | undefined;
}

/** Throw from an operation to fail with a typed error; `retryable` decides whether the runner tries again. */
export class OperationError extends Error {
  readonly type: string;
  readonly retryable: boolean;

  constructor(message: string, options: { type?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'OperationError';
    this.type = options.type ?? 'OperationError';
    this.retryable = options.retryable ?? false;
  }
}

export interface Operation<
  Name extends string = string,
  In extends z.ZodType = z.ZodType,
  Out extends z.ZodType = z.ZodType,
  Checkpoint extends Json = Json,
> {
  readonly name: Name;
  /** Bump when input, output or checkpoint shapes change incompatibly; jobs of another version are not run. */
  readonly version: number;
  readonly description: string;
  readonly input: In;
  readonly output: Out;
  readonly policy: ExecutionPolicy;
  readonly run: (input: z.output<In>, context: OperationContext<Checkpoint>) => Promise<z.input<Out>>;
}

// biome-ignore lint/suspicious/noExplicitAny: the widest operation type, used only as a constraint.
export type AnyOperation = Operation<string, z.ZodType, z.ZodType, any>;

export interface OperationDefinition<
  Name extends string,
  In extends z.ZodType,
  Out extends z.ZodType,
  Checkpoint extends Json,
> {
  readonly name: Name;
  readonly version?: number;
  readonly description: string;
  readonly input: In;
  readonly output: Out;
  readonly policy?: Partial<ExecutionPolicy>;
  readonly run: (input: z.output<In>, context: OperationContext<Checkpoint>) => Promise<z.input<Out>>;
}

const OPERATION_NAME = /^[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*$/;

/** Declares an operation. The name is kept as a literal type so that a registry can be typed by it. */
export function defineOperation<
  const Name extends string,
  In extends z.ZodType,
  Out extends z.ZodType,
  Checkpoint extends Json = Json,
>(definition: OperationDefinition<Name, In, Out, Checkpoint>): Operation<Name, In, Out, Checkpoint> {
  if (!OPERATION_NAME.test(definition.name)) {
    throw new TypeError(
      `Operation name '${definition.name}' must be lower-case words joined by '-' or '.', e.g. 'report.build'.`,
    );
  }
  const policy = { ...DEFAULT_POLICY, ...definition.policy };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new TypeError(`Operation '${definition.name}': maxAttempts must be an integer ≥ 1.`);
  }
  if (!(policy.timeBudgetMs > 0)) {
    throw new TypeError(`Operation '${definition.name}': timeBudgetMs must be positive.`);
  }
  const version = definition.version ?? 1;
  if (!Number.isInteger(version) || version < 1) {
    throw new TypeError(`Operation '${definition.name}': version must be an integer ≥ 1.`);
  }
  return Object.freeze({ ...definition, version, policy: Object.freeze(policy) });
}
