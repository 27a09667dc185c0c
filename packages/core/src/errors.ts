/**
 * The domain's error vocabulary. Every door maps these — and only these — to its own wire format
 * (HTTP status + problem+json, or an Invoke payload) in one place, so a use case never knows which
 * door it is behind. Anything that is not a BatonError is a crash.
 */

/** A JSON path into the offending document, as zod reports it: `['input', 'items', 3, 'name']`. */
export type IssuePath = readonly (string | number)[];

export interface ValidationIssue {
  readonly path: IssuePath;
  readonly message: string;
  /** A machine-readable reason, e.g. zod's issue code (`invalid_type`, `too_small`, `unrecognized_keys`). */
  readonly code: string;
}

export type BatonErrorCode =
  | 'ValidationError'
  | 'UnknownOperation'
  | 'NotFound'
  | 'Conflict'
  | 'IllegalTransition'
  | 'PayloadTooLarge'
  | 'Unauthenticated'
  | 'DispatchFailed';

export abstract class BatonError extends Error {
  abstract readonly code: BatonErrorCode;

  protected constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request is well-formed JSON but does not match a schema. `issues` names every failing path. */
export class ValidationError extends BatonError {
  readonly code = 'ValidationError';

  constructor(
    message: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(message);
  }
}

/** The request names an operation the registry does not have. */
export class UnknownOperation extends BatonError {
  readonly code = 'UnknownOperation';

  constructor(
    readonly operation: string,
    readonly known: readonly string[],
  ) {
    super(`Unknown operation '${operation}'. Known operations: ${known.join(', ') || '(none)'}.`);
  }
}

/**
 * The thing does not exist *for this caller*. Another owner's job is reported exactly like a missing
 * one, so ids cannot be probed for existence (no enumeration through 403 vs 404).
 */
export class NotFound extends BatonError {
  readonly code = 'NotFound';

  constructor(
    readonly resource: 'job' | 'operation' | 'route',
    readonly id: string,
  ) {
    super(`No ${resource} '${id}'.`);
  }
}

/** The request contradicts existing state, e.g. an idempotency key reused with a different input. */
export class Conflict extends BatonError {
  readonly code = 'Conflict';

  constructor(
    message: string,
    readonly reason: 'idempotency-key-reused' | 'concurrent-update',
  ) {
    super(message);
  }
}

/** A job status change that the status machine does not allow (e.g. cancelling a succeeded job). */
export class IllegalTransition extends BatonError {
  readonly code = 'IllegalTransition';

  constructor(
    readonly from: string,
    readonly to: string,
    readonly jobId?: string,
  ) {
    super(`A job cannot go from '${from}' to '${to}'${jobId ? ` (job ${jobId})` : ''}.`);
  }
}

/** An input, result or request body exceeds a limit of the store or a door. */
export class PayloadTooLarge extends BatonError {
  readonly code = 'PayloadTooLarge';

  constructor(
    readonly what: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`${what} is ${sizeBytes} bytes; the limit is ${limitBytes} bytes.`);
  }
}

/** The request carries no caller identity, so it cannot be given an owner. */
export class Unauthenticated extends BatonError {
  readonly code = 'Unauthenticated';

  constructor(message = 'The request carries no caller identity.') {
    super(message);
  }
}

/** The job was stored but could not be handed to the async runner; it has been marked failed. */
export class DispatchFailed extends BatonError {
  readonly code = 'DispatchFailed';

  constructor(
    readonly jobId: string,
    options?: ErrorOptions,
  ) {
    super(`Job ${jobId} could not be dispatched to the async runner; it has been marked failed.`, options);
  }
}

export const isBatonError = (error: unknown): error is BatonError => error instanceof BatonError;
