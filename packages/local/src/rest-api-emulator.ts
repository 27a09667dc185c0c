import type { GatewayResponseDefinition } from '@baton/api-gateway';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { CallerIdentity } from './caller-identity.js';
import {
  type EmulatorCommonOptions,
  type EmulatorHandle,
  eventBody,
  formatRequestTime,
  HOP_BY_HOP_HEADERS,
  headerPairs,
  headerValue,
  type IncomingCall,
  identifyCall,
  queryPairs,
  type Reply,
  resolveCommonOptions,
  safeDecode,
  shortRequestId,
  stableId,
  startFrontDoor,
  validatePositive,
  withGatewayHeaders,
} from './front-door.js';
import { type GatewayError, gatewayErrorReply, validateGatewayResponses } from './gateway-errors.js';
import { DEFAULT_EMULATED_ROUTES, type EmulatedRoutes, routeMatcher } from './gateway-routes.js';
import { API_GATEWAY_PAYLOAD_LIMIT_BYTES, REST_API_INTEGRATION_TIMEOUT_MS } from './limits.js';
import { parseRestProxyResult } from './proxy-result.js';
import type { SignatureProblem } from './sigv4.js';

export interface RestApiEmulatorOptions extends EmulatorCommonOptions {
  /** The stage, the first segment of every path. Default `local`. */
  stage?: string;
  /** After this long the client gets 504 while the function keeps running. Default 29 000 (API Gateway's). */
  integrationTimeoutMs?: number;
  /** The API id in events and the domain name. Default: derived from the function name (stable). */
  apiId?: string;
  /**
   * The API's gateway responses (`AWS::ApiGateway::GatewayResponse`): how the errors API Gateway answers itself
   * — a throttled or refused invoke, a timeout, a request too large, a missing or bad signature — reach the
   * client. Types not defined fall back to DEFAULT_4XX / DEFAULT_5XX, then to API Gateway's own answers.
   * Default: none, so every error is answered as API Gateway answers it by default.
   */
  gatewayResponses?: readonly GatewayResponseDefinition[];
  /**
   * The methods and resources the API declares. A request no route serves — an undeclared path, or a declared
   * path with another method — is answered by the gateway, as deployed API Gateway answers it: 403
   * MISSING_AUTHENTICATION_TOKEN (`{"message":"Missing Authentication Token"}` unless a gateway response
   * customises it); the function is not invoked. `'any'`: `ANY` on the root and on `/{proxy+}`, every request
   * reaches the function. Default: the routes Baton's doors declare (`HTTP_ROUTES` of `@baton/http/routes`).
   */
  routes?: EmulatedRoutes;
}

const TITLE = 'REST API emulator';

/**
 * API Gateway REST API (v1) with a Lambda proxy integration on the declared routes (Baton's by default; `'any'`
 * for `ANY` on the root resource and on `/{proxy+}`, as `LambdaRestApi` deploys it), one stage. Requests become
 * REST proxy events, the function is invoked synchronously through the Lambda service's Invoke API, and its
 * proxy result becomes the response.
 */
export async function startRestApiEmulator(options: RestApiEmulatorOptions): Promise<EmulatorHandle> {
  const stage = options.stage ?? 'local';
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(stage)) {
    throw new Error(`${TITLE}: stage must be 1-128 letters, digits, '-' or '_', got "${stage}"`);
  }
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
  const integrationTimeoutMs = options.integrationTimeoutMs ?? REST_API_INTEGRATION_TIMEOUT_MS;
  validatePositive(TITLE, 'integrationTimeoutMs', integrationTimeoutMs);
  const gatewayResponses = options.gatewayResponses ?? [];
  validateGatewayResponses(TITLE, gatewayResponses);
  const matchRoute = routeMatcher(TITLE, options.routes ?? DEFAULT_EMULATED_ROUTES);
  await client.describeFunction();

  const apiId = options.apiId ?? stableId(`rest-api:${options.functionName}`, 10);
  const api = {
    apiId,
    stage,
    region,
    accountId,
    authType,
    defaultPrincipalArn,
    domainName: `${apiId}.execute-api.${region}.amazonaws.com`,
    rootResourceId: stableId(`${apiId}:/`, 10),
    proxyResourceId: stableId(`${apiId}:/{proxy+}`, 6),
    deploymentId: stableId(`${apiId}:deployment`, 6),
  };

  /** Every error the gateway answers itself goes through here (see gateway-errors.ts). */
  const gatewayError = (
    call: IncomingCall,
    error: GatewayError,
    headers: Array<[string, string]>,
    resource: { path: string; proxy?: string } | undefined = matchResource(call.rawPath, stage),
  ): Reply =>
    gatewayErrorReply(gatewayResponses, error, {
      call,
      resourcePath: resource === undefined ? '' : resourcePathOf(resource),
      ...(resource?.proxy === undefined ? {} : { proxy: resource.proxy }),
      headers,
    });

  const handle = async (call: IncomingCall): Promise<Reply> => {
    const extendedRequestId = shortRequestId();
    const common: Array<[string, string]> = [
      ['x-amzn-RequestId', call.requestId],
      ['x-amz-apigw-id', extendedRequestId],
    ];
    const resource = matchResource(call.rawPath, stage);
    if (resource === undefined) {
      // What API Gateway answers for a path outside every stage: no deployment is reached, so no gateway
      // response applies.
      return gatewayError(
        call,
        {
          type: undefined,
          status: 403,
          message: 'Forbidden',
          errorType: 'ForbiddenException',
          detail: `outside the stage /${stage}`,
        },
        common,
        resource,
      );
    }
    if (matchRoute(call.method, resource.path).kind === 'none') {
      // No declared method on a declared resource, or no such resource: API Gateway answers before any
      // authorization, with the same response type as for an unsigned request.
      return gatewayError(
        call,
        {
          type: 'MISSING_AUTHENTICATION_TOKEN',
          status: 403,
          message: 'Missing Authentication Token',
          errorType: 'MissingAuthenticationTokenException',
          detail: `no route for ${call.method} ${resource.path}`,
        },
        common,
        resource,
      );
    }
    const caller = await identifyCall(
      call,
      authType,
      { accountId, region, service: 'execute-api', defaultPrincipalArn },
      signatures,
    );
    if (!caller.ok) {
      return gatewayError(call, signatureError(caller.problem, caller.message), common, resource);
    }
    const identity = caller.identity;

    const event = restEvent(call, resource, identity, extendedRequestId, api);
    const outcome = await client.invoke(JSON.stringify(event), {
      timeoutMs: integrationTimeoutMs,
      traceHeader: call.traceId,
    });
    const withTrace: Array<[string, string]> = [...common, ['X-Amzn-Trace-Id', call.traceId]];
    // A function error or a malformed proxy result: 502, which no specific gateway response type covers.
    const internalError = (detail: string) =>
      gatewayError(
        call,
        {
          type: 'DEFAULT_5XX',
          status: 502,
          message: 'Internal server error',
          errorType: 'InternalServerErrorException',
          detail,
        },
        withTrace,
        resource,
      );
    // Lambda refused the invoke (throttled, payload too large…) or could not be reached: API Gateway answers
    // INTEGRATION_FAILURE (500 by default), not Lambda's status.
    const integrationFailure = (detail: string) =>
      gatewayError(
        call,
        {
          type: 'INTEGRATION_FAILURE',
          status: 500,
          message: 'Internal server error',
          errorType: 'InternalServerErrorException',
          detail,
        },
        withTrace,
        resource,
      );
    switch (outcome.kind) {
      case 'timeout':
        return gatewayError(
          call,
          {
            type: 'INTEGRATION_TIMEOUT',
            status: 504,
            message: 'Endpoint request timed out',
            detail: `integration timeout after ${integrationTimeoutMs} ms`,
          },
          withTrace,
          resource,
        );
      case 'unreachable':
        return integrationFailure(`Lambda service unreachable: ${outcome.message}`);
      case 'service-error':
        return integrationFailure(`Lambda ${outcome.status} ${outcome.errorType}: ${outcome.message}`);
      case 'result': {
        if (outcome.functionError) return internalError(`function error: ${describeError(outcome.payload)}`);
        const parsed = parseRestProxyResult(outcome.payload);
        if (!parsed.ok) return internalError(`malformed Lambda proxy response: ${parsed.reason}`);
        const headers = mergeRestHeaders(parsed.result.headers, parsed.result.multiValueHeaders);
        const body = parsed.result.isBase64Encoded
          ? Buffer.from(parsed.result.body ?? '', 'base64')
          : Buffer.from(parsed.result.body ?? '', 'utf8');
        if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) {
          headers.push(['Content-Type', 'application/json']);
        }
        return { status: parsed.result.statusCode, headers: [...headers, ...withTrace], body };
      }
    }
  };

  return startFrontDoor({
    kind: 'rest-api',
    functionName: options.functionName,
    host,
    port,
    maxRequestBytes,
    logs,
    tooLarge: (call) =>
      gatewayError(
        call,
        { type: 'REQUEST_TOO_LARGE', status: 413, message: 'Request Too Long', detail: 'body over the cap' },
        [['x-amzn-RequestId', call.requestId]],
      ),
    handle,
    url: (origin) => `${origin}/${stage}`,
    onStop: () => client.close(),
  });
}

interface RestApiShape {
  apiId: string;
  stage: string;
  region: string;
  accountId: string;
  domainName: string;
  rootResourceId: string;
  proxyResourceId: string;
  deploymentId: string;
}

/**
 * What API Gateway answers for a signature it refuses. The REST API's 403s: MISSING_AUTHENTICATION_TOKEN for
 * an unsigned request, ACCESS_DENIED for a key it does not know, INVALID_SIGNATURE for the rest (malformed,
 * mis-scoped, not matching, expired).
 */
function signatureError(problem: SignatureProblem, message: string): GatewayError {
  const detail = `signature refused: ${problem}`;
  switch (problem) {
    case 'missing':
      return {
        type: 'MISSING_AUTHENTICATION_TOKEN',
        status: 403,
        message,
        errorType: 'MissingAuthenticationTokenException',
        detail,
      };
    case 'unknown-key':
      return { type: 'ACCESS_DENIED', status: 403, message, errorType: 'AccessDeniedException', detail };
    case 'incomplete':
      return {
        type: 'INVALID_SIGNATURE',
        status: 403,
        message,
        errorType: 'IncompleteSignatureException',
        detail,
      };
    default:
      return {
        type: 'INVALID_SIGNATURE',
        status: 403,
        message,
        errorType: 'InvalidSignatureException',
        detail,
      };
  }
}

function resourcePathOf(resource: { proxy?: string }): string {
  return resource.proxy === undefined ? '/' : '/{proxy+}';
}

/** The resource a path reaches: the root (`/stage`, `/stage/`) or `/{proxy+}`; undefined outside the stage. */
function matchResource(rawPath: string, stage: string): { path: string; proxy?: string } | undefined {
  const prefix = `/${stage}`;
  if (rawPath === prefix || rawPath === `${prefix}/`) return { path: '/' };
  if (!rawPath.startsWith(`${prefix}/`)) return undefined;
  const path = rawPath.slice(prefix.length);
  // `{proxy+}` is the rest of the path, decoded (the path itself keeps its percent-encoding, as REST APIs send it).
  return { path, proxy: safeDecode(path.slice(1)) };
}

function restEvent(
  call: IncomingCall,
  resource: { path: string; proxy?: string },
  identity: CallerIdentity | undefined,
  extendedRequestId: string,
  api: RestApiShape,
): APIGatewayProxyEvent {
  // Maps, not object literals, while collecting: a client may send a header or parameter named `constructor`
  // or `__proto__`, which an object literal would resolve to (or set) its prototype.
  const headerMap = new Map<string, string>();
  const multiValueHeaderMap = new Map<string, string[]>();
  const spelling = new Map<string, string>();
  for (const [name, value] of withGatewayHeaders(call, headerPairs(call.request))) {
    // One entry per header, spelled as the client first spelled it; the single-value map keeps the last value.
    const key = spelling.get(name.toLowerCase()) ?? name;
    spelling.set(name.toLowerCase(), key);
    headerMap.set(key, value);
    multiValueHeaderMap.set(key, [...(multiValueHeaderMap.get(key) ?? []), value]);
  }
  const query = queryPairs(call.rawQuery);
  const queryMap = new Map<string, string>();
  const multiValueQueryMap = new Map<string, string[]>();
  for (const [name, value] of query) {
    queryMap.set(name, value);
    multiValueQueryMap.set(name, [...(multiValueQueryMap.get(name) ?? []), value]);
  }
  // Object.fromEntries defines own properties, `__proto__` included, as JSON.parse would.
  const headers: Record<string, string> = Object.fromEntries(headerMap);
  const multiValueHeaders: Record<string, string[]> = Object.fromEntries(multiValueHeaderMap);
  const queryStringParameters: Record<string, string> = Object.fromEntries(queryMap);
  const multiValueQueryStringParameters: Record<string, string[]> = Object.fromEntries(multiValueQueryMap);
  const resourcePath = resourcePathOf(resource);
  const userAgent = headerValue(call.request, 'user-agent') ?? null;
  const { body, isBase64Encoded } = eventBody(call);
  // The community type has no deploymentId, which every REST event carries.
  const requestContext: APIGatewayProxyEvent['requestContext'] & { deploymentId: string } = {
    resourceId: resource.proxy === undefined ? api.rootResourceId : api.proxyResourceId,
    resourcePath,
    httpMethod: call.method,
    extendedRequestId,
    requestTime: formatRequestTime(call.receivedAt),
    path: call.rawPath,
    accountId: api.accountId,
    protocol: `HTTP/${call.request.httpVersion}`,
    stage: api.stage,
    domainPrefix: api.apiId,
    requestTimeEpoch: call.receivedAt,
    requestId: call.requestId,
    identity: {
      cognitoIdentityPoolId: null,
      accountId: identity?.accountId ?? null,
      cognitoIdentityId: null,
      caller: identity?.userId ?? null,
      sourceIp: call.sourceIp,
      principalOrgId: null,
      accessKey: identity?.accessKey ?? null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: identity?.userArn ?? null,
      userAgent,
      user: identity?.userId ?? null,
      // The community type lists members (apiKey, clientCert…) IAM-authorized events do not carry.
    } as APIGatewayProxyEvent['requestContext']['identity'],
    domainName: api.domainName,
    deploymentId: api.deploymentId,
    apiId: api.apiId,
    // No authorizer member: IAM authorization reports the caller in `identity`.
    authorizer: undefined,
  };
  return {
    resource: resourcePath,
    path: resource.path,
    httpMethod: call.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query.length > 0 ? queryStringParameters : null,
    multiValueQueryStringParameters: query.length > 0 ? multiValueQueryStringParameters : null,
    pathParameters: resource.proxy === undefined ? null : { proxy: resource.proxy },
    stageVariables: null,
    requestContext,
    body,
    isBase64Encoded,
  };
}

/**
 * `headers` and `multiValueHeaders` merged as API Gateway merges them: every multi value, then a single value
 * whose name/value pair is not already there. Names compare case-insensitively.
 */
function mergeRestHeaders(
  single: Record<string, string>,
  multi: Record<string, string[]>,
): Array<[string, string]> {
  const merged: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [name, values] of Object.entries(multi)) {
    if (HOP_BY_HOP_HEADERS.has(name.toLowerCase())) continue;
    for (const value of values) {
      merged.push([name, value]);
      seen.add(`${name.toLowerCase()}\n${value}`);
    }
  }
  for (const [name, value] of Object.entries(single)) {
    if (HOP_BY_HOP_HEADERS.has(name.toLowerCase()) || seen.has(`${name.toLowerCase()}\n${value}`)) continue;
    merged.push([name, value]);
  }
  return merged;
}

function describeError(payload: Buffer): string {
  try {
    const error = JSON.parse(payload.toString('utf8')) as { errorType?: string; errorMessage?: string };
    return `${error.errorType ?? 'Error'}: ${error.errorMessage ?? ''}`;
  } catch {
    return payload.toString('utf8').slice(0, 200);
  }
}
