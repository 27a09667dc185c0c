import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CallerIdentity } from './caller-identity.js';
import {
  eventBody,
  formatRequestTime,
  HOP_BY_HOP_HEADERS,
  headerPairs,
  type IncomingCall,
  queryPairs,
  type Reply,
  safeDecode,
  withGatewayHeaders,
} from './front-door.js';
import type { V2ProxyResult } from './proxy-result.js';

/**
 * Payload format 2.0, shared by HTTP APIs and Function URLs (a Function URL event *is* an HTTP API event with
 * routeKey and stage `$default`). Where the two differ, the difference is a flag here rather than two builders.
 */

export interface V2Target {
  flavour: 'http-api' | 'function-url';
  accountId: string;
  apiId: string;
  domainName: string;
}

/** What IAM authorization puts in `requestContext.authorizer.iam`. */
interface IamAuthorizer {
  accessKey: string | null;
  accountId: string;
  callerId: string;
  cognitoIdentity: null;
  principalOrgId: null;
  userArn: string;
  userId: string;
}

export function v2Event(
  call: IncomingCall,
  target: V2Target,
  identity: CallerIdentity | undefined,
): APIGatewayProxyEventV2 {
  // Maps while collecting: a header or parameter may be named `constructor` or `__proto__` (see restEvent).
  const headerMap = new Map<string, string>();
  const cookies: string[] = [];
  for (const [name, value] of withGatewayHeaders(call, headerPairs(call.request))) {
    const key = name.toLowerCase();
    // Cookies travel in their own member, one entry per cookie; the Cookie header itself is not passed on.
    if (key === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter(Boolean),
      );
      continue;
    }
    const previous = headerMap.get(key);
    headerMap.set(key, previous === undefined ? value : `${previous},${value}`);
  }
  const queryMap = new Map<string, string>();
  for (const [name, value] of queryPairs(call.rawQuery)) {
    const previous = queryMap.get(name);
    queryMap.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  const headers: Record<string, string> = Object.fromEntries(headerMap);
  const queryStringParameters: Record<string, string> = Object.fromEntries(queryMap);
  const hasQuery = queryMap.size > 0;
  // HTTP APIs hand the function the path decoded; Function URLs (like REST APIs) keep its percent-encoding.
  const rawPath = target.flavour === 'http-api' ? safeDecode(call.rawPath) : call.rawPath;
  const { body, isBase64Encoded } = eventBody(call);
  const iam: IamAuthorizer | undefined = identity && {
    accessKey: identity.accessKey,
    accountId: identity.accountId,
    callerId: identity.userId,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: identity.userArn,
    userId: identity.userId,
  };
  const functionUrl = target.flavour === 'function-url';
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: call.rawQuery,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(hasQuery ? { queryStringParameters } : {}),
    requestContext: {
      accountId: target.accountId,
      apiId: target.apiId,
      ...(functionUrl ? { authentication: null } : {}),
      ...(iam ? { authorizer: { iam } } : {}),
      domainName: target.domainName,
      domainPrefix: target.domainName.split('.')[0] as string,
      http: {
        method: call.method,
        path: rawPath,
        protocol: `HTTP/${call.request.httpVersion}`,
        sourceIp: call.sourceIp,
        userAgent: call.request.headers['user-agent'] ?? '',
      },
      requestId: call.requestId,
      routeKey: '$default',
      stage: '$default',
      time: formatRequestTime(call.receivedAt),
      timeEpoch: call.receivedAt,
    },
    // An HTTP API leaves out what a request does not have; a Function URL sends the members as null.
    ...(functionUrl
      ? { body, pathParameters: null, isBase64Encoded, stageVariables: null }
      : { ...(body === null ? {} : { body }), isBase64Encoded }),
  };
  // The community types have no `null` for the members a Function URL sends as null.
  return event as unknown as APIGatewayProxyEventV2;
}

/** The response headers of a payload 2.0 result: its headers, then one Set-Cookie per cookie. */
export function v2ResponseHeaders(result: V2ProxyResult): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(result.headers)) {
    if (!HOP_BY_HOP_HEADERS.has(name.toLowerCase())) headers.push([name, value]);
  }
  for (const cookie of result.cookies) headers.push(['set-cookie', cookie]);
  if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) {
    headers.push(['content-type', 'application/json']);
  }
  return headers;
}

export function v2ResponseBody(result: V2ProxyResult): Buffer {
  return Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
}

/** The reply for a payload 2.0 proxy result, with the front door's own headers added. */
export function v2Reply(result: V2ProxyResult, doorHeaders: Array<[string, string]>): Reply {
  return {
    status: result.statusCode,
    headers: [...v2ResponseHeaders(result), ...doorHeaders],
    body: v2ResponseBody(result),
  };
}
