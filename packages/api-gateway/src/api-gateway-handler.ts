import { Logger } from '@aws-lambda-powertools/logger';
import type { ServeRequestDeps } from '@baton/core';
import { createHttpApi, fromRestEvent, fromV2Event, serveHttpEvent } from '@baton/http';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';

/** API Gateway ends an integration after 29 s with a 504; HTTP APIs cannot raise it. */
export const API_GATEWAY_INTEGRATION_TIMEOUT_MS = 29_000;

export interface ApiGatewayHandlerOptions {
  readonly deps: ServeRequestDeps;
  readonly logger?: Logger;
  /** The integration timeout in force (29 s unless a Regional REST API's quota was raised). */
  readonly integrationTimeoutMs?: number;
  /** Hand work over this long before the gateway would give up: time to checkpoint, store and answer 202. */
  readonly handoffMarginMs?: number;
  readonly maxBodyBytes?: number;
}

/**
 * The API Gateway door: REST API (v1) and HTTP API (v2) proxy events, told apart by `version`, served by the
 * shared HTTP API. A sync request gets the gateway's budget less a margin, never more than the function has
 * left, so it is answered — with its result or a 202 and its job — before the gateway's 504.
 */
export function createApiGatewayHandler(options: ApiGatewayHandlerOptions) {
  const logger = options.logger ?? new Logger({ serviceName: 'baton' });
  const api = createHttpApi({
    deps: options.deps,
    onUnexpectedError: (error) => logger.error('Unexpected error', error as Error),
    ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
  });
  const gatewayBudgetMs =
    (options.integrationTimeoutMs ?? API_GATEWAY_INTEGRATION_TIMEOUT_MS) - (options.handoffMarginMs ?? 3_000);

  return async function handleApiGatewayEvent(
    event: APIGatewayProxyEvent | APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyResult> {
    const budgetMs = Math.max(0, Math.min(gatewayBudgetMs, context.getRemainingTimeInMillis() - 2_000));
    return serveHttpEvent(
      logger,
      context,
      () =>
        'version' in event && event.version === '2.0'
          ? fromV2Event(event, budgetMs)
          : fromRestEvent(event as APIGatewayProxyEvent, budgetMs),
      api,
    );
  };
}
