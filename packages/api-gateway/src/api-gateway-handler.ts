import { Logger } from '@aws-lambda-powertools/logger';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS, type ServeRequestDeps } from '@baton/core';
import {
  createHttpApi,
  fromRestEvent,
  fromV2Event,
  gatewayReceivedAt,
  requestLogger,
  serveHttpEvent,
} from '@baton/http';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';

/**
 * API Gateway ends an integration after 29 s with a 504. Kept here, as a re-export of `@baton/core`'s one
 * value, for code that imported it from this package.
 */
export { API_GATEWAY_INTEGRATION_TIMEOUT_MS };

/** Time kept back from the function's own deadline to store a handoff and answer. */
const FUNCTION_MARGIN_MS = 2_000;

export interface ApiGatewayHandlerOptions {
  readonly deps: ServeRequestDeps;
  readonly logger?: Logger;
  /** The integration timeout in force (29 s unless a Regional REST API's quota was raised). */
  readonly integrationTimeoutMs?: number;
  /** Hand work over this long before the gateway would give up: time to checkpoint, store and answer 202. */
  readonly handoffMarginMs?: number;
  readonly maxBodyBytes?: number;
  /** The wall clock the budget is counted on, in epoch milliseconds. Default `Date.now`; tests fix it. */
  readonly now?: () => number;
}

/**
 * The API Gateway door: REST API (v1) and HTTP API (v2) proxy events, told apart by `version`, served by the
 * shared HTTP API. A sync request gets the gateway's budget less a margin, counted from when the gateway
 * received the request (so a cold start's init time is not spent twice), never more than the function has
 * left, so it is answered — with its result or a 202 and its job — before the gateway's 504.
 */
export function createApiGatewayHandler(options: ApiGatewayHandlerOptions) {
  const logger = options.logger ?? new Logger({ serviceName: 'baton' });
  const now = options.now ?? Date.now;
  const api = createHttpApi({
    deps: options.deps,
    onUnexpectedError: (error) => requestLogger(logger).error('Unexpected error', error as Error),
    ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
  });
  const gatewayBudgetMs =
    (options.integrationTimeoutMs ?? API_GATEWAY_INTEGRATION_TIMEOUT_MS) - (options.handoffMarginMs ?? 3_000);

  /**
   * The gateway's clock started when it received the request (REST `requestTimeEpoch`, HTTP API `timeEpoch`):
   * whatever passed before this handler ran — a cold start's init, Lambda's queueing — is already spent. An
   * event that does not say when (or says a time in the future) is counted from now, as before.
   */
  function budgetOf(event: unknown, context: Context): number {
    const started = now();
    const receivedAt = gatewayReceivedAt(event, started);
    const alreadyWaitedMs = receivedAt === undefined ? 0 : started - receivedAt;
    return Math.max(
      0,
      Math.min(gatewayBudgetMs - alreadyWaitedMs, context.getRemainingTimeInMillis() - FUNCTION_MARGIN_MS),
    );
  }

  return async function handleApiGatewayEvent(
    event: APIGatewayProxyEvent | APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyResult> {
    // A direct invoke can send any JSON (null, 1, "x", []): only an object can be a v2 event, and
    // fromRestEvent refuses whatever else as NotAnHttpEvent, a 400 problem.
    const payload: unknown = event;
    const v2 =
      typeof payload === 'object' && payload !== null && (payload as { version?: unknown }).version === '2.0';
    const budgetMs = budgetOf(payload, context);
    // Awaited here: an async function that returns a promise settles two microtask turns later.
    return await serveHttpEvent(
      logger,
      context,
      () =>
        v2
          ? fromV2Event(event as APIGatewayProxyEventV2, budgetMs)
          : fromRestEvent(event as APIGatewayProxyEvent, budgetMs),
      api,
    );
  };
}
