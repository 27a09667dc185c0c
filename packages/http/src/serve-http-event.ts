import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { HttpRequest, HttpResponse } from './http-api.js';
import { NotAnHttpEvent, toProxyResult } from './lambda-events.js';
import { doorProblem, PROBLEM_CONTENT_TYPE, type Problem, toProblem } from './problem.js';

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
  logger.resetKeys();
  logger.addContext(context);
  const started = Date.now();
  let request: HttpRequest;
  try {
    request = translate();
  } catch (error) {
    if (!(error instanceof NotAnHttpEvent)) return unexpected(logger, context.awsRequestId, error);
    logger.error('Refused an event this door does not understand', { issues: error.issues });
    const problem = doorProblem('bad-event', 'Not an HTTP event', 400, error.message, context.awsRequestId);
    return problemResult(problem);
  }
  if (request.correlationId) logger.setCorrelationId(request.correlationId);
  let response: HttpResponse;
  try {
    response = await api(request);
  } catch (error) {
    // The shared API answers its own errors; this is for an api function that does not.
    return unexpected(logger, `${request.basePath}${request.path}#${request.requestId}`, error);
  }
  logger.info('HTTP request', {
    method: request.method,
    path: request.path,
    status: response.statusCode,
    durationMs: Date.now() - started,
    ...(response.statusCode === 202 && { location: response.headers.location }),
  });
  return toProxyResult(response);
}

/** Anything unexpected is logged and answered as a 500 problem, never left to become a function error. */
function unexpected(logger: Logger, instance: string, error: unknown): APIGatewayProxyResult {
  logger.error('Unexpected error', error as Error);
  return problemResult(toProblem(error, instance));
}

const problemResult = (problem: Problem): APIGatewayProxyResult => ({
  statusCode: problem.status,
  headers: { 'content-type': PROBLEM_CONTENT_TYPE },
  body: JSON.stringify(problem),
  isBase64Encoded: false,
});
