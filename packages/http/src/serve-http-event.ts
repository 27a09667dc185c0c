import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { createAccessLine } from './access-line.js';
import type { HttpRequest, HttpResponse } from './http-api.js';
import { NotAnHttpEvent, toProxyResult } from './lambda-events.js';
import { doorProblem, PROBLEM_CONTENT_TYPE, type Problem, toProblem } from './problem.js';

/** What the doors keep per logger: its access line writer. */
interface LoggerState {
  /** Made on the logger's first answered request. */
  accessLine: ReturnType<typeof createAccessLine> | undefined;
}

const states = new WeakMap<Logger, LoggerState>();

/**
 * The hook a function's wiring (@baton/handlers) may hang on the Logger it gives a door, under this global
 * symbol: told when a request has been answered, it flushes the function's metrics once per invocation. It is
 * asked whether the request was synchronous only when the request created a queued job (a hand-over).
 */
const REQUEST_OBSERVER = Symbol.for('baton.requestObserver');
interface RequestObserver {
  requestServed(isSync: () => boolean): void;
}
const observerOf = (logger: Logger) =>
  (logger as unknown as { [REQUEST_OBSERVER]?: RequestObserver })[REQUEST_OBSERVER];

/**
 * The logger, holding the Lambda context and correlation id of the request being served. Kept for the doors'
 * `onUnexpectedError`: since every request now gives the Logger its context as it starts, this only returns it.
 */
export function requestLogger(logger: Logger): Logger {
  return logger;
}

/**
 * Whether a `POST /jobs` asked for an answer rather than a job (no `Prefer: respond-async`, no `meta.async`).
 * Asked only when the request created a queued job, to tell a hand-over from an async submit; the body is
 * parsed again only when it mentions `async` at all.
 */
function isSyncRequest(request: HttpRequest): boolean {
  if (request.method.toUpperCase() !== 'POST') return false;
  if (request.headers.prefer?.toLowerCase().includes('respond-async')) return false;
  const body = request.body ?? '';
  if (!body.includes('"async"')) return true;
  try {
    return (JSON.parse(body) as { meta?: { async?: unknown } } | null)?.meta?.async !== true;
  } catch {
    return true;
  }
}

/**
 * What an HTTP door's handler does around the shared API: the Lambda context and the correlation id on every
 * log line written while the request is served — the door's and the operation's, through the same Logger —
 * and on none after it; the correlation id echoed in `X-Correlation-Id` on every answer (the caller's, or the
 * gateway's request id when it sent none); one access line per request (no bodies); an event that is not an
 * HTTP event answered as a 400 problem, and anything unexpected as a 500 problem — never a function error.
 */
export async function serveHttpEvent(
  logger: Logger,
  context: Context,
  translate: () => HttpRequest,
  api: (request: HttpRequest) => Promise<HttpResponse>,
): Promise<APIGatewayProxyResult> {
  const started = Date.now();
  let state = states.get(logger);
  if (state === undefined) {
    state = { accessLine: undefined };
    states.set(logger, state);
  }
  // Given as the request starts, not when a line needs it: a line an operation writes through this Logger
  // must carry this request's context and correlation id, never the previous request's (decision 0019).
  logger.resetKeys();
  logger.addContext(context);
  let request: HttpRequest | undefined;
  try {
    try {
      request = translate();
    } catch (error) {
      logger.setCorrelationId(context.awsRequestId);
      if (!(error instanceof NotAnHttpEvent)) return unexpected(logger, context, context.awsRequestId, error);
      logger.error('Refused an event this door does not understand', { issues: error.issues });
      const problem = doorProblem('bad-event', 'Not an HTTP event', 400, error.message, context.awsRequestId);
      return problemResult(problem, context.awsRequestId);
    }
    const correlationId = request.correlationId ?? request.requestId;
    logger.setCorrelationId(correlationId);
    let response: HttpResponse;
    try {
      response = await api(request);
    } catch (error) {
      // The shared API answers its own errors; this is for an api function that does not.
      return unexpected(logger, context, `${request.basePath}${request.path}#${request.requestId}`, error);
    }
    state.accessLine ??= createAccessLine(logger);
    state.accessLine(context, correlationId, {
      method: request.method,
      path: request.path,
      status: response.statusCode,
      durationMs: Date.now() - started,
      location: response.statusCode === 202 ? response.headers.location : undefined,
    });
    return toProxyResult({
      ...response,
      headers: { ...response.headers, 'x-correlation-id': correlationId },
    });
  } finally {
    const served = request;
    observerOf(logger)?.requestServed(() => served !== undefined && isSyncRequest(served));
    // Nothing written after the answer (a timer, a forgotten promise) may carry this request's keys.
    logger.resetKeys();
  }
}

/** Anything unexpected is logged and answered as a 500 problem, never left to become a function error. */
function unexpected(
  logger: Logger,
  context: Context,
  instance: string,
  error: unknown,
): APIGatewayProxyResult {
  logger.error('Unexpected error', error as Error);
  const id = logger.getCorrelationId();
  return problemResult(toProblem(error, instance), typeof id === 'string' ? id : context.awsRequestId);
}

const problemResult = (problem: Problem, correlationId: string): APIGatewayProxyResult => ({
  statusCode: problem.status,
  headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'x-correlation-id': correlationId },
  body: JSON.stringify(problem),
  isBase64Encoded: false,
});
