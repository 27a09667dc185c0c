import { Logger } from '@aws-lambda-powertools/logger';
import type { ServeRequestDeps } from '@baton/core';
import { createHttpApi, fromV2Event, requestLogger, serveHttpEvent } from '@baton/http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';

export interface FunctionUrlHandlerOptions {
  readonly deps: ServeRequestDeps;
  readonly logger?: Logger;
  /** Hand work over this long before the function's own timeout. */
  readonly handoffMarginMs?: number;
  readonly maxBodyBytes?: number;
}

/**
 * The Function URL door: v2 events (routeKey `$default`) served by the shared HTTP API. A Function URL waits as
 * long as the function runs, so a sync request's budget is the function's remaining time less a margin. Unlike
 * the API Gateway door it is not counted from the event's `timeEpoch`: no clock runs outside the function's own
 * (whose deadline the remaining time already is), so time spent before the handler costs this door nothing.
 */
export function createFunctionUrlHandler(options: FunctionUrlHandlerOptions) {
  const logger = options.logger ?? new Logger({ serviceName: 'baton' });
  const api = createHttpApi({
    deps: options.deps,
    onUnexpectedError: (error) => requestLogger(logger).error('Unexpected error', error as Error),
    ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
  });
  const marginMs = options.handoffMarginMs ?? 3_000;

  return async function handleFunctionUrlEvent(
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyResult> {
    const budgetMs = Math.max(0, context.getRemainingTimeInMillis() - marginMs);
    // Awaited here: an async function that returns a promise settles two microtask turns later.
    return await serveHttpEvent(logger, context, () => fromV2Event(event, budgetMs), api);
  };
}
