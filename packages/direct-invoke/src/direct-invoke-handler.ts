import { Logger } from '@aws-lambda-powertools/logger';
import {
  CORRELATION_ID_MAX_LENGTH,
  cancelJob,
  getJob,
  isValidCorrelationId,
  jobViewOf,
  listJobs,
  type ServeOutcome,
  type ServeRequestDeps,
  serveRequest,
  toJobView,
  Unauthenticated,
  ValidationError,
} from '@baton/core';
import {
  createInvokeLine,
  operationFailedProblem,
  type Problem,
  parseOperationRequest,
  toProblem,
} from '@baton/http';
import type { Context } from 'aws-lambda';
import * as z from 'zod';

/** Job actions are versioned, so their shapes can change without breaking callers that pinned `v: 1`. */
const ActionRequest = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('getJob'),
    v: z.literal(1),
    jobId: z.string().min(1),
    /** The job's transitions too (the last 50); without it the view is as it always was. */
    history: z.boolean().optional(),
  }),
  z.strictObject({ action: z.literal('cancelJob'), v: z.literal(1), jobId: z.string().min(1) }),
  z.strictObject({
    action: z.literal('listJobs'),
    v: z.literal(1),
    limit: z.int().optional(),
    cursor: z.string().optional(),
  }),
  z.strictObject({ action: z.literal('describeOperations'), v: z.literal(1) }),
]);

export interface DirectInvokeHandlerOptions {
  readonly deps: ServeRequestDeps;
  readonly logger?: Logger;
  /**
   * Who is calling, i.e. the job owner. Lambda does not tell a function which principal invoked it (IAM's
   * lambda:InvokeFunction decides who may), so by default the caller names itself in the invocation's client
   * context (`ClientContext: { custom: { caller } }`) and owns its jobs as `invoke:<caller>` — a namespace of
   * its own, which no HTTP door's IAM ARN can equal — else `defaultCaller` applies; with neither, the request
   * is refused. A `callerOf` given here replaces all of that, and what it returns is the owner verbatim.
   */
  readonly callerOf?: (event: unknown, context: Context) => string | undefined;
  /**
   * The owner of a request that names no caller, verbatim: set by whoever deploys the function, not asserted
   * by the caller.
   */
  readonly defaultCaller?: string | undefined;
  /**
   * Take the caller named in the client context as the owner verbatim, in the HTTP doors' namespace — for a
   * function only a trusted back-end may invoke, which acts for HTTP users (it names their IAM ARN). Without
   * it, anyone allowed to invoke the function could name any HTTP user and read or cancel their jobs.
   * Default false. See docs/decisions/0006-owners-budgets-and-gateway-responses.md.
   */
  readonly trustAssertedCaller?: boolean;
  readonly handoffMarginMs?: number;
}

/** The owner namespace of callers that name themselves in a direct invocation's client context. */
export const INVOKE_CALLER_PREFIX = 'invoke:';
/** An asserted caller: 1 to 1024 visible ASCII characters — room for any IAM user or role ARN. */
export const INVOKE_CALLER_MAX_LENGTH = 1024;
const INVOKE_CALLER = /^[\x21-\x7e]+$/;

export type DirectInvokeResponse = object | Problem;

/**
 * The direct Invoke door (RPC). The payload is an operation request — `{ operation, input, meta? }` — or a
 * versioned job action. Errors come back as the same problem object the HTTP doors send, as the payload
 * of a successful invocation, so a caller tells a 4xx from a crash (which Lambda reports as a FunctionError).
 */
export function createDirectInvokeHandler(options: DirectInvokeHandlerOptions) {
  const logger = options.logger ?? new Logger({ serviceName: 'baton' });
  const { deps } = options;
  const marginMs = options.handoffMarginMs ?? 3_000;
  const trusted = options.trustAssertedCaller === true;
  const callerOf =
    options.callerOf ??
    ((_event: unknown, context: Context) => {
      const caller = assertedCaller(context);
      if (caller === undefined) return options.defaultCaller;
      return trusted ? caller : `${INVOKE_CALLER_PREFIX}${caller}`;
    });

  async function handle(
    event: unknown,
    context: Context,
    correlationId: string,
    served: { sync: boolean },
  ): Promise<DirectInvokeResponse> {
    const owner = callerOf(event, context);
    if (!owner) throw new Unauthenticated('Name the caller in the client context: { custom: { caller } }.');
    if (typeof event === 'object' && event !== null && 'action' in event) {
      const parsed = ActionRequest.safeParse(event);
      if (!parsed.success) throw toValidationError(parsed.error, 'a job action');
      const action = parsed.data;
      switch (action.action) {
        case 'getJob':
          return jobViewOf(
            await getJob(deps, { owner, jobId: action.jobId, history: action.history === true }),
            {
              history: action.history === true,
            },
          );
        case 'cancelJob':
          return toJobView(await cancelJob(deps, { owner, jobId: action.jobId }));
        case 'listJobs': {
          const page = await listJobs(deps, {
            owner,
            ...(action.limit !== undefined && { limit: action.limit }),
            ...(action.cursor !== undefined && { cursor: action.cursor }),
          });
          return { jobs: page.jobs.map(toJobView), ...(page.nextCursor && { nextCursor: page.nextCursor }) };
        }
        case 'describeOperations':
          return { operations: deps.registry.describe() };
      }
    }
    const parsed = parseOperationRequest(event);
    if (!parsed.success)
      throw toValidationError(parsed.error, '{ operation, input, meta?: { async?, clientRequestId? } }');
    const { operation, input, meta } = parsed.data;
    served.sync = meta?.async !== true;
    const outcome = await serveRequest(deps, {
      owner,
      operation,
      input: input ?? {},
      async: meta?.async === true,
      budgetMs: Math.max(0, context.getRemainingTimeInMillis() - marginMs),
      correlationId,
      ...(meta?.clientRequestId !== undefined && { clientRequestId: meta.clientRequestId }),
    });
    return toResponse(outcome, context);
  }

  const writeInvokeLine = createInvokeLine(logger);

  return async function handleDirectInvoke(event: unknown, context: Context): Promise<DirectInvokeResponse> {
    // The Logger is given the request's context and correlation id as it starts — not only before a line of its
    // own, as it was (decision 0012) — so that a line an operation writes through it carries this request's
    // correlation id, never the previous one's (decision 0019). The answered request's line is still written by
    // hand, as the HTTP doors' access line is.
    logger.resetKeys();
    logger.addContext(context);
    const served = { sync: false };
    let correlationId: string | undefined;
    try {
      correlationId = correlationIdOf(context);
      logger.setCorrelationId(correlationId);
      const response = await handle(event, context, correlationId, served);
      writeInvokeLine(context, (response as { status?: unknown }).status, correlationId);
      return response;
    } catch (error) {
      const problem = toProblem(error, context.awsRequestId);
      // A refused correlation id is not carried: the line about the refusal has the request id.
      if (correlationId === undefined) logger.setCorrelationId(context.awsRequestId);
      if (problem.status >= 500) logger.error('Unexpected error', error as Error);
      else logger.info('Invoke request refused', { status: problem.status, type: problem.type });
      return problem;
    } finally {
      observerOf(logger)?.requestServed(() => served.sync);
      // Nothing written after the answer may carry this request's keys.
      logger.resetKeys();
    }
  };
}

/**
 * The hook a function's wiring (@baton/handlers) may hang on the Logger it gives a door, under this global
 * symbol: told when a request has been answered, it flushes the function's metrics once per invocation.
 */
const REQUEST_OBSERVER = Symbol.for('baton.requestObserver');
const observerOf = (logger: Logger) =>
  (logger as unknown as { [REQUEST_OBSERVER]?: { requestServed(isSync: () => boolean): void } })[
    REQUEST_OBSERVER
  ];

/**
 * The request's correlation id: the one the caller names in the client context (`{ custom: { correlationId }
 * }`, beside `caller`), checked as the HTTP doors check `X-Correlation-Id` — 1 to 256 visible ASCII characters,
 * else the request is refused — or, when it names none, the invocation's request id. The client context is
 * used rather than `meta` in the payload so that every request, job actions included, can carry one, and the
 * payload stays the operation request every door shares.
 */
function correlationIdOf(context: Context): string {
  const custom: unknown = context.clientContext?.custom;
  const id =
    typeof custom === 'object' && custom !== null
      ? (custom as { correlationId?: unknown }).correlationId
      : undefined;
  if (id === undefined || id === null) return context.awsRequestId;
  if (typeof id === 'string' && isValidCorrelationId(id)) return id;
  const [message, code] =
    typeof id !== 'string'
      ? ['Must be a string.', 'invalid_type']
      : id.length === 0
        ? ['Must not be empty.', 'too_small']
        : id.length > CORRELATION_ID_MAX_LENGTH
          ? [`Must be at most ${CORRELATION_ID_MAX_LENGTH} characters; it has ${id.length}.`, 'too_big']
          : ['Must be visible ASCII characters only (no spaces or control characters).', 'invalid_format'];
  throw new ValidationError(
    `The correlation id named in the client context must be 1 to ${CORRELATION_ID_MAX_LENGTH} visible ASCII characters.`,
    [{ path: ['clientContext', 'custom', 'correlationId'], message, code }],
  );
}

/**
 * The caller the client context names, checked: absent (or null) is undefined; anything else must be 1 to
 * 1024 visible ASCII characters, or the request is refused — never silently run as `defaultCaller`.
 */
function assertedCaller(context: Context): string | undefined {
  const custom: unknown = context.clientContext?.custom;
  const caller =
    typeof custom === 'object' && custom !== null ? (custom as { caller?: unknown }).caller : undefined;
  if (caller === undefined || caller === null) return undefined;
  const issue = callerIssue(caller);
  if (issue === undefined) return caller as string;
  throw new ValidationError(
    `The caller named in the client context must be 1 to ${INVOKE_CALLER_MAX_LENGTH} visible ASCII characters.`,
    [{ path: ['clientContext', 'custom', 'caller'], ...issue }],
  );
}

function callerIssue(caller: unknown): { message: string; code: string } | undefined {
  if (typeof caller !== 'string') return { message: 'Must be a string.', code: 'invalid_type' };
  if (caller.length === 0) return { message: 'Must not be empty.', code: 'too_small' };
  if (caller.length > INVOKE_CALLER_MAX_LENGTH)
    return {
      message: `Must be at most ${INVOKE_CALLER_MAX_LENGTH} characters; it has ${caller.length}.`,
      code: 'too_big',
    };
  if (!INVOKE_CALLER.test(caller))
    return {
      message: 'Must be visible ASCII characters only (no spaces or control characters).',
      code: 'invalid_format',
    };
  return undefined;
}

function toResponse(outcome: ServeOutcome, context: Context): DirectInvokeResponse {
  switch (outcome.kind) {
    case 'completed':
      return { status: 'succeeded', result: outcome.output, ...(outcome.job && { jobId: outcome.job.id }) };
    case 'failed':
      return operationFailedProblem(outcome.error, context.awsRequestId, outcome.job?.id);
    case 'accepted':
      return { jobId: outcome.job.id, status: outcome.job.status, accepted: true };
  }
}

function toValidationError(error: z.ZodError, expected: string): ValidationError {
  return new ValidationError(
    `The payload is not ${expected}.`,
    error.issues.map((issue) => ({
      path: issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)),
      message: issue.message,
      code: issue.code,
    })),
  );
}
