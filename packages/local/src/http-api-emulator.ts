import {
  type EmulatorCommonOptions,
  type EmulatorHandle,
  type IncomingCall,
  identifyCall,
  jsonReply,
  type Reply,
  resolveCommonOptions,
  shortRequestId,
  stableId,
  startFrontDoor,
  validatePositive,
} from './front-door.js';
import { DEFAULT_EMULATED_ROUTES, type EmulatedRoutes, routeMatcher } from './gateway-routes.js';
import { API_GATEWAY_PAYLOAD_LIMIT_BYTES, HTTP_API_INTEGRATION_TIMEOUT_MS } from './limits.js';
import { parseV2ProxyResult } from './proxy-result.js';
import { v2Event, v2Reply } from './v2-events.js';

export interface HttpApiEmulatorOptions extends EmulatorCommonOptions {
  /** After this long the client gets 503 while the function keeps running. Default 30 000, HTTP APIs' maximum. */
  integrationTimeoutMs?: number;
  /** Default: derived from the function name (stable). */
  apiId?: string;
  /**
   * The routes the API declares. A request no route serves — an undeclared path, or a declared path with
   * another method — is answered by the gateway, as deployed API Gateway answers it: 404
   * `{"message":"Not Found"}`; the function is not invoked. `'any'`: the `$default` route, every request reaches
   * the function. Default: the routes Baton's doors declare (`HTTP_ROUTES` of `@baton/http/routes`).
   */
  routes?: EmulatedRoutes;
}

const TITLE = 'HTTP API emulator';

/**
 * API Gateway HTTP API with a Lambda proxy integration (payload format 2.0) on the declared routes (Baton's by
 * default; `'any'` for the `$default` route, which every method and path reaches) of the `$default` stage; the
 * URL has no stage prefix.
 */
export async function startHttpApiEmulator(options: HttpApiEmulatorOptions): Promise<EmulatorHandle> {
  const {
    host,
    port,
    maxRequestBytes,
    defaultPrincipalArn,
    region,
    accountId,
    authType,
    logs,
    signatures,
    client,
  } = resolveCommonOptions(TITLE, options, API_GATEWAY_PAYLOAD_LIMIT_BYTES);
  const integrationTimeoutMs = options.integrationTimeoutMs ?? HTTP_API_INTEGRATION_TIMEOUT_MS;
  validatePositive(TITLE, 'integrationTimeoutMs', integrationTimeoutMs);
  const matchRoute = routeMatcher(TITLE, options.routes ?? DEFAULT_EMULATED_ROUTES);
  await client.describeFunction();
  const apiId = options.apiId ?? stableId(`http-api:${options.functionName}`, 10);
  const target = {
    flavour: 'http-api' as const,
    accountId,
    apiId,
    domainName: `${apiId}.execute-api.${region}.amazonaws.com`,
  };

  const handle = async (call: IncomingCall): Promise<Reply> => {
    const common: Array<[string, string]> = [['apigw-requestid', call.requestId]];
    if (matchRoute(call.method, call.rawPath).kind === 'none') {
      // No route for this method and path (another method on a declared path included): API Gateway answers
      // 404 before any authorization (authorization belongs to a route).
      return jsonReply(404, { message: 'Not Found' }, common, `no route for ${call.method} ${call.rawPath}`);
    }
    const caller = await identifyCall(
      call,
      authType,
      { accountId, region, service: 'execute-api', defaultPrincipalArn },
      signatures,
    );
    if (!caller.ok)
      return jsonReply(403, { message: caller.message }, common, `signature refused: ${caller.problem}`);
    const identity = caller.identity;
    const outcome = await client.invoke(JSON.stringify(v2Event(call, target, identity)), {
      timeoutMs: integrationTimeoutMs,
      traceHeader: call.traceId,
    });
    const internalError = (detail: string) =>
      jsonReply(500, { message: 'Internal Server Error' }, common, detail);
    switch (outcome.kind) {
      case 'timeout':
        return jsonReply(
          503,
          { message: 'Service Unavailable' },
          common,
          `integration timeout after ${integrationTimeoutMs} ms`,
        );
      case 'unreachable':
        return internalError(`Lambda service unreachable: ${outcome.message}`);
      case 'service-error':
        return internalError(`Lambda ${outcome.status} ${outcome.errorType}: ${outcome.message}`);
      case 'result': {
        if (outcome.functionError) return internalError(`function error (${outcome.functionError})`);
        const parsed = parseV2ProxyResult(outcome.payload);
        if (!parsed.ok) return internalError(`malformed Lambda proxy response: ${parsed.reason}`);
        return v2Reply(parsed.result, common);
      }
    }
  };

  return startFrontDoor({
    kind: 'http-api',
    functionName: options.functionName,
    host,
    port,
    maxRequestBytes,
    logs,
    // HTTP APIs' request ids are the short base64 kind (`ZhLNpgotDoEEJUQ=`), not UUIDs.
    requestId: shortRequestId,
    tooLarge: (call) =>
      jsonReply(
        413,
        { message: 'Request Entity Too Large' },
        [['apigw-requestid', call.requestId]],
        'body over the cap',
      ),
    handle,
    onStop: () => client.close(),
  });
}
