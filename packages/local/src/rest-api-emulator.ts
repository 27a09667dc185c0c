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
  jsonReply,
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
import { API_GATEWAY_PAYLOAD_LIMIT_BYTES, REST_API_INTEGRATION_TIMEOUT_MS } from './limits.js';
import { parseRestProxyResult } from './proxy-result.js';

export interface RestApiEmulatorOptions extends EmulatorCommonOptions {
  /** The stage, the first segment of every path. Default `local`. */
  stage?: string;
  /** After this long the client gets 504 while the function keeps running. Default 29 000 (API Gateway's). */
  integrationTimeoutMs?: number;
  /** The API id in events and the domain name. Default: derived from the function name (stable). */
  apiId?: string;
}

const TITLE = 'REST API emulator';

/**
 * API Gateway REST API (v1) with a Lambda proxy integration, as `LambdaRestApi` deploys it: `ANY` on the root
 * resource and on `/{proxy+}`, one stage. Requests become REST proxy events, the function is invoked
 * synchronously through the Lambda service's Invoke API, and its proxy result becomes the response.
 */
export async function startRestApiEmulator(options: RestApiEmulatorOptions): Promise<EmulatorHandle> {
  const stage = options.stage ?? 'local';
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(stage)) {
    throw new Error(`${TITLE}: stage must be 1-128 letters, digits, '-' or '_', got "${stage}"`);
  }
  const { host, port, maxRequestBytes, defaultPrincipalArn, region, accountId, authType, logs, client } =
    resolveCommonOptions(TITLE, options, API_GATEWAY_PAYLOAD_LIMIT_BYTES);
  const integrationTimeoutMs = options.integrationTimeoutMs ?? REST_API_INTEGRATION_TIMEOUT_MS;
  validatePositive(TITLE, 'integrationTimeoutMs', integrationTimeoutMs);
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

  const handle = async (call: IncomingCall): Promise<Reply> => {
    const extendedRequestId = shortRequestId();
    const common: Array<[string, string]> = [
      ['x-amzn-RequestId', call.requestId],
      ['x-amz-apigw-id', extendedRequestId],
    ];
    const resource = matchResource(call.rawPath, stage);
    if (resource === undefined) {
      // What API Gateway answers for a path outside every stage or resource of an IAM-authorized API.
      return jsonReply(
        403,
        { message: 'Forbidden' },
        [...common, ['x-amzn-ErrorType', 'ForbiddenException']],
        `outside the stage /${stage}`,
      );
    }
    const caller = identifyCall(call, authType, {
      accountId,
      region,
      service: 'execute-api',
      defaultPrincipalArn,
    });
    if (!caller.ok) {
      return jsonReply(
        403,
        { message: caller.message },
        [...common, ['x-amzn-ErrorType', 'IncompleteSignatureException']],
        'bad signature',
      );
    }
    const identity = caller.identity;

    const event = restEvent(call, resource, identity, extendedRequestId, api);
    const outcome = await client.invoke(JSON.stringify(event), {
      timeoutMs: integrationTimeoutMs,
      traceHeader: call.traceId,
    });
    const withTrace: Array<[string, string]> = [...common, ['X-Amzn-Trace-Id', call.traceId]];
    const internalError = (detail: string) =>
      jsonReply(
        502,
        { message: 'Internal server error' },
        [...withTrace, ['x-amzn-ErrorType', 'InternalServerErrorException']],
        detail,
      );
    switch (outcome.kind) {
      case 'timeout':
        return jsonReply(
          504,
          { message: 'Endpoint request timed out' },
          withTrace,
          `integration timeout after ${integrationTimeoutMs} ms`,
        );
      case 'unreachable':
        return jsonReply(
          500,
          { message: 'Internal server error' },
          [...withTrace, ['x-amzn-ErrorType', 'InternalServerErrorException']],
          `Lambda service unreachable: ${outcome.message}`,
        );
      case 'service-error':
        // Lambda refused the invoke (throttled, payload too large…): API Gateway answers 500, not Lambda's status.
        return jsonReply(
          500,
          { message: 'Internal server error' },
          [...withTrace, ['x-amzn-ErrorType', 'InternalServerErrorException']],
          `Lambda ${outcome.status} ${outcome.errorType}: ${outcome.message}`,
        );
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
      jsonReply(
        413,
        { message: 'Request Too Long' },
        [['x-amzn-RequestId', call.requestId]],
        'body over the cap',
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
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const spelling = new Map<string, string>();
  for (const [name, value] of withGatewayHeaders(call, headerPairs(call.request))) {
    // One entry per header, spelled as the client first spelled it; the single-value map keeps the last value.
    const key = spelling.get(name.toLowerCase()) ?? name;
    spelling.set(name.toLowerCase(), key);
    headers[key] = value;
    multiValueHeaders[key] = [...(multiValueHeaders[key] ?? []), value];
  }
  const query = queryPairs(call.rawQuery);
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of query) {
    queryStringParameters[name] = value;
    multiValueQueryStringParameters[name] = [...(multiValueQueryStringParameters[name] ?? []), value];
  }
  const resourcePath = resource.proxy === undefined ? '/' : '/{proxy+}';
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
