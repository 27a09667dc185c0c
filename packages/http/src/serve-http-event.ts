import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { HttpRequest, HttpResponse } from './http-api.js';
import { NotAnHttpEvent, toProxyResult } from './lambda-events.js';
import { doorProblem, PROBLEM_CONTENT_TYPE } from './problem.js';

/**
 * What an HTTP door's handler does around the shared API: Lambda context and correlation id on every log line,
 * one access line per request (no bodies), and an event that is not an HTTP event answered as a problem.
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
    if (!(error instanceof NotAnHttpEvent)) throw error;
    logger.error('Refused an event this door does not understand', { issues: error.issues });
    const problem = doorProblem('bad-event', 'Not an HTTP event', 400, error.message, context.awsRequestId);
    return {
      statusCode: 400,
      headers: { 'content-type': PROBLEM_CONTENT_TYPE },
      body: JSON.stringify(problem),
      isBase64Encoded: false,
    };
  }
  if (request.correlationId) logger.setCorrelationId(request.correlationId);
  const response = await api(request);
  logger.info('HTTP request', {
    method: request.method,
    path: request.path,
    status: response.statusCode,
    durationMs: Date.now() - started,
    ...(response.statusCode === 202 && { location: response.headers.location }),
  });
  return toProxyResult(response);
}
