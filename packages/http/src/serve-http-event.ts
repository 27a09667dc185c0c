import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { createAccessLine } from './access-line.js';
import type { HttpRequest, HttpResponse } from './http-api.js';
import { NotAnHttpEvent, toProxyResult } from './lambda-events.js';
import { doorProblem, PROBLEM_CONTENT_TYPE, type Problem, toProblem } from './problem.js';

/** What the doors keep per logger: its access line writer, and the request it is serving. */
interface LoggerState {
  /** Made on the logger's first answered request. */
  accessLine: ReturnType<typeof createAccessLine> | undefined;
  context: Context | undefined;
  correlationId: string | undefined;
  /** Whether the Logger has been given this request's Lambda context and correlation id. */
  prepared: boolean;
}

const states = new WeakMap<Logger, LoggerState>();

/**
 * The logger, given the Lambda context and correlation id of the request it is serving, for a line about that
 * request. The doors give them only when a line other than the access line is written (an error): the
 * Powertools Logger spends ~2 µs a request on `resetKeys`, `addContext` and `setCorrelationId`, and most
 * requests write no other line (docs/decisions/0012-a-fast-door-and-a-small-bundle.md).
 */
export function requestLogger(logger: Logger): Logger {
  const state = states.get(logger);
  if (state !== undefined && !state.prepared && state.context !== undefined) {
    state.prepared = true;
    logger.resetKeys();
    logger.addContext(state.context);
    if (state.correlationId) logger.setCorrelationId(state.correlationId);
  }
  return logger;
}

/**
 * What an HTTP door's handler does around the shared API: Lambda context and correlation id on every log line,
 * one access line per request (no bodies), an event that is not an HTTP event answered as a 400 problem, and
 * anything unexpected as a 500 problem — never a function error.
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
    state = { accessLine: undefined, context, correlationId: undefined, prepared: false };
    states.set(logger, state);
  }
  state.context = context;
  state.correlationId = undefined;
  state.prepared = false;
  // The first request gives the Logger its context at once: that is when the Logger counts its cold start.
  if (state.accessLine === undefined) requestLogger(logger);
  let request: HttpRequest;
  try {
    request = translate();
  } catch (error) {
    if (!(error instanceof NotAnHttpEvent)) return unexpected(logger, context.awsRequestId, error);
    requestLogger(logger).error('Refused an event this door does not understand', { issues: error.issues });
    const problem = doorProblem('bad-event', 'Not an HTTP event', 400, error.message, context.awsRequestId);
    return problemResult(problem);
  }
  state.correlationId = request.correlationId;
  if (request.correlationId && state.prepared) logger.setCorrelationId(request.correlationId);
  let response: HttpResponse;
  try {
    response = await api(request);
  } catch (error) {
    // The shared API answers its own errors; this is for an api function that does not.
    return unexpected(logger, `${request.basePath}${request.path}#${request.requestId}`, error);
  }
  state.accessLine ??= createAccessLine(logger);
  state.accessLine(context, request.correlationId, {
    method: request.method,
    path: request.path,
    status: response.statusCode,
    durationMs: Date.now() - started,
    location: response.statusCode === 202 ? response.headers.location : undefined,
  });
  return toProxyResult(response);
}

/** Anything unexpected is logged and answered as a 500 problem, never left to become a function error. */
function unexpected(logger: Logger, instance: string, error: unknown): APIGatewayProxyResult {
  requestLogger(logger).error('Unexpected error', error as Error);
  return problemResult(toProblem(error, instance));
}

const problemResult = (problem: Problem): APIGatewayProxyResult => ({
  statusCode: problem.status,
  headers: { 'content-type': PROBLEM_CONTENT_TYPE },
  body: JSON.stringify(problem),
  isBase64Encoded: false,
});
